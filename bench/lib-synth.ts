// bench/lib-synth.ts — the Yosys targets the synthesis benches use (bench/lib.bench.ts,
// bench/engine-synth.bench.ts), how to read their `stat` output, and one synthesis run with
// its result cached by the Verilog's hash.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SynthResult { luts: number; ffs: number; brams: number; urams?: number; ltp: number; seconds: number }

export interface Target {
  readonly name: string;
  /** The synthesis command for top `top`. */
  script(top: string): string;
  /** Cell types that hold state (deleted before `ltp`, so paths end at them). */
  readonly sequential: string;
  lut(cell: string): boolean;
  ff(cell: string): boolean;
  /** Block RAM count (36 Kbit blocks) contributed by one cell of this type. */
  bram(cell: string): number;
  /** UltraRAM blocks contributed by one cell of this type. */
  uram?(cell: string): number;
}

/** UltraScale+ (the Alveo U250's part): block RAM and UltraRAM. */
export const XCUP: Target = {
  name: 'xcup',
  script: (top) => `synth_xilinx -family xcup -flatten -noiopad -top ${top}`,
  sequential: 't:FD* t:RAMB* t:URAM* t:RAM32* t:RAM64* t:RAM128* t:RAM256* t:RAM512* t:SRL*',
  lut: (c) => /^LUT[1-6]$/.test(c),
  ff: (c) => /^FD/.test(c),
  bram: (c) => (c === 'RAMB36E2' ? 1 : c === 'RAMB18E2' ? 0.5 : 0),
  uram: (c) => (c === 'URAM288' ? 1 : 0),
};

export const TARGETS: readonly Target[] = [
  {
    name: 'ice40',
    script: (top) => `synth_ice40 -top ${top}`,
    sequential: 't:SB_DFF* t:SB_RAM40_4K',
    lut: (c) => c === 'SB_LUT4',
    ff: (c) => c.startsWith('SB_DFF'),
    bram: (c) => (c === 'SB_RAM40_4K' ? 1 : 0),
  },
  {
    name: 'xc7',
    script: (top) => `synth_xilinx -family xc7 -flatten -noiopad -top ${top}`,
    sequential: 't:FD* t:RAMB* t:RAM32* t:RAM64* t:RAM128* t:RAM256* t:SRL*',
    lut: (c) => /^LUT[1-6]$/.test(c),
    ff: (c) => /^FD/.test(c),
    bram: (c) => (c === 'RAMB36E1' ? 1 : c === 'RAMB18E1' ? 0.5 : 0),
  },
];

/** Cell counts from a Yosys `stat` report (the top module's, the last block printed). */
export function parseStat(text: string, t: Target): Omit<SynthResult, 'ltp' | 'seconds'> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^\s+(\$?[A-Za-z_][\w$]*)\s+(\d+)\s*$/gm)) counts.set(m[1]!, Number(m[2]));
  let luts = 0, ffs = 0, brams = 0, urams = 0;
  for (const [cell, n] of counts) {
    if (t.lut(cell)) luts += n;
    if (t.ff(cell)) ffs += n;
    brams += t.bram(cell) * n;
    urams += (t.uram?.(cell) ?? 0) * n;
  }
  return { luts, ffs, brams, urams };
}

export interface SynthJob { name: string; top: string; file: string; target: Target; key: string; dir: string }

/** Yosys on one design: stat, then `ltp -noff` with the state cells deleted (paths end at them). Cached by `key`. */
export function synthesize(job: SynthJob): Promise<SynthResult> {
  const cache = join(job.dir, `${job.top}.${job.target.name}.${job.key}.json`);
  if (existsSync(cache)) return Promise.resolve(JSON.parse(readFileSync(cache, 'utf8')) as SynthResult);
  const statFile = join(job.dir, `${job.top}.${job.target.name}.stat`);
  const ltpFile = join(job.dir, `${job.top}.${job.target.name}.ltp`);
  const script = `read_verilog ${job.file}; ${job.target.script(job.top)}; tee -q -o ${statFile} stat; ` +
    `delete ${job.target.sequential}; tee -q -o ${ltpFile} ltp -noff`;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn('yosys', ['-q', '-p', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) { reject(new Error(`yosys ${job.target.name} on ${job.name} failed (exit ${code}): ${err.slice(0, 2000)}`)); return; }
      const ltp = /length=(\d+)/.exec(readFileSync(ltpFile, 'utf8'));
      const r: SynthResult = { ...parseStat(readFileSync(statFile, 'utf8'), job.target), ltp: ltp ? Number(ltp[1]) : 0, seconds: (Date.now() - started) / 1000 };
      writeFileSync(cache, JSON.stringify(r));
      resolve(r);
    });
  });
}
