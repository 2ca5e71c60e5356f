import { expect, test } from 'vitest';
import { Testbench, simulate } from '../hdl/sim/index.ts';
import { beat } from './beat.ts';
import { frameArbiter } from './frame_arbiter.ts';
import { engines, Rng } from './testing.ts';

// Frames of 1-6 beats from three inputs, offered with random gaps (also inside frames) to an
// output with random back-pressure. Checked: the output is whole frames, one input at a time
// (a frame's beats never interleave with another's), each input's frames in order and intact;
// and at every frame boundary the lowest-numbered input offering a first beat wins.
for (const engine of engines) {
  test(`frame arbiter passes whole frames, lowest input first at each boundary (${engine})`, async () => {
    const n = 3, B = 4;
    const sim = await simulate(frameArbiter(beat(B), n), { engine });
    sim.reset(2);
    const tb = new Testbench(sim);
    const rng = new Rng(9);
    const frames: { data: number; keep: number; last: number }[][][] = [];
    for (let i = 0; i < n; i++) {
      const list = [];
      for (let f = 0; f < 60; f++) {
        const len = rng.range(1, 6);
        list.push(Array.from({ length: len }, (_, k) => ({ data: (i << 24) | (f << 8) | k, keep: 0xf, last: k === len - 1 ? 1 : 0 })));
      }
      frames.push(list);
    }
    // At every cycle the output offers a beat, note whether it starts a frame and who offered a first beat then.
    const valid = Array.from({ length: n }, (_, i) => sim.port(`in_${i}_valid`));
    const data = Array.from({ length: n }, (_, i) => sim.port(`in_${i}_data`));
    const [outValid, outReady, outData, outLast] = [sim.port('out_valid'), sim.port('out_ready'), sim.port('out_data'), sim.port('out_last')];
    let atBoundary = true, violations = 0, boundaries = 0, contested = 0;
    let lockedFirst: number | null = null;
    sim.onCycle(() => {
      if (outValid.get() !== 1) return;
      const src = Number(outData.get()) >>> 24;
      if (atBoundary && lockedFirst === null) {
        // A new frame is offered: the lowest input with a frame start waiting must be the one.
        const starts = valid.map((v, i) => v.get() === 1 && (Number(data[i]!.get()) & 0xff) === 0);
        const want = starts.indexOf(true);
        if (want !== src) violations++;
        if (starts.filter(Boolean).length > 1) contested++;
        boundaries++;
        lockedFirst = src;
      }
      if (outReady.get() === 1) {
        lockedFirst = null;
        atBoundary = outLast.get() === 1;
      }
    });
    frames.forEach((list, i) => tb.driver(`in.${i}`, { validProbability: 0.5, seed: rng.next() }).push(...list.flat()));
    const out = tb.monitor('out', { readyProbability: 0.7, seed: 3 });
    const total = frames.flat(2).length;
    await tb.until(() => out.received.length === total, { timeout: 20_000 });
    // Whole frames, one source at a time.
    const got = out.received.map((b) => b as { data: number; last: number });
    const per: number[][][] = Array.from({ length: n }, () => []);
    let cur: number[] = [];
    for (const b of got) {
      if (cur.length > 0) expect(b.data >>> 24).toBe(cur[0]! >>> 24);
      cur.push(b.data);
      if (b.last) { per[cur[0]! >>> 24]!.push(cur); cur = []; }
    }
    frames.forEach((list, i) => expect(per[i]).toEqual(list.map((f) => f.map((x) => x.data))));
    expect(violations).toBe(0);
    expect(boundaries).toBe(n * 60);
    expect(contested).toBeGreaterThan(10);
    sim.dispose();
  });
}
