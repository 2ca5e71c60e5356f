// sim/verilator/stimulus.ts — random input stimulus for differential runs (tests, fuzz script).

import type { Simulator } from '../../hw/hdl/sim/simulator.ts';
import { Rng } from '../../hw/hdl/sim/fuzz/random.ts';

/**
 * Pokes random values into every input each cycle, with rst high about one cycle in
 * `resetEvery`. Returns the function that stops it.
 */
export function randomStimulus(sim: Simulator, seed: number, resetEvery = 50): () => void {
  const rng = new Rng(seed);
  const inputs = sim.ports.filter((p) => p.dir === 'in');
  return sim.onCycle(() => {
    for (const p of inputs) sim.poke(p.name, p.name === 'rst' ? rng.chance(1 / resetEvery) : rng.bits(p.width));
  });
}
