// bench/sim.fuzz.ts — differential fuzzing of a simulation engine against Icarus Verilog.
//
//   npm run fuzz:sim -- --designs 1000 --seed 7 [--engine js] [--cycles 30] [--first 0]
//
// Prints each failing design (reproduce with fuzzCase(seed, index) from hw/hdl/sim/fuzz)
// and, as its last line: `sim-fuzz: <N> designs, <M> mismatches` (M = designs that differed).

import { parseArgs } from 'node:util';
import { fuzzAgainstIcarus, hasIcarus, icarusMissing } from '../hw/hdl/sim/fuzz/index.ts';

const { values } = parseArgs({
  options: {
    designs: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    engine: { type: 'string', default: 'js' },
    cycles: { type: 'string', default: '30' },
    first: { type: 'string', default: '0' },
  },
});
const designs = Number(values.designs), seed = Number(values.seed), cycles = Number(values.cycles), first = Number(values.first);
const engine = values.engine;

if (!hasIcarus()) {
  console.error(icarusMissing);
  process.exit(2);
}
// The Verilator engine is registered (as a loader) by plugins/engines.ts.
await import('../plugins/engines.ts');

const BATCH = 200;
let done = 0, failed = 0;
const t0 = performance.now();
for (let start = first; start < first + designs; start += BATCH) {
  const n = Math.min(BATCH, first + designs - start);
  const r = await fuzzAgainstIcarus({ seed, designs: n, first: start, cycles, engine });
  for (const f of r.failures) {
    failed++;
    console.log(`MISMATCH seed=${seed} design=${f.index}: ${f.mismatches.map((m) => `cycle ${m.cycle} ${m.output}: icarus=${m.expected} ${engine}=${m.actual}`).join('; ')}`);
  }
  done += r.designs;
  console.log(`  ${done}/${designs} designs, ${failed} mismatching, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
console.log(`sim-fuzz: ${done} designs, ${failed} mismatches`);
process.exitCode = failed ? 1 : 0;
