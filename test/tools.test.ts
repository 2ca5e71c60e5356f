// Every design the project defines passes the three tools hardware engineers will run on it:
// Verilator's lint with every warning on, Icarus in Verilog-2005 mode, and Yosys synthesis
// with no latch inferred. Skipped, with what to install, where a tool is missing.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { elaborate, toVerilog } from '../hw/hdl/index.ts';
import { allDesigns } from '../hw/designs.ts';

/**
 * Designs whose Verilog is this long (the engine) get Yosys's elaboration (hierarchy, processes
 * to logic, where a latch would appear, and the structural checks) rather than synthesis, which
 * takes many minutes for them; `npm run bench:engine-synth` synthesises the engine block by
 * block, and technology mapping is the board flows' work.
 */
const LARGE_VERILOG = 300_000;

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['verilator', 'iverilog', 'yosys'].filter((t) => !has(t));
if (missing.length) console.warn(`tool checks skipped: install with apt-get install ${missing.join(' ')}`);
const dir = mkdtempSync(join(tmpdir(), 'homa-verilog-'));
const files = Object.entries(allDesigns()).map(([name, def]) => {
  const v = toVerilog(def);
  const file = join(dir, `${v.top}.v`);
  writeFileSync(file, v.text);
  const memBits = elaborate(def).flat.memories.reduce((n, m) => Math.max(n, m.width * m.depth), 0);
  return { name, top: v.top, file, memBits, large: v.text.length > LARGE_VERILOG };
});

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe.runIf(has('verilator'))('verilator --lint-only -Wall', () => {
  test.each(files)('$name', ({ file }) => {
    const r = run('verilator', ['--lint-only', '-Wall', file]);
    expect(r.out).toBe('');
    expect(r.ok).toBe(true);
  });
});

describe.runIf(has('iverilog'))('iverilog -g2005', () => {
  test.each(files)('$name', ({ file }) => {
    const r = run('iverilog', ['-g2005', '-Wall', '-o', '/dev/null', file]);
    expect(r.out.split('\n').filter((l) => l.trim() && !/timescale/.test(l))).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

describe.runIf(has('yosys'))('yosys synth, no latches', () => {
  test.each(files)('$name', ({ file, top, large }) => {
    const synth = large ? `hierarchy -top ${top}; proc; opt_clean` : `synth -top ${top}`;
    const r = run('yosys', ['-q', '-p', `read_verilog ${file}; ${synth}; select -assert-none t:$dlatch t:$_DLATCH_* t:$_DLATCH*; check -assert`]);
    expect(r.out.split('\n').filter((l) => /warning|error|latch/i.test(l))).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

// Memories are written so synthesis infers block RAM rather than flip-flops.
describe.runIf(has('yosys'))('memories map to block RAM (yosys synth_ice40)', () => {
  const withRam = files.filter((f) => f.memBits >= 128 && !f.large);
  test.each(withRam)('$name', ({ file, top }) => {
    const r = run('yosys', ['-p', `read_verilog ${file}; synth_ice40 -top ${top}; stat`]);
    expect(r.ok).toBe(true);
    const stat = r.out.slice(r.out.lastIndexOf('Printing statistics'));
    expect(stat).toMatch(/SB_RAM40_4K\s+[1-9]/);
  });
});

test('every design has its own top module name (files are named after it)', () => {
  const tops = files.map((f) => f.top);
  expect(tops.filter((t, i) => tops.indexOf(t) !== i)).toEqual([]);
});
