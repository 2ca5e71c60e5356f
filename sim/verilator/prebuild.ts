// sim/verilator/prebuild.ts — builds the Verilator addons of example designs into the cache
// ahead of a test run (CI warm-up) and prints where each one is.
//
//   npx tsx sim/verilator/prebuild.ts [--cache-dir DIR] [--optimize=-O2] [name ...]   (default: every example)

import { parseArgs } from 'node:util';
import { exampleDesigns } from '../../hw/examples/index.ts';
import { buildModel, type BuildOptions } from './build.ts';

const { values, positionals } = parseArgs({ options: { 'cache-dir': { type: 'string' }, optimize: { type: 'string' } }, allowPositionals: true });
const designs: Record<string, ReturnType<typeof exampleDesigns>[keyof ReturnType<typeof exampleDesigns>]> = exampleDesigns();
const names = positionals.length ? positionals : Object.keys(designs);
for (const name of names) {
  const def = designs[name];
  if (!def) throw new Error(`no example design '${name}' (examples: ${Object.keys(designs).join(', ')})`);
  const optimize = values.optimize as BuildOptions['optimize'];
  if (optimize && !['-O0', '-O1', '-O2', '-O3'].includes(optimize)) throw new Error(`--optimize: one of -O0 -O1 -O2 -O3 (got ${optimize})`);
  const model = await buildModel(def, { cacheDir: values['cache-dir'], optimize });
  console.log(`${name} ${model.cached ? 'cached' : 'built'} ${model.dir}`);
}
