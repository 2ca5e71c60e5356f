import { expect, test } from 'vitest';
import { u } from '../hdl/index.ts';
import { streamJoin } from './join.ts';
import { bench, engines, Rng } from './testing.ts';

// Reference: a join pairs the i-th beats of its inputs.
for (const engine of engines) {
  test(`join pairs the beats of its inputs in order (${engine})`, async () => {
    const { sim, tb } = await bench(streamJoin({ a: u(8), b: u(16) }), engine);
    const rng = new Rng(22);
    const as = Array.from({ length: 400 }, () => rng.int(256));
    const bs = Array.from({ length: 400 }, () => rng.int(1 << 16));
    tb.driver('in.a', { validProbability: 0.6, seed: 2 }).push(...as);
    tb.driver('in.b', { validProbability: 0.4, seed: 3 }).push(...bs);
    const out = tb.monitor('out', { readyProbability: 0.6, seed: 4 });
    await tb.until(() => out.received.length === as.length, { timeout: 10_000 });
    expect(out.received).toEqual(as.map((a, i) => ({ a, b: bs[i]! })));
    sim.dispose();
  });
}
