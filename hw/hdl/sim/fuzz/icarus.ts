// hw/hdl/sim/fuzz/icarus.ts — runs many designs in Icarus Verilog at once, from the emitted
// Verilog, with the same stimulus the in-process engines get.
//
// vvp's start-up and iverilog's compile dominate for small designs, so a batch puts every
// design and one testbench module per design into one file (module names carry the design's
// index), compiles it once and runs it once; batches run in parallel, one per core.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { toVerilog } from '../../design.ts';
import type { ModuleDef } from '../../module.ts';
import type { IoSpec } from '../../ports.ts';
import type { Stimulus } from './stimulus.ts';

export interface IcarusCase { readonly def: ModuleDef<IoSpec>; readonly stim: Stimulus }
/** Per case, per cycle, per output: the value, or Icarus's text when it holds x or z bits. */
export type IcarusTrace = (bigint | string)[][];

/** Whether iverilog and vvp are installed (tests skip with a message when not). */
export function hasIcarus(): boolean {
  return spawnSync('sh', ['-c', 'command -v iverilog && command -v vvp'], { stdio: 'ignore' }).status === 0;
}
export const icarusMissing = 'Icarus Verilog not found: apt-get install iverilog';

function literal(width: number, v: bigint): string { return `${width}'h${v.toString(16)}`; }

/** One testbench module driving design `k` cycle by cycle and printing its outputs before each edge. */
function testbench(k: number, top: string, stim: Stimulus): string {
  const clocked = stim.inputs.some((p) => p.name === 'rst');
  const L: string[] = [`module tb_${k};`];
  if (clocked) L.push('  reg clk = 1\'b0;');
  const dims = (w: number) => (w > 1 ? `[${w - 1}:0] ` : '');
  for (const p of stim.inputs) L.push(`  reg ${dims(p.width)}${p.name};`);
  for (const p of stim.outputs) L.push(`  wire ${dims(p.width)}${p.name};`);
  const conns = [...(clocked ? ['clk'] : []), ...stim.inputs.map((p) => p.name), ...stim.outputs.map((p) => p.name)];
  L.push(`  ${top} dut (${conns.map((n) => `.${n}(${n})`).join(', ')});`);
  L.push('  initial begin');
  const fmt = stim.outputs.map(() => ' %h').join('');
  const args = stim.outputs.map((p) => `, ${p.name}`).join('');
  stim.values.forEach((row, c) => {
    L.push(`    ${stim.inputs.map((p, i) => `${p.name} = ${literal(p.width, row[i]!)};`).join(' ')}`);
    L.push(`    #1 $display("R ${k} ${c}${fmt}"${args});`);
    L.push(clocked ? '    clk = 1\'b1; #1 clk = 1\'b0; #1;' : '    #2;');
  });
  L.push('  end', 'endmodule', '');
  return L.join('\n');
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd });
    const out: Buffer[] = [], err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() }));
  });
}

async function runBatch(cases: readonly IcarusCase[], first: number, dir: string): Promise<IcarusTrace[]> {
  const parts: string[] = ['`timescale 1ns/1ns'];
  cases.forEach((c, i) => {
    const v = toVerilog(c.def, { simInit: true });
    parts.push(v.text, testbench(first + i, v.top, c.stim));
  });
  const src = join(dir, `batch${first}.v`), bin = join(dir, `batch${first}.vvp`);
  writeFileSync(src, parts.join('\n'));
  const comp = await run('iverilog', ['-g2005', '-o', bin, src], dir);
  if (comp.code !== 0) throw new Error(`iverilog failed on ${src}:\n${comp.err.slice(0, 4000)}`);
  const sim = await run('vvp', ['-n', bin], dir);
  if (sim.code !== 0) throw new Error(`vvp failed on ${bin}:\n${sim.err.slice(0, 4000)}`);
  const traces: IcarusTrace[] = cases.map(() => []);
  for (const line of sim.out.split('\n')) {
    if (!line.startsWith('R ')) continue;
    const [, ks, cs, ...vals] = line.trim().split(/\s+/);
    const trace = traces[Number(ks) - first]!;
    trace[Number(cs)] = vals.map((h) => (/^[0-9a-f]+$/i.test(h) ? BigInt(`0x${h}`) : h));
  }
  return traces;
}

/** Output traces of every case, in order. Cases are split into one batch per core. */
export async function runIcarus(cases: readonly IcarusCase[], options: { batches?: number; keepDir?: boolean } = {}): Promise<IcarusTrace[]> {
  const dir = mkdtempSync(join(tmpdir(), 'homa-icarus-'));
  try {
    const n = Math.max(1, Math.min(options.batches ?? availableParallelism(), cases.length));
    const size = Math.ceil(cases.length / n);
    const jobs: Promise<IcarusTrace[]>[] = [];
    for (let b = 0; b * size < cases.length; b++) jobs.push(runBatch(cases.slice(b * size, (b + 1) * size), b * size, dir));
    return (await Promise.all(jobs)).flat();
  } finally {
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  }
}
