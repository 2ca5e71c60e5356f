import { expect, test } from 'vitest';
import { QpStatus } from '../abi.ts';
import { BpagePool, BPAGE_SHIFT, BPAGE_SIZE } from '../bpages.ts';
import type { Beat } from '../../hdl/sim/index.ts';
import { bench, engines, Rng } from '../../lib/testing.ts';
import { ENGINE_CONFIGS, engineWidths, type EngineConfig } from './config.ts';
import { bpool } from './bpool.ts';
import { qpEventKind, qpUpdateKind } from './types.ts';

// Reference: one BpagePool per queue pair (hw/homa/bpages.ts), fed the requests in the order
// the block accepted them (it takes at most one request a cycle; the test checks that). Every
// grant, update and double-free pulse must be what BpagePool gives for that sequence.
// Stimulus: allocs of every size class (0, a few bytes, a tail, exact multiples of 64 KiB, up
// to 2^20 - 1 bytes), releases of offsets the pool handed out (in random and in
// most-recent-first order, so the owned page empties and is carved from 0 again), double
// frees, offsets past the region and garbage, and enables (re-enable with pieces
// outstanding), disables and ctrl events, over a few queue pairs spread over the range (one
// never enabled); phases of allocs only fill one full-size region to its last page, phases of
// releases only hand pages back back to back.

const kinds = (k: 'enable' | 'disable' | 'ctrl') => Number(qpEventKind.values[k]);
const updateKind = (k: 'avail_bytes' | 'status_set') => Number(qpUpdateKind.values[k]);

function qpEvent(kind: 'enable' | 'disable' | 'ctrl', qp: number, bpages: number): Beat {
  return {
    kind: kinds(kind), qp, gen: 0, server: 0, irq: 0, port: 1000 + qp,
    sq_base: 0n, sq_log: 4, cq_base: 0n, cq_log: 4, bret_base: 0n, bret_log: 4,
    bpool_base: 0n, bpool_bpages: bpages, send_base: 0n, send_size: 0,
  };
}

interface GrantView { ok: number; pages?: number[]; tail_offset?: number }
interface UpdateView { kind: number; qp: number; value: number }

async function poolsAgree(c: EngineConfig, engine: string, seed: number, ops: number): Promise<void> {
  const { sim, tb } = await bench(bpool(c), engine);
  const rng = new Rng(seed);
  const Q = c.queuePairs, P = c.maxRegionBpages, pw = engineWidths(c).bpage;
  const pools = Array.from({ length: Q }, () => new BpagePool(0));
  // A few queue pairs spread over the range, and the last one never enabled.
  const neverEnabled = Q - 1;
  const used = [...new Set([0, 1, Q >> 1, Q - 2])].filter((q) => q < neverEnabled);
  // Mostly small regions, so messages of up to 16 pages exhaust them often.
  const regionSize = () => rng.range(33, rng.chance(0.6) ? Math.min(P, 80) : P);
  // Stimulus bookkeeping: offsets handed out and not yet sent back, and those sent back.
  const given: number[][] = Array.from({ length: Q }, () => []);
  const returned: number[][] = Array.from({ length: Q }, () => []);
  // Coverage, from the reference's answers: pieces per page, the last tail's page.
  const refs: Map<number, number>[] = Array.from({ length: Q }, () => new Map());
  const lastTail: (number | null)[] = Array.from({ length: Q }, () => null);
  const seen = { refusedAllocs: 0, wholePages: 0, doubleFrees: 0, pastRegion: 0, reenables: 0, reuseFrom0: 0, giveUps: 0, frees: 0, highestPage: 0 };

  const wantGrants: GrantView[] = [];
  const wantUpdates: UpdateView[] = [];
  let wantDoubleFrees = 0;

  const events = tb.driver('qp_event', { validProbability: 0.6, seed: seed + 1 });
  const allocs = tb.driver('alloc', { validProbability: 0.8, seed: seed + 2 });
  const releases = tb.driver('release', { validProbability: 0.8, seed: seed + 3 });
  const grants = tb.monitor('grant', { readyProbability: 0.7, seed: seed + 4 });
  const updates = tb.monitor('update', { readyProbability: 0.7, seed: seed + 5 });

  for (const qp of used) events.push(qpEvent('enable', qp, qp === used[0] ? P : regionSize()));

  const applyEvent = (b: Record<string, number | bigint>) => {
    const qp = Number(b['qp']);
    if (Number(b['kind']) !== kinds('enable')) return;
    if (given[qp]!.length > 0) seen.reenables++;
    const n = Number(b['bpool_bpages']);
    pools[qp] = new BpagePool(n);
    returned[qp]!.push(...given[qp]!);       // stale now: releasing them is refused
    given[qp] = [];
    refs[qp]!.clear();
    lastTail[qp] = null;
    wantUpdates.push({ kind: updateKind('avail_bytes'), qp, value: n * BPAGE_SIZE });
  };
  const applyAlloc = (b: Record<string, number | bigint>) => {
    const qp = Number(b['qp']), length = Number(b['length']);
    const pool = pools[qp]!;
    const before = pool.availBytes;
    const got = pool.allocate(length);
    if (!got) { seen.refusedAllocs++; wantGrants.push({ ok: 0 }); return; }
    const tail = length & (BPAGE_SIZE - 1);
    wantGrants.push({ ok: 1, pages: got.map((o) => o >>> BPAGE_SHIFT), tail_offset: tail ? got[got.length - 1]! & (BPAGE_SIZE - 1) : 0 });
    seen.wholePages += length >>> BPAGE_SHIFT;
    if (tail) {
      const page = got[got.length - 1]! >>> BPAGE_SHIFT, prev = lastTail[qp];
      if (prev !== null && page === prev && (got[got.length - 1]! & (BPAGE_SIZE - 1)) === 0) seen.reuseFrom0++;
      if (prev !== null && page !== prev && (refs[qp]!.get(prev) ?? 0) > 0) seen.giveUps++;
      lastTail[qp] = page;
    }
    for (const o of got) seen.highestPage = Math.max(seen.highestPage, o >>> BPAGE_SHIFT);
    for (const o of got) refs[qp]!.set(o >>> BPAGE_SHIFT, (refs[qp]!.get(o >>> BPAGE_SHIFT) ?? 0) + 1);
    given[qp]!.push(...got);
    if (pool.availBytes !== before) wantUpdates.push({ kind: updateKind('avail_bytes'), qp, value: pool.availBytes });
  };
  const applyRelease = (b: Record<string, number | bigint>) => {
    const qp = Number(b['qp']), offset = Number(b['offset']);
    const pool = pools[qp]!;
    const before = pool.availBytes;
    if (!pool.release(offset)) {
      wantDoubleFrees++;
      if (offset >>> BPAGE_SHIFT >= pool.numBpages) seen.pastRegion++; else seen.doubleFrees++;
      wantUpdates.push({ kind: updateKind('status_set'), qp, value: QpStatus.BPAGE_DOUBLE_FREE });
      return;
    }
    const page = offset >>> BPAGE_SHIFT;
    refs[qp]!.set(page, refs[qp]!.get(page)! - 1);
    if (pool.availBytes !== before) { seen.frees++; wantUpdates.push({ kind: updateKind('avail_bytes'), qp, value: pool.availBytes }); }
  };

  const lengthOf = (): number => {
    const r = rng.int(100);
    if (r < 3) return 0;
    if (r < 45) return rng.range(1, 1500);
    if (r < 60) return rng.range(1500, BPAGE_SIZE - 1);
    if (r < 70) return rng.range(1, 4) * BPAGE_SIZE;
    if (r < 85) return rng.range(BPAGE_SIZE, 300_000);
    if (r < 95) return rng.range(300_000, 1_000_000);
    return rng.range(1_000_000, (1 << 20) - 1);
  };
  const releaseOf = (draining: boolean): Beat => {
    const qp = rng.chance(0.05) ? neverEnabled : rng.pick(used);
    const r = draining ? 0 : rng.int(100);
    const mine = given[qp]!;
    if (r < 75 && mine.length) {
      // Most recent first half the time (always while draining): the owned page empties and
      // is carved from 0 again, and back-to-back releases hit one page.
      const i = draining || rng.chance(0.5) ? mine.length - 1 : rng.int(mine.length);
      const offset = mine.splice(i, 1)[0]!;
      returned[qp]!.push(offset);
      return { qp, offset };
    }
    if (r < 85 && returned[qp]!.length) return { qp, offset: rng.pick(returned[qp]!) };
    if (r < 95) return { qp, offset: (rng.range(pools[qp]!.numBpages, 0xffff) * BPAGE_SIZE + rng.int(BPAGE_SIZE)) >>> 0 };
    return { qp, offset: rng.next() };
  };

  let generated = 0;
  let lastSent = { events: events.sent.length, allocs: 0, releases: 0 };
  let doubleFrees = 0;
  const stop = sim.onCycle((cycle) => {
    // What the block took this cycle goes to the reference, in the block's order.
    const took = [events.sent.length - lastSent.events, allocs.sent.length - lastSent.allocs, releases.sent.length - lastSent.releases];
    if (took.reduce((a, b) => a + b) > 1) throw new Error(`cycle ${cycle}: the pool took more than one request in one cycle`);
    if (took[0]) applyEvent(events.sent[events.sent.length - 1] as Record<string, number | bigint>);
    if (took[1]) applyAlloc(allocs.sent[allocs.sent.length - 1] as Record<string, number | bigint>);
    if (took[2]) applyRelease(releases.sent[releases.sent.length - 1] as Record<string, number | bigint>);
    lastSent = { events: events.sent.length, allocs: allocs.sent.length, releases: releases.sent.length };
    if (sim.peek('double_free') === 1) doubleFrees++;

    // Keep one request of each kind waiting, made from what the pools hold now.
    if (generated >= ops) return;
    // Phases: allocs and releases mixed; then allocs only, into the first queue pair's large
    // region (it fills up to its last pages); then releases only, back to back.
    const phase = Math.floor(generated / 300) % 4;
    const filling = phase === 2, draining = phase === 3;
    if (allocs.pending === 0 && !draining && rng.chance(0.6)) {
      allocs.push({ qp: filling ? used[0]! : rng.chance(0.05) ? neverEnabled : rng.pick(used), length: filling && rng.chance(0.5) ? rng.range(300_000, 1_000_000) : lengthOf() });
      generated++;
    }
    if (releases.pending === 0 && !filling) { releases.push(releaseOf(draining)); generated++; }
    if (events.pending === 0 && rng.chance(0.004)) {
      const r = rng.int(10), qp = rng.pick(used.slice(1));   // the first keeps its large region
      events.push(r < 6 ? qpEvent('enable', qp, regionSize()) : qpEvent(r < 8 ? 'disable' : 'ctrl', qp, 0));
      generated++;
    }
  });

  await tb.until(() => generated >= ops && events.pending + allocs.pending + releases.pending === 0
    && grants.received.length === wantGrants.length && updates.received.length === wantUpdates.length, { timeout: 40 * ops });
  await tb.tick(4);
  stop();

  const mask = (1n << BigInt(pw)) - 1n;
  const gotGrants: GrantView[] = grants.received.map((b, i) => {
    const g = b as Record<string, number | bigint>;
    if (!g['ok']) return { ok: 0 };
    const n = wantGrants[i]?.pages?.length ?? 0;
    const pages = Array.from({ length: n }, (_, k) => Number((BigInt(g['pages']!) >> BigInt(k * pw)) & mask));
    return { ok: 1, pages, tail_offset: Number(g['tail_offset']) };
  });
  expect(gotGrants).toEqual(wantGrants);
  expect(updates.received).toEqual(wantUpdates);
  expect(doubleFrees).toBe(wantDoubleFrees);

  // The stimulus reached every case it is meant to.
  expect(seen.refusedAllocs).toBeGreaterThan(20);
  expect(seen.wholePages).toBeGreaterThan(100);
  expect(seen.doubleFrees).toBeGreaterThan(20);
  expect(seen.pastRegion).toBeGreaterThan(20);
  expect(seen.reenables).toBeGreaterThan(0);
  expect(seen.reuseFrom0).toBeGreaterThan(5);
  expect(seen.giveUps).toBeGreaterThan(5);
  expect(seen.frees).toBeGreaterThan(50);
  expect(seen.highestPage).toBeGreaterThan(P - 8);
  sim.dispose();
}

for (const engine of engines) {
  test(`bpool (ice40: 4 queue pairs, 64-page regions) answers as BpagePool under random requests and back-pressure (${engine})`, async () => {
    await poolsAgree(ENGINE_CONFIGS.ice40, engine, 7, 5000);
  });
  test(`bpool (arty: 16 queue pairs, 256-page regions) answers as BpagePool under random requests and back-pressure (${engine})`, async () => {
    await poolsAgree(ENGINE_CONFIGS.arty, engine, 21, 5000);
  });
  test(`bpool (u250: 256 queue pairs, 1024-page regions) answers as BpagePool under random requests and back-pressure (${engine})`, async () => {
    await poolsAgree(ENGINE_CONFIGS.u250, engine, 35, 5000);
  });
}
