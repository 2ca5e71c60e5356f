import { expect, test } from 'vitest';
import { u } from '../hdl/index.ts';
import { Testbench } from '../hdl/sim/index.ts';
import { ramFifo, regFifo } from './fifo.ts';
import { bench, engines, Rng } from './testing.ts';

// Reference: a FIFO of `depth` entries: beats leave in order; the count is beats held; a full
// FIFO refuses beats (never overwrites).
const cases = [
  { name: 'register FIFO', make: () => regFifo(u(16), 5), depth: 5 },
  { name: 'block RAM FIFO', make: () => ramFifo(u(16), 6), depth: 6 },
];

for (const engine of engines) {
  for (const c of cases) {
    test(`${c.name} keeps order under random valid and back-pressure, counts, and refuses when full (${engine})`, async () => {
      const { sim, tb } = await bench(c.make(), engine);
      const rng = new Rng(11);
      const beats = Array.from({ length: 800 }, () => rng.int(1 << 16));
      tb.driver('in', { validProbability: 0.8, seed: 5 }).push(...beats);
      const out = tb.monitor('out', { readyProbability: 0.5, seed: 6 });
      await tb.until(() => out.received.length === beats.length, { timeout: 10_000 });
      expect(out.received).toEqual(beats);
      expect(sim.peek('count')).toBe(0);
      tb.dispose();

      // Nobody reads: the FIFO fills to its depth, says so, and keeps the first `depth` beats.
      sim.poke('out_ready', 0);
      const fill = new Testbench(sim);
      const more = Array.from({ length: c.depth + 3 }, (_, i) => 1000 + i);
      const d = fill.driver('in').push(...more);
      await fill.tick(3 * c.depth + 5);
      expect(sim.peek('count')).toBe(c.depth);
      expect(sim.peek('in_ready')).toBe(0);
      expect(d.pending).toBe(3);
      const drain = fill.monitor('out', { readyProbability: 0.7, seed: 9 });
      await fill.until(() => drain.received.length === more.length, { timeout: 1000 });
      expect(drain.received).toEqual(more);
      sim.dispose();
    });
  }
}
