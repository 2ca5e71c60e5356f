// Stream operators: a pipeline written as a chain passes every beat in order; arbitrate,
// fork and join built from streams carry the beats their blocks carry.

import { expect, test } from 'vitest';
import { module, record, stream, u } from '../hdl/index.ts';
import { arbitrate, flow, join } from './stream_ops.ts';
import { bench, engines, Rng } from './testing.ts';

const chain = module('chain', { in: stream.sink(u(16)), out: stream.source(u(16)) }, (m, io) => {
  flow(m, io.in).queue(4).pipe().queue(20).into(io.out);
});

const forkJoin = module('fork_join', { in: stream.sink(u(8)), out: stream.source(record({ a: u(8), b: u(8) })) }, (m, io) => {
  const [x, y] = flow(m, io.in).fork(2);
  join(m, { a: x!.pipe(), b: y!.queue(3) }).into(io.out);
});

const threeToOne = module('three_to_one', { in: stream.sinks(u(8), 3), out: stream.source(record({ index: u(2), data: u(8) })) }, (m, io) => {
  arbitrate(m, io.in).into(io.out);
});

for (const engine of engines) {
  test(`flow(m, in).queue(4).pipe().queue(20).into(out): every beat, in order (${engine})`, async () => {
    const { sim, tb } = await bench(chain, engine);
    const rng = new Rng(7);
    const beats = Array.from({ length: 400 }, () => rng.int(1 << 16));
    tb.driver('in', { validProbability: 0.7, seed: 1 }).push(...beats);
    const out = tb.monitor('out', { readyProbability: 0.5, seed: 2 });
    await tb.until(() => out.received.length === beats.length, { timeout: 10_000 });
    expect(out.received).toEqual(beats);
    sim.dispose();
  });
}

for (const engine of engines) {
  test(`fork then join pairs every beat with itself (${engine})`, async () => {
    const { sim, tb } = await bench(forkJoin, engine);
    const beats = Array.from({ length: 200 }, (_, i) => i & 0xff);
    tb.driver('in', { validProbability: 0.6, seed: 3 }).push(...beats);
    const out = tb.monitor('out', { readyProbability: 0.5, seed: 4 });
    await tb.until(() => out.received.length === beats.length, { timeout: 10_000 });
    expect(out.received).toEqual(beats.map((b) => ({ a: b, b })));
    sim.dispose();
  });

  test(`arbitrate(m, io.in) over an interface array: each input's beats, in order, tagged with the input (${engine})`, async () => {
    const { sim, tb } = await bench(threeToOne, engine);
    const perInput = [0, 1, 2].map((i) => Array.from({ length: 60 }, (_, k) => (i * 80 + k) & 0xff));
    perInput.forEach((b, i) => tb.driver(`in.${i}`, { validProbability: 0.5, seed: 10 + i }).push(...b));
    const out = tb.monitor('out', { readyProbability: 0.7, seed: 5 });
    await tb.until(() => out.received.length === 180, { timeout: 10_000 });
    for (let i = 0; i < 3; i++) {
      expect((out.received as { index: number; data: number }[]).filter((r) => r.index === i).map((r) => r.data)).toEqual(perInput[i]);
    }
    sim.dispose();
  });
}
