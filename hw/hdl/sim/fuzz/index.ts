// hw/hdl/sim/fuzz — differential fuzzing of the simulation engines against Icarus Verilog.
//
//   const { cases, mismatches } = await fuzzAgainstIcarus({ seed: 1, designs: 200 });
//
// Design i of seed s and its stimulus are pure functions of (s, i), so a mismatch is
// reproduced by `fuzzCase(s, i)` alone. Other pairs of engines (js against Verilator) use
// fuzzCase + runStimulus + compareTraces directly.

import type { ModuleDef } from '../../module.ts';
import type { IoSpec } from '../../ports.ts';
import { elaborate } from '../../design.ts';
import { JsSimulator, simulate } from '../index.ts';
import { randomDesign } from './design.ts';
import { runIcarus } from './icarus.ts';
import { Rng } from './random.ts';
import { compareTraces, portsOf, randomStimulus, runStimulus, type Mismatch, type Stimulus } from './stimulus.ts';

export { randomDesign } from './design.ts';
export { Rng, randomWidth } from './random.ts';
export { compareTraces, portsOf, randomStimulus, runStimulus, type Mismatch, type Stimulus, type Trace } from './stimulus.ts';
export { hasIcarus, icarusMissing, runIcarus, type IcarusCase, type IcarusTrace } from './icarus.ts';

export interface FuzzCase { readonly index: number; readonly def: ModuleDef<IoSpec>; readonly stim: Stimulus }

/** Design `index` of the run seeded `seed`, with `cycles` cycles of random stimulus. */
export function fuzzCase(seed: number, index: number, cycles = 30): FuzzCase {
  const def = randomDesign(seed, index);
  const stim = randomStimulus(portsOf(def), cycles, new Rng(seed ^ 0x5eed).fork(index));
  return { index, def, stim };
}

export interface FuzzResult {
  readonly designs: number;
  /** Designs whose outputs differed, with the first few differences of each. */
  readonly failures: readonly { readonly index: number; readonly mismatches: readonly Mismatch[] }[];
}

export interface FuzzOptions {
  readonly seed: number;
  readonly designs: number;
  /** Index of the first design (default 0). */
  readonly first?: number;
  readonly cycles?: number;
  /** Engine compared with Icarus (default 'js'). */
  readonly engine?: string;
}

/** Runs designs first..first+designs-1 on the engine and in Icarus; every output, every cycle. */
export async function fuzzAgainstIcarus(o: FuzzOptions): Promise<FuzzResult> {
  const first = o.first ?? 0;
  const cases = Array.from({ length: o.designs }, (_, i) => fuzzCase(o.seed, first + i, o.cycles));
  const icarus = runIcarus(cases);
  const engine: bigint[][][] = [];
  for (const c of cases) {
    // The js engine gets small generated functions (a few hundred characters), so values
    // cross function boundaries everywhere, as they do in big designs.
    const sim = (o.engine ?? 'js') === 'js' ? new JsSimulator(elaborate(c.def), { chunkChars: 200 + 150 * (c.index % 8) }) : await simulate(c.def, { engine: o.engine });
    engine.push(runStimulus(sim, c.stim));
    sim.dispose();
  }
  const expected = await icarus;
  const failures = cases
    .map((c, i) => ({ index: c.index, mismatches: compareTraces(c.stim, expected[i]!, engine[i]!).slice(0, 5) }))
    .filter((f) => f.mismatches.length > 0);
  return { designs: cases.length, failures };
}
