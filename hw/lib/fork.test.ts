import { expect, test } from 'vitest';
import { u } from '../hdl/index.ts';
import { streamFork } from './fork.ts';
import { bench, engines, Rng } from './testing.ts';

// Reference: a fork copies every beat to every output, in order.
for (const engine of engines) {
  test(`fork gives every output every beat, each at its own pace (${engine})`, async () => {
    const { sim, tb } = await bench(streamFork(u(16), 3), engine);
    const rng = new Rng(21);
    const beats = Array.from({ length: 500 }, () => rng.int(1 << 16));
    tb.driver('in', { validProbability: 0.8, seed: 1 }).push(...beats);
    const outs = [0, 1, 2].map((i) => tb.monitor(`out.${i}`, { readyProbability: [0.9, 0.5, 0.3][i]!, seed: 10 + i }));
    await tb.until(() => outs.every((o) => o.received.length === beats.length), { timeout: 10_000 });
    for (const o of outs) expect(o.received).toEqual(beats);
    sim.dispose();
  });
}
