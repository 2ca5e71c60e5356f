// hw/homa/engine/bpool.bench.ts — cycles per bpool operation, measured in simulation (js
// engine, every consumer always ready, requests offered back to back).
//
//   npx tsx hw/homa/engine/bpool.bench.ts [config]      (default u250)
//
// Prints, per operation: latency (cycles from the cycle a request is first offered to the
// cycle its grant or update is offered; 1 is the least a registered answer can take) and
// throughput (cycles per operation, requests back to back).

import { simulate, Testbench, type Beat } from '../../hdl/sim/index.ts';
import { BPAGE_SIZE } from '../bpages.ts';
import { engineConfig } from './config.ts';
import { bpool } from './bpool.ts';
import { qpEventKind } from './types.ts';

const c = engineConfig(process.argv[2] ?? 'u250');
const sim = await simulate(bpool(c));
sim.reset(2);
const tb = new Testbench(sim);
const events = tb.driver('qp_event');
const allocs = tb.driver('alloc');
const releases = tb.driver('release');
let lastGrant = 0, lastUpdate = 0;
const grants = tb.monitor('grant', { onBeat: (_b, cycle) => { lastGrant = cycle; } });
const updates = tb.monitor('update', { onBeat: (_b, cycle) => { lastUpdate = cycle; } });

const enable = (qp: number, bpages: number): Beat => ({
  kind: Number(qpEventKind.values.enable), qp, gen: 0, server: 0, irq: 0, port: 1,
  sq_base: 0n, sq_log: 4, cq_base: 0n, cq_log: 4, bret_base: 0n, bret_log: 4,
  bpool_base: 0n, bpool_bpages: bpages, send_base: 0n, send_size: 0,
});

/** Cycles until `cond`, after queueing `start()` (offered from this cycle on). */
async function cycles(start: () => void, cond: () => boolean): Promise<number> {
  start();
  return tb.until(cond, { timeout: 1_000_000 });
}
/** Cycles from offering `start()` to the answer (a grant or an update) being offered. */
async function latency(start: () => void, answer: 'grant' | 'update'): Promise<number> {
  const from = sim.cycle;
  const [g, u] = [grants.received.length, updates.received.length];
  await cycles(start, () => (answer === 'grant' ? grants.received.length > g : updates.received.length > u));
  return (answer === 'grant' ? lastGrant : lastUpdate) - from;
}
const row = (what: string, latency: number | string, per: number | string) =>
  console.log(`${what.padEnd(52)} ${String(latency).padStart(8)} ${String(per).padStart(12)}`);

console.log(`bpool_${c.name}: ${c.queuePairs} queue pairs, ${c.maxRegionBpages}-page regions (js engine, no back-pressure)`);
console.log(`${'operation'.padEnd(52)} ${'latency'.padStart(8)} ${'cycles/op'.padStart(12)}`);

// Enable: the bitmap sweep, then the avail_bytes update.
row('enable (sweep of the bitmap)', await latency(() => events.push(enable(0, c.maxRegionBpages)), 'update'), '-');

// A first tail claims the owned page (a take); the ones after are carved from it.
row('alloc 100 B, no owned page yet (1 take)', await latency(() => allocs.push({ qp: 0, length: 100 }), 'grant'), '-');
await tb.tick(2);
row('alloc 100 B, tail from the owned page', await latency(() => allocs.push({ qp: 0, length: 100 }), 'grant'), '-');
await tb.tick(2);
const N = 600;   // 600 x 100 B fit one page: every one a carve
let g0 = grants.received.length;
const tailRun = await cycles(() => { for (let i = 0; i < N; i++) allocs.push({ qp: 0, length: 100 }); }, () => grants.received.length === g0 + N);
row(`${N} allocs of 100 B back to back`, '-', (tailRun / N).toFixed(2));

for (const k of [1, 4, 15]) {
  await tb.tick(2);
  const first = grants.received.length;
  const lat = await latency(() => allocs.push({ qp: 0, length: k * BPAGE_SIZE }), 'grant');
  await tb.tick(2);
  g0 = grants.received.length;
  const n = Math.min(20, Math.floor((c.maxRegionBpages - 2 - k) / (k + 1)));   // all of them fit
  const run = await cycles(() => { for (let i = 0; i < n; i++) allocs.push({ qp: 0, length: k * BPAGE_SIZE + 100 }); }, () => grants.received.length === g0 + n);
  if (grants.received.slice(g0).some((g) => !(g as Record<string, number>)['ok'])) throw new Error('bench: an alloc was refused');
  row(`alloc of ${k} whole page(s) + 100 B (${n} back to back)`, lat, (run / n).toFixed(2));
  // Give them back (whole pages), for the next size.
  const back: Beat[] = [];
  for (const g of grants.received.slice(first)) {
    const pages = BigInt((g as Record<string, number | bigint>)['pages']!);
    for (let i = 0; i < k; i++) back.push({ qp: 0, offset: Number((pages >> BigInt(i * Math.log2(c.maxRegionBpages))) & BigInt(c.maxRegionBpages - 1)) * BPAGE_SIZE });
  }
  const u1 = updates.received.length;
  const rel = await cycles(() => releases.push(...back), () => updates.received.length === u1 + back.length);
  row(`release of a whole page (${back.length} back to back)`, '-', (rel / back.length).toFixed(2));
}

// Releases of pieces of the owned page (no update until the last) and a refused one.
await tb.tick(2);
const r0 = releases.sent.length;
const pieceRun = await cycles(() => { for (let i = 1; i <= 300; i++) releases.push({ qp: 0, offset: i * 100 }); }, () => releases.sent.length === r0 + 300);
row('release of a tail piece (300 back to back)', '-', (pieceRun / 300).toFixed(2));
await tb.tick(2);
row('release refused (double free)', await latency(() => releases.push({ qp: 0, offset: 0x7fff_0000 }), 'update'), '-');

// Allocs and releases offered together: they alternate.
await tb.tick(2);
g0 = grants.received.length;
const r1 = releases.sent.length;
const mixed = await cycles(() => {
  for (let i = 0; i < 200; i++) { allocs.push({ qp: 0, length: 50 }); releases.push({ qp: 0, offset: (400 + i) * 100 }); }
}, () => grants.received.length === g0 + 200 && releases.sent.length === r1 + 200);
row('alloc 50 B + release, 200 pairs offered together', '-', `${(mixed / 200).toFixed(2)} per pair`);
sim.dispose();
