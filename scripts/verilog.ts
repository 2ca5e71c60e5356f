// scripts/verilog.ts — `npm run verilog -- --out DIR`: writes the Verilog of every design
// the project defines, one self-contained file per top, and prints the list.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { elaborate, toVerilog, ElaborationError } from '../hw/hdl/index.ts';
import { allDesigns } from '../hw/designs.ts';

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({ options: { out: { type: 'string', default: 'build/verilog' }, only: { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (e) {
    console.error(`verilog: ${(e as Error).message}\nusage: npm run verilog -- [--out DIR] [--only NAME]`);
    process.exit(2);
  }
  if (values.help) {
    console.log('usage: npm run verilog -- [--out DIR] [--only NAME]\nWrites one <top>.v per design (the top and every module below it).');
    return;
  }
  const designs = allDesigns();
  const names = values.only ? values.only.split(',') : Object.keys(designs);
  for (const n of names) {
    if (!designs[n]) {
      console.error(`verilog: no design named '${n}'; known designs: ${Object.keys(designs).join(', ')}`);
      process.exit(2);
    }
  }
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  const written = new Map<string, string>();
  for (const n of names) {
    try {
      const v = toVerilog(designs[n]!);
      // Files are named after their top module (as Verilator's lint expects): two designs
      // with one top name would overwrite each other.
      const other = written.get(v.top);
      if (other) { console.error(`verilog: designs '${other}' and '${n}' both have the top module '${v.top}'; give one of them another module name`); process.exit(1); }
      written.set(v.top, n);
      const file = join(out, `${v.top}.v`);
      writeFileSync(file, v.text);
      console.log(`${file}  (${v.modules.length} module${v.modules.length > 1 ? 's' : ''}: ${v.modules.join(', ')})`);
      // Elaboration warnings (unused inputs and wires, registers never assigned) do not stop
      // the build; they are listed here, on stderr.
      for (const w of elaborate(designs[n]!).warnings) console.error(`warning: ${w.loc}: ${w.message} (module ${w.module})`);
    } catch (e) {
      if (e instanceof ElaborationError) { console.error(`verilog: design '${n}': ${e.message}`); process.exit(1); }
      throw e;
    }
  }
}

main();
