// hw/hdl/sim/fuzz/random.ts — the fuzzer's choices on the project's seeded generator
// (../rng.ts), so design N from seed S is the same design on every machine and every run.

import type { Rng } from '../rng.ts';

export { Rng } from '../rng.ts';

/** A width from 1..max, weighted towards the boundaries where bugs live (1, 31-33, 63-65). */
export function randomWidth(rng: Rng, max = 200): number {
  const r = rng.int(20);
  let w: number;
  if (r < 8) w = rng.range(1, 8);
  else if (r < 13) w = rng.range(9, 32);
  else if (r < 16) w = rng.pick([1, 31, 32, 33, 63, 64, 65, 96, 128]);
  else w = rng.range(33, 200);
  return Math.min(w, max);
}
