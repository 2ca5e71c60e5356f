import { expect, test } from 'vitest';
import { bench, engines } from '../../lib/testing.ts';
import { defaultTunables } from '../abi.ts';
import { ENGINE_CONFIGS } from './config.ts';
import { grantSched } from './grant_sched.ts';
import { ENGINE_TUNABLES } from './regs.ts';

// The grant scheduler's decisions against the reference model are sim/cosim's differential
// (grant-differential.test.ts); here, what it has no time for there: FIFO grants (§3.2
// homa_grant_check_fifo). With max_overcommit 1 the short message B gets every SRPT grant;
// every FIFO interval the oldest message A gets fifo_grant_increment more, at
// num_priorities - 2, and the bytes are counted, until it is more than window + 2 increments
// ahead of what arrived (a peer that does not answer). The interval is increment * 8 * 1000 *
// clockMhz / (link_mbps * fraction) cycles: 400 here.

const INC = 10_000;

async function run(engine: string, fraction: number): Promise<{ grants: { id: bigint; offset: number; priority: number }[]; fifoBytes: number }> {
  const c = ENGINE_CONFIGS.u250;
  const { sim, tb } = await bench(grantSched(c), engine);
  const tun: Record<string, number | number[]> = { ...defaultTunables(), max_overcommit: 1, grant_fifo_fraction: fraction, fifo_grant_increment: INC, link_mbps: 100_000 };
  for (const n of ENGINE_TUNABLES) {
    const v = tun[n]!;
    tb.set(`tun.${n}`, Array.isArray(v) ? v.reduceRight((a, w) => (a << 32n) | BigInt(w >>> 0), 0n) : v >>> 0);
  }
  let fifoBytes = 0;
  sim.onCycle(() => { fifoBytes += Number(sim.peek('fifo_bytes')); });
  const ev = tb.driver('ev', {});
  const mon = tb.monitor('grant', {});
  const first = (slot: number, length: number, id: bigint) => ({
    sched: 1, cutoff_version: 0, qp: 0, gen: 0, gone: 0, slot, peer: slot, first: 1, accept: 1, waiting: 0, complete: 0, length, incoming: 40_000,
    received: 1400, ipv6: 0, saddr: 0n, smac: 0n, sport: 1000, dport: 100, id,
  });
  await tb.until(() => tb.get('idle') === 1);           // the divisions are done
  ev.push(first(1, 500_000, 11n));                       // A: the oldest, the longest (alone, it is granted its window)
  ev.push(first(2, 100_000, 13n));                       // B: shorter, so the one active message from then on
  await tb.tick(1100);                                   // two FIFO intervals and a bit
  const grants = mon.received.map((b) => {
    const g = b as Record<string, bigint | number>;
    return { id: BigInt(g['sender_id']!), offset: Number(g['offset']), priority: Number(g['priority']) };
  });
  return { grants, fifoBytes };
}

for (const engine of engines) {
  test(`grant_sched (${engine}): FIFO grants give the oldest message an increment every interval, at homa_high_priority`, async () => {
    const { grants, fifoBytes } = await run(engine, 500);
    const toA = grants.filter((g) => g.id === 11n);
    const toB = grants.filter((g) => g.id === 13n);
    expect(toB.length, 'SRPT grants to the short message').toBeGreaterThan(0);
    // A alone first: granted received + max_incoming / 2 = 201,400 at the lowest level; then FIFO.
    const window = 1400 + 400_000 / 2;
    expect(toA.map((g) => [g.offset, g.priority]), 'grants to the oldest message').toEqual([[window, 0], [window + INC, 6], [window + 2 * INC, 6]]);
    expect(fifoBytes, 'fifo_grant_bytes').toBe(2 * INC);
  }, 120_000);

  test(`grant_sched (${engine}): no FIFO grant when grant_fifo_fraction is 0`, async () => {
    const { grants, fifoBytes } = await run(engine, 0);
    expect(grants.filter((g) => g.id === 11n).map((g) => g.offset), 'only the SRPT grant from when it was alone').toEqual([1400 + 400_000 / 2]);
    expect(fifoBytes).toBe(0);
  }, 120_000);
}
