import { expect, test } from 'vitest';
import { u } from '../hdl/index.ts';
import { streamDemux, streamMux } from './stream_mux.ts';
import { bench, engines, Rng } from './testing.ts';

// References: the mux sends, for each select beat s, the next beat of input s; the demux sends
// each input beat to the output its select beat names, in order.
for (const engine of engines) {
  test(`mux follows the select stream beat by beat (${engine})`, async () => {
    const { sim, tb } = await bench(streamMux(u(16), 4), engine);
    const rng = new Rng(31);
    const selects = Array.from({ length: 600 }, () => rng.int(4));
    const perInput = [0, 1, 2, 3].map((i) => selects.filter((s) => s === i).map((_, k) => i * 10000 + k));
    perInput.forEach((beats, i) => tb.driver(`in.${i}`, { validProbability: 0.5 + 0.1 * i, seed: i + 1 }).push(...beats));
    tb.driver('select', { validProbability: 0.7, seed: 9 }).push(...selects);
    const out = tb.monitor('out', { readyProbability: 0.6, seed: 8 });
    await tb.until(() => out.received.length === selects.length, { timeout: 20_000 });
    const next = [0, 0, 0, 0];
    expect(out.received).toEqual(selects.map((s) => s * 10000 + next[s]!++));
    sim.dispose();
  });

  test(`demux sends each beat where its select says (${engine})`, async () => {
    const { sim, tb } = await bench(streamDemux(u(16), 4), engine);
    const rng = new Rng(32);
    const selects = Array.from({ length: 600 }, () => rng.int(4));
    const beats = selects.map((_, k) => k);
    tb.driver('in', { validProbability: 0.8, seed: 1 }).push(...beats);
    tb.driver('select', { validProbability: 0.6, seed: 2 }).push(...selects);
    const outs = [0, 1, 2, 3].map((i) => tb.monitor(`out.${i}`, { readyProbability: 0.3 + 0.2 * i, seed: 5 + i }));
    await tb.until(() => outs.reduce((n, o) => n + o.received.length, 0) === beats.length, { timeout: 20_000 });
    outs.forEach((o, i) => expect(o.received).toEqual(beats.filter((k) => selects[k] === i)));
    sim.dispose();
  });
}
