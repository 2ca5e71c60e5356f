// test/layers.test.ts — imports go down the layers (STYLE.md, ARCHITECTURE.md): every relative
// import in the repository's TypeScript, tests included, checked against the rules below.
// The seams where an upper layer plugs into a lower one are registries (host-lib's
// registerBackend, hw/hdl/sim's registerEngine) bound in plugins/.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** [folder, folders it must not import from]: the lower layer first. */
const RULES: readonly (readonly [string, readonly string[]])[] = [
  ['hw/', ['sim/', 'test/', 'host-lib/', 'driver/', 'boards/', 'plugins/', 'tools/', 'conformance/', 'bin/', 'bench/', 'examples/', 'scripts/']],
  ['hw/hdl/', ['hw/lib/', 'hw/homa/', 'hw/examples/', 'hw/designs.ts']],
  ['hw/lib/', ['hw/homa/', 'hw/examples/', 'hw/designs.ts']],
  ['host-lib/', ['driver/', 'boards/', 'plugins/', 'tools/', 'conformance/', 'bin/']],
];

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.') || e.name === 'dist' || e.name === 'build') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative specifiers of static imports, re-exports and dynamic imports (string literals). */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/gm)) {
    const s = m[1] ?? m[2] ?? m[3]!;
    if (s.startsWith('.')) specs.push(s);
  }
  return specs;
}

test('the import scanner sees static, side-effect, re-export and dynamic imports', () => {
  expect(importsOf(`import { a } from '../x.ts';\nimport '../y.ts';\nexport * from './z.ts';\nconst m = await import('../../w.ts');\nimport type {\n  T,\n} from 'node:fs';`))
    .toEqual(['../x.ts', '../y.ts', './z.ts', '../../w.ts']);
});

test('imports go down the layers: nothing under hw/ imports sim/, test/, host-lib/ or driver/; host-lib/ never imports driver/ or boards/', () => {
  const broken: string[] = [];
  for (const [layer, forbidden] of RULES) {
    for (const file of sources(layer.replace(/\/$/, ''))) {
      for (const spec of importsOf(readFileSync(join(root, file), 'utf8'))) {
        const target = relative(root, resolve(root, dirname(file), spec)).split('\\').join('/');
        const hit = forbidden.find((f) => target === f || target.startsWith(f));
        if (hit) broken.push(`${file} imports ${target} (${layer} is below ${hit})`);
      }
    }
  }
  expect(broken).toEqual([]);
});
