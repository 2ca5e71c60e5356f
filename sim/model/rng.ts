// sim/model/rng.ts — the project's seeded generator (hw/hdl/sim/rng.ts) as the model uses it:
// a function returning uniform floats in [0, 1), so runs and tests repeat exactly.

export type Rng = () => number;
export { seededRng } from '../../hw/hdl/sim/rng.ts';
