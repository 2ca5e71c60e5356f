import { expect, test } from 'vitest';
import { beatNarrow, beatWiden } from './width_converter.ts';
import { narrowModel, packetBeats, widenModel, type BeatValue } from './models.ts';
import { bench, engines, Rng } from './testing.ts';

const NARROW = 8, RATIO = 8;

function packets(seed: number, count: number): Uint8Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Uint8Array.from({ length: rng.range(1, 200) }, () => rng.int(256)));
}
const asBeat = (b: unknown): BeatValue => {
  const o = b as { data: number | bigint; keep: number | bigint; last: number };
  return { data: BigInt(o.data), keep: BigInt(o.keep), last: o.last };
};

for (const engine of engines) {
  test(`8 -> 64 byte widening matches its reference on random packets (${engine})`, async () => {
    const { sim, tb } = await bench(beatWiden(NARROW, RATIO), engine);
    const input = packets(51, 120).flatMap((p) => packetBeats(p, NARROW));
    tb.driver('in', { validProbability: 0.8, seed: 1 }).push(...input);
    const out = tb.monitor('out', { readyProbability: 0.5, seed: 2 });
    const want = widenModel(input, NARROW, RATIO);
    await tb.until(() => out.received.length === want.length, { timeout: 50_000 });
    expect(out.received.map(asBeat)).toEqual(want);
    sim.dispose();
  });

  test(`64 -> 8 byte narrowing matches its reference on random packets (${engine})`, async () => {
    const { sim, tb } = await bench(beatNarrow(NARROW, RATIO), engine);
    const input = packets(52, 120).flatMap((p) => packetBeats(p, NARROW * RATIO));
    tb.driver('in', { validProbability: 0.3, seed: 3 }).push(...input);
    const out = tb.monitor('out', { readyProbability: 0.7, seed: 4 });
    const want = narrowModel(input, NARROW, RATIO);
    await tb.until(() => out.received.length === want.length, { timeout: 50_000 });
    expect(out.received.map(asBeat)).toEqual(want);
    sim.dispose();
  });
}

test('the width references round-trip a packet', () => {
  for (const p of packets(53, 50)) {
    expect(narrowModel(widenModel(packetBeats(p, NARROW), NARROW, RATIO), NARROW, RATIO)).toEqual(packetBeats(p, NARROW));
  }
});
