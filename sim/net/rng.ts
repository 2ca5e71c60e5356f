// sim/net/rng.ts — the project's seeded generator (hw/hdl/sim/rng.ts: xoshiro128**, seeded
// from (seed, stream)), so every random choice in a run (faults, spraying, arrivals, sizes)
// is reproducible from one seed.

export { Rng } from '../../hw/hdl/sim/rng.ts';
