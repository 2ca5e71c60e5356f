// bench/lib-check.ts — `npx tsx bench/lib-check.ts [name...]`: emits each library design and
// runs the three tools the project's tools test runs (Verilator -Wall lint, Icarus -g2005,
// Yosys synth with no latch), printing any complaint. A quick loop for library authors.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toVerilog } from '../hw/hdl/index.ts';
import { libDesigns } from '../hw/lib/index.ts';

const dir = 'build/lib-check';
mkdirSync(dir, { recursive: true });
const wanted = process.argv.slice(2);
let bad = 0;
const tops = new Map<string, string>();
for (const [name, def] of Object.entries(libDesigns())) {
  if (wanted.length && !wanted.includes(name)) continue;
  const v = toVerilog(def);
  const file = join(dir, `${v.top}.v`);
  if (tops.has(v.top)) console.log(`FAIL ${name}: top '${v.top}' also used by ${tops.get(v.top)}`);
  tops.set(v.top, name);
  writeFileSync(file, v.text);
  const runs: [string, string[], (out: string) => string[]][] = [
    ['verilator', ['--lint-only', '-Wall', `--top-module`, v.top, file], (o) => o.split('\n').filter((l) => l.trim())],
    ['iverilog', ['-g2005', '-Wall', '-o', '/dev/null', file], (o) => o.split('\n').filter((l) => l.trim() && !/timescale/.test(l))],
    ['yosys', ['-q', '-p', `read_verilog ${file}; synth -top ${v.top}; select -assert-none t:$dlatch t:$_DLATCH_* t:$_DLATCH*; check -assert`], (o) => o.split('\n').filter((l) => /warning|error|latch/i.test(l))],
  ];
  const problems: string[] = [];
  for (const [cmd, args, filter] of runs) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    const lines = filter(`${r.stdout}${r.stderr}`);
    if (r.status !== 0 || lines.length) problems.push(`${cmd} (exit ${r.status}):\n  ${lines.slice(0, 15).join('\n  ')}`);
  }
  if (problems.length) bad++;
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${name} (${v.top})${problems.length ? '\n' + problems.join('\n') : ''}`);
}
process.exit(bad ? 1 : 0);
