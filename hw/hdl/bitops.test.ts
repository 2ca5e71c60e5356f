// The bit utilities against JS references, for random values at widths around the word
// boundaries, on every engine.

import { expect, test } from 'vitest';
import { input, module, output, u, clog2 } from './index.ts';
import { leadingZeros, oneHot, oneHotIndex, popcount, priorityEncode, reverse, rotateLeft, rotateRight, trailingZeros } from './bitops.ts';
import { simulate, testEngines } from './sim/index.ts';
import { Rng } from './sim/rng.ts';

function bitsDesign(w: number) {
  const cw = clog2(w + 1), iw = Math.max(1, clog2(w));
  return module(`bitops_${w}`, {
    x: input(u(w)), k: input(u(6)), i: input(u(iw)),
    pop: output(u(cw)), clz: output(u(cw)), ctz: output(u(cw)), pri: output(u(iw)), oh: output(u(w)), ohi: output(u(iw)),
    rev: output(u(w)), rol3: output(u(w)), rolk: output(u(w)), rork: output(u(w)),
  }, (m, io) => {
    m.comb(() => {
      io.pop.set(popcount(io.x));
      io.clz.set(leadingZeros(io.x));
      io.ctz.set(trailingZeros(io.x));
      io.pri.set(priorityEncode(io.x));
      io.oh.set(oneHot(io.i, w));
      io.ohi.set(oneHotIndex(oneHot(io.i, w)));
      io.rev.set(reverse(io.x));
      io.rol3.set(rotateLeft(io.x, 3));
      io.rolk.set(rotateLeft(io.x, io.k));
      io.rork.set(rotateRight(io.x, io.k));
    });
  });
}

const mask = (w: number) => (1n << BigInt(w)) - 1n;
const rol = (x: bigint, k: number, w: number) => { const s = BigInt(k % w); return ((x << s) | (x >> (BigInt(w) - s))) & mask(w); };
const ref = (x: bigint, k: number, i: number, w: number) => {
  const bits = Array.from({ length: w }, (_, b) => (x >> BigInt(b)) & 1n);
  const lowest = bits.indexOf(1n), highest = bits.lastIndexOf(1n);
  return {
    pop: bits.filter((b) => b === 1n).length,
    clz: highest < 0 ? w : w - 1 - highest,
    ctz: lowest < 0 ? w : lowest,
    pri: lowest < 0 ? 0 : lowest,
    oh: i < w ? 1n << BigInt(i) : 0n,
    ohi: i < w ? i : 0,
    rev: bits.reduce((acc, b, j) => acc | (b << BigInt(w - 1 - j)), 0n),
    rol3: rol(x, 3, w), rolk: rol(x, k, w), rork: rol(x, w - (k % w), w),
  };
};

const widths = [1, 5, 8, 13, 33];
for (const engine of testEngines().run) {
  test(`popcount, leading/trailing zeros, priority encoder, one-hot, rotates and reverse match JS at widths ${widths.join(', ')} (${engine})`, async () => {
    const rng = new Rng(20);
    for (const w of widths) {
      const sim = await simulate(bitsDesign(w), { engine });
      const iw = Math.max(1, clog2(w));
      for (let n = 0; n < 200; n++) {
        const x = n < 2 ? (n === 0 ? 0n : mask(w)) : rng.bits(w), k = rng.int(64), i = rng.int(1 << iw);
        sim.poke('x', w <= 32 ? Number(x) : x);
        sim.poke('k', k);
        sim.poke('i', i);
        const want = ref(x, k, i, w);
        for (const [name, v] of Object.entries(want)) expect(BigInt(sim.peek(name)), `${name} of ${x} (w ${w}, k ${k}, i ${i})`).toBe(BigInt(v));
      }
      sim.dispose?.();
    }
  });
}
