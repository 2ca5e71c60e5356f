// sim/verilator/fuzz.ts — differential fuzzing, JS engine against Verilator, on the random
// designs of hw/hdl/sim/fuzz (the same designs and stimulus the Icarus fuzzer uses).
//
//   npx tsx sim/verilator/fuzz.ts [--designs 20] [--seed 1] [--first 0] [--cycles 200]
//
// Prints each failing design and, last: `verilator-fuzz: <N> designs, <M> mismatches,
// <K> rejected by Verilator`. Every output is compared every cycle from cycle 0 (both engines
// start registers at their reset values, unlike Icarus's X).

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareTraces, fuzzCase, runStimulus, type Mismatch } from '../../hw/hdl/sim/fuzz/index.ts';
import { simulate } from '../../hw/hdl/sim/index.ts';
import './index.ts';

export type FuzzOutcome =
  | { readonly index: number; readonly kind: 'ok' }
  | { readonly index: number; readonly kind: 'mismatch'; readonly mismatches: readonly Mismatch[] }
  | { readonly index: number; readonly kind: 'rejected'; readonly message: string };

/** Runs random design `index` of `seed` for `cycles` cycles on both engines and compares them. */
export async function fuzzOne(seed: number, index: number, cycles: number): Promise<FuzzOutcome> {
  const c = fuzzCase(seed, index, cycles);
  const js = await simulate(c.def, { engine: 'js' });
  const expected = runStimulus(js, c.stim);
  js.dispose();
  let sim;
  try {
    sim = await simulate(c.def, { engine: 'verilator' });
  } catch (e) {
    const message = (e as Error).message;
    if (/Verilator rejected/.test(message)) return { index, kind: 'rejected', message: message.split('\n').filter((l) => l.startsWith('%Error')).slice(0, 2).join(' ') };
    throw e;
  }
  const actual = runStimulus(sim, c.stim);
  sim.dispose();
  const mismatches = compareTraces(c.stim, expected, actual, 0).slice(0, 5);
  return mismatches.length ? { index, kind: 'mismatch', mismatches } : { index, kind: 'ok' };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    designs: { type: 'string', default: '20' }, seed: { type: 'string', default: '1' },
    first: { type: 'string', default: '0' }, cycles: { type: 'string', default: '200' },
  } });
  const [designs, seed, first, cycles] = [values.designs, values.seed, values.first, values.cycles].map(Number) as [number, number, number, number];
  let mismatched = 0, rejected = 0;
  for (let i = first; i < first + designs; i++) {
    const r = await fuzzOne(seed, i, cycles);
    if (r.kind === 'mismatch') {
      mismatched++;
      console.log(`MISMATCH seed=${seed} design=${i}: ${r.mismatches.map((m) => `cycle ${m.cycle} ${m.output}: js=${m.expected} verilator=${m.actual}`).join('; ')}`);
    } else if (r.kind === 'rejected') {
      rejected++;
      console.log(`REJECTED seed=${seed} design=${i}: ${r.message}`);
    }
  }
  console.log(`verilator-fuzz: ${designs} designs, ${mismatched} mismatches, ${rejected} rejected by Verilator`);
  process.exitCode = mismatched || rejected ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
