// bench/engine-grant.ts — the grant scheduler's decision latency for `npm run bench:engine`:
// cycles from a DATA packet's event entering grant_sched (hw/homa/engine/grant_sched.ts) to
// the GRANT request it causes, with `backlog` scheduled messages waiting (the JS engine,
// cycle-exact with the emitted Verilog).
//
// Set-up: `backlog` messages of 200,000 + i bytes from 4,096 peers arrive, one first packet
// each (the first eight, from eight peers, are the active set; the rest rank behind them and
// wait in the list). max_incoming is unlimited and the window fixed at 100,000 bytes so every
// packet of an active message earns a GRANT; FIFO grants are off (their interval, a few
// thousand cycles, fires during the set-up and each one that moves the active set costs a
// rescan of the list: with them on, the 16,384 case measured 46,474 cycles of rescans).
// Measured: the second packet of the best message.
// Also reported (stderr): the cycles a change of the active set costs (the best message
// completes, and the list is rescanned for the next one).

import { simulate, type Simulator } from '../hw/hdl/sim/index.ts';
import { defaultTunables } from '../hw/homa/abi.ts';
import { rpcSlots, type EngineConfig } from '../hw/homa/engine/config.ts';
import { grantSched } from '../hw/homa/engine/grant_sched.ts';
import { ENGINE_TUNABLES } from '../hw/homa/engine/regs.ts';

export interface GrantLatency { cycles: number; rebuildCycles: number; setupCycles: number }

function settle(sim: Simulator, limit: number): number {
  const start = sim.cycle;
  while (Number(sim.peek('idle')) === 0) {
    if (sim.cycle - start > limit) throw new Error(`grant_sched did not settle within ${limit} cycles`);
    sim.step(1);
  }
  return sim.cycle - start;
}

export async function grantLatency(c: EngineConfig, backlog: number, log: (s: string) => void): Promise<GrantLatency> {
  if (backlog > rpcSlots(c)) throw new Error(`backlog ${backlog} exceeds the ${rpcSlots(c)} RPC slots of ${c.name}`);
  const sim = await simulate(grantSched(c), { engine: 'js' });
  sim.reset(2);
  // FIFO grants off: their interval would fire during the long set-up and move the active set.
  const tun: Record<string, number | number[]> = { ...defaultTunables(), max_incoming: 0xffffffff, window: 100_000, grant_fifo_fraction: 0 };
  for (const n of ENGINE_TUNABLES) {
    const v = tun[n]!;
    sim.poke(`tun.${n}`, Array.isArray(v) ? v.reduceRight((a, w) => (a << 32n) | BigInt(w >>> 0), 0n) : v >>> 0);
  }
  sim.poke('grant.ready', 1);
  const ev = (slot: number, first: boolean, received: number, complete = false) => ({
    sched: 1, cutoff_version: 0, qp: 0, gen: 0, gone: 0, slot, peer: slot % 4096, first: first ? 1 : 0, accept: 1, waiting: 0, complete: complete ? 1 : 0,
    length: 200_000 + slot, incoming: 40_000, received, ipv6: 0, saddr: 0n, smac: 0n, sport: 1000, dport: 100, id: BigInt(2 * slot + 1),
  });
  const send = (e: Record<string, number | bigint>): number => {
    for (const [k, v] of Object.entries(e)) sim.poke(`ev.payload.${k}`, v);
    sim.poke('ev.valid', 1);
    while (Number(sim.peek('ev.ready')) === 0) sim.step(1);
    const at = sim.cycle;
    sim.step(1);
    sim.poke('ev.valid', 0);
    return at;
  };
  const t0 = sim.cycle;
  settle(sim, 10_000);
  for (let i = 0; i < backlog; i++) {
    send(ev(i, true, 1400));
    settle(sim, 100_000);
    if ((i + 1) % 4096 === 0) log(`  grant bench: ${i + 1} of ${backlog} messages waiting`);
  }
  const setupCycles = sim.cycle - t0;
  // The best message's second packet: cycles until its GRANT request.
  const at = send(ev(0, false, 2800));
  let cycles = 1;
  while (Number(sim.peek('grant.valid')) === 0) {
    if (cycles > 100_000) throw new Error('no GRANT for the best message');
    sim.step(1);
    cycles++;
  }
  void at;
  settle(sim, 100_000);
  // A change of the set: the best message completes; the next one is found by a rescan.
  const done = send(ev(0, false, 200_000, true));
  const rebuildCycles = sim.cycle - done + settle(sim, 10 * backlog + 100_000);
  return { cycles, rebuildCycles, setupCycles };
}
