// bench/engine-synth.bench.ts — `npm run bench:engine-synth [config] [block...]`: every block of
// the engine (hw/homa/engine) synthesised alone with Yosys `synth_xilinx` for UltraScale+ (the
// U250's family; the ice40/arty configurations use the same target for comparison), its LUTs,
// flip-flops, block RAMs (36 Kbit), UltraRAMs and longest combinational path in cells (`ltp
// -noff` after deleting flip-flops and RAMs, so paths end at them): the proxy ENGINE.md uses
// for 250 MHz (<= 10 cells). Two Yosys processes at a time, progress on stderr, results cached
// by the Verilog's hash in build/engine-synth (large blocks take minutes).
// The last line: `engine-synth: config=<c> ltp_max=<cells> block=<deepest> luts=<n> ffs=<n>
// bram36=<n> uram=<n>`, the resources summed over the blocks.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toVerilog, type ModuleDef } from '../hw/hdl/index.ts';
import type { IoSpec } from '../hw/hdl/ports.ts';
import { engineBlocks } from '../hw/homa/engine/blocks.ts';
import { engineConfig } from '../hw/homa/engine/config.ts';
import { synthesize, XCUP, type SynthResult } from './lib-synth.ts';

const c = engineConfig(process.argv[2] ?? 'u250');
const only = process.argv.slice(3);
const dir = join('build', 'engine-synth');
mkdirSync(dir, { recursive: true });
const log = (s: string): void => { process.stderr.write(`${s}\n`); };

const blocks = Object.entries(engineBlocks(c)).filter(([n]) => only.length === 0 || only.includes(n)) as [string, ModuleDef<IoSpec>][];
const jobs = blocks.map(([name, def]) => {
  const v = toVerilog(def);
  const file = join(dir, `${v.top}.v`);
  writeFileSync(file, v.text);
  const key = createHash('sha256').update(v.text).update(XCUP.script('T')).digest('hex').slice(0, 16);
  return { name, top: v.top, file, target: XCUP, key, dir };
});

const results = new Map<string, SynthResult>();
let next = 0;
const started = Date.now();
async function worker(): Promise<void> {
  while (next < jobs.length) {
    const job = jobs[next++]!;
    log(`engine-synth: ${job.name} (${job.top}) ...`);
    const r = await synthesize(job);
    results.set(job.name, r);
    log(`engine-synth: ${job.name}: ${r.luts} LUTs, ${r.ffs} FFs, ${r.brams} BRAM36, ${r.urams ?? 0} URAM, longest path ${r.ltp} cells (${r.seconds.toFixed(0)} s)  [${results.size}/${jobs.length}, ${((Date.now() - started) / 1000).toFixed(0)} s]`);
  }
}
await Promise.all([worker(), worker()]);

console.log('block              LUTs      FFs  BRAM36   URAM  longest path (cells)');
let deepest = { name: '', ltp: -1 };
const sum = { luts: 0, ffs: 0, brams: 0, urams: 0 };
for (const [name] of blocks) {
  const r = results.get(name)!;
  console.log(`${name.padEnd(16)} ${String(r.luts).padStart(6)} ${String(r.ffs).padStart(8)} ${String(r.brams).padStart(7)} ${String(r.urams ?? 0).padStart(6)} ${String(r.ltp).padStart(21)}`);
  if (r.ltp > deepest.ltp) deepest = { name, ltp: r.ltp };
  sum.luts += r.luts; sum.ffs += r.ffs; sum.brams += r.brams; sum.urams += r.urams ?? 0;
}
console.log(`engine-synth: config=${c.name} ltp_max=${deepest.ltp} block=${deepest.name} luts=${sum.luts} ffs=${sum.ffs} bram36=${sum.brams} uram=${sum.urams}`);
