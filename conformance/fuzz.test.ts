// conformance/fuzz.test.ts — a short engine fuzz (conformance/fuzz.ts): bad and stray frames into
// an RTL NIC carrying real RPCs; every real RPC completes, the DMA watchdog never fires and
// every frame received is accounted for by exactly one receive counter. The long campaign is
// `npm run fuzz:engine -- --frames 1000000 --engine verilator`.

import { expect, test } from 'vitest';
import { verilatorUnavailable } from '../sim/verilator/index.ts';
import { runEngineFuzz } from './fuzz.ts';

const nic = verilatorUnavailable ? 'rtl' : 'rtl-verilator';

test(`engine fuzz on ${nic}: 300 bad and stray frames among real RPCs: no hang, no watchdog, every frame counted`, async () => {
  const lines: string[] = [];
  const r = await runEngineFuzz({ frames: 300, nic, seed: 7, log: (l) => lines.push(l) });
  expect(r.failure, lines.join('\n')).toBeNull();
  expect(r.realRpcs, 'real RPCs completed').toBeGreaterThan(10);
  expect({ hangs: r.hangs, watchdog: r.watchdog, uncounted: r.uncounted }, lines.join('\n')).toEqual({ hangs: 0, watchdog: 0, uncounted: 0 });
  // Frames went to many reasons: the fuzz reached past the parser, and the parser's checks.
  const reached = Object.entries(r.fates).filter(([, v]) => v > 0).map(([k]) => k);
  expect(reached.length, `counters that saw frames: ${reached.join(' ')}`).toBeGreaterThan(12);
}, 15 * 60_000);
