#!/usr/bin/env node
// scripts/build.mjs — `npm run build` (and npm's prepare, so a git URL or a packed tarball
// installs built): compiles the TypeScript the package ships (tsconfig.build.json: the
// libraries and the homa-nic command, no tests) to JavaScript and declarations in dist/, then
// copies what the code reads at run time beside its JavaScript (the workload tables, the
// Verilator addon's C++ templates). Plain Node, no dependencies beyond TypeScript.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : join(root, 'dist');

let tsc;
try {
  tsc = join(dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  // An install from the registry ships dist/ already built: nothing to do without TypeScript.
  if (existsSync(join(root, 'dist', 'host-lib', 'index.js'))) process.exit(0);
  process.stderr.write('build: TypeScript is not installed (npm install first)\n');
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

/** Files read at run time, next to the module that reads them. */
const ASSETS = [
  ['sim/workloads/data', () => true],
  ['sim/verilator', (f) => /\.(cpp|h)$/.test(f) || f === 'glue.ts'],
];
for (const [dir, keep] of ASSETS) {
  for (const f of readdirSync(join(root, dir))) if (keep(f)) cpSync(join(root, dir, f), join(out, dir, f));
}
process.stderr.write(`build: ${out}\n`);
