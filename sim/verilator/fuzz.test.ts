// Differential fuzzing in the default run: a few random designs (every IR operator, widths
// up to 200 bits, memories, FSMs, hierarchy) run on the JS engine and on Verilator with the
// same random stimulus, resets included; every output must agree every cycle. Longer runs:
// `npx tsx sim/verilator/fuzz.ts --designs 200`.

import { expect, test } from 'vitest';
import { fuzzOne } from './fuzz.ts';
import { verilatorUnavailable } from './index.ts';

// Seed 2 design 33 instantiates a large child twice: Verilator kept it as a separate class
// (its registers out of reach, starting at 0) until the build passed --flatten.
test.skipIf(verilatorUnavailable !== null).each([[1, 0], [1, 1], [1, 2], [1, 3], [2, 33]])('seed %i, random design %i: JS and Verilator agree for 300 cycles', async (seed, index) => {
  const r = await fuzzOne(seed, index, 300);
  expect(r).toEqual({ index, kind: 'ok' });
});
