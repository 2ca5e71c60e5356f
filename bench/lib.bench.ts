// bench/lib.bench.ts — `npm run bench:lib`: synthesises every hw/lib block with Yosys for
// iCE40 (synth_ice40) and Xilinx 7-series (synth_xilinx) and prints, per block, LUTs,
// flip-flops, block RAMs and the longest combinational path in cells (Yosys `ltp -noff`, run
// after deleting the flip-flops and RAMs so paths end at them). Two Yosys processes at a
// time; results are cached by the Verilog's hash in build/lib-bench (delete it to redo).
// The last line is the summary the project tracks.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toVerilog } from '../hw/hdl/index.ts';
import { libBenchDesigns } from '../hw/lib/index.ts';
import { synthesize, type SynthResult, type Target, TARGETS } from './lib-synth.ts';

const dir = 'build/lib-bench';
mkdirSync(dir, { recursive: true });
const only = process.argv.slice(2);

interface Job { name: string; top: string; file: string; target: Target; key: string }

const jobs: Job[] = [];
for (const [name, def] of Object.entries(libBenchDesigns())) {
  if (only.length && !only.includes(name)) continue;
  const v = toVerilog(def);
  const file = join(dir, `${v.top}.v`);
  writeFileSync(file, v.text);
  for (const target of TARGETS) {
    const key = createHash('sha256').update(v.text).update(target.script('T')).digest('hex').slice(0, 16);
    jobs.push({ name, top: v.top, file, target, key });
  }
}

const runYosys = (job: Job): Promise<SynthResult> => synthesize({ ...job, dir });

async function main(): Promise<void> {
  const results = new Map<string, SynthResult>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      results.set(`${job.name}/${job.target.name}`, await runYosys(job));
    }
  };
  await Promise.all([worker(), worker()]);
  const names = [...new Set(jobs.map((j) => j.name))];
  for (const name of names) {
    const top = jobs.find((j) => j.name === name)!.top;
    console.log(`\n${name} (${top})`);
    console.log('  target      LUTs     FFs   BRAMs  longest path (cells)  yosys s');
    for (const t of TARGETS) {
      const r = results.get(`${name}/${t.name}`)!;
      console.log(`  ${t.name.padEnd(9)} ${String(r.luts).padStart(6)} ${String(r.ffs).padStart(7)} ${String(r.brams).padStart(7)} ${String(r.ltp).padStart(21)} ${r.seconds.toFixed(1).padStart(8)}`);
    }
  }
  console.log('\nBRAMs: SB_RAM40_4K (4 Kbit) on ice40; RAMB36E1 equivalents (RAMB18E1 = 0.5) on xc7.');
  const mf = results.get('minfinder64/xc7'), ht = results.get('hash4096/xc7');
  // The hash table's one lookup per cycle is a property of its pipeline, checked by its test.
  if (mf) console.log(`goal: minfinder64 one decision per cycle with ltp <= 8 cells on xc7: ${mf.ltp <= 8 ? 'met' : 'NOT met'} (${mf.ltp})`);
  console.log(`lib-synth: ${names.length} blocks, minfinder64 ltp=${mf?.ltp ?? '?'} luts=${mf?.luts ?? '?'}, hash4096 ltp=${ht?.ltp ?? '?'} brams=${ht?.brams ?? '?'}`);
}

main().catch((e: unknown) => { console.error(`bench:lib: ${(e as Error).message}`); process.exit(1); });
