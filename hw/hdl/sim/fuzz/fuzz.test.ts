// Differential fuzzing: a few hundred random designs (every operator, widths 1..200, signed
// and unsigned, registers, memories, nested when/switch, FSMs, submodules) run in the js
// engine and in Icarus from the emitted Verilog; every output must agree on every cycle.
// `npm run fuzz:sim -- --designs N --seed S` runs more.

import { describe, expect, test } from 'vitest';
import { toVerilog } from '../../index.ts';
import { fuzzAgainstIcarus, fuzzCase, hasIcarus, icarusMissing } from './index.ts';

const icarus = hasIcarus();
if (!icarus) console.warn(`sim fuzz: skipped. ${icarusMissing}`);

describe('random designs', () => {
  test('are a pure function of (seed, index) and differ between indices', () => {
    const a = toVerilog(fuzzCase(7, 3).def, { simInit: true }).text;
    expect(toVerilog(fuzzCase(7, 3).def, { simInit: true }).text).toBe(a);
    expect(toVerilog(fuzzCase(7, 4).def, { simInit: true }).text).not.toBe(a);
    expect(fuzzCase(7, 3).stim.values).toEqual(fuzzCase(7, 3).stim.values);
  });

  test('cover the operators, memories, switches and submodules they claim to', () => {
    const text = Array.from({ length: 30 }, (_, i) => toVerilog(fuzzCase(1, i).def, { simInit: true }).text).join('\n');
    for (const needle of [' * ', ' - ', ' + ', ' & ', ' | ', ' ^ ', '~', '>>>', '<<', ' >> ', '$signed', ' < ', ' >= ', ' == ', ' != ',
      'case (', 'end else if', 'reg  [', '_rdata', '_wmask', 'localparam', '_sub u0 (', '{{']) {
      expect(text, needle).toContain(needle);
    }
    const widths = [...text.matchAll(/\[(\d+):0\]/g)].map((m) => Number(m[1]) + 1);
    expect(Math.max(...widths)).toBeGreaterThan(150);
    expect(widths).toContain(1 + 31);
  });
});

describe.runIf(icarus)('js engine against Icarus', () => {
  for (const seed of [1, 2]) {
    test(`120 random designs, seed ${seed}: every output equal every cycle`, async () => {
      const r = await fuzzAgainstIcarus({ seed, designs: 120 });
      expect(r.designs).toBe(120);
      expect(r.failures).toEqual([]);
    });
  }
});
