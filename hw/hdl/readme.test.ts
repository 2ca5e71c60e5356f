// hw/hdl/README.md's snippets run: every ```ts run``` block is written out beside the build
// output, type-checked and imported, so the README cannot drift from the DSL it describes.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const readme = readFileSync(join(here, 'README.md'), 'utf8');
const snippets = [...readme.matchAll(/^```ts run\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
// Inside the repository (build/ is ignored) so the package's own name resolves.
const dir = join(root, 'build', 'readme-snippets');

test('the README has runnable snippets', () => {
  expect(snippets.length).toBeGreaterThanOrEqual(5);
});

test('the README snippets type-check (strict, as the project)', () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  snippets.forEach((code, i) => writeFileSync(join(dir, `snippet-${i + 1}.ts`), `${code}\nexport {};\n`));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', include: ['*.ts'] }));
  const tsc = join(dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  expect(`${r.stdout}${r.stderr}`).toBe('');
});

snippets.forEach((code, i) => {
  const first = code.split('\n').find((l) => !l.startsWith('import') && l.trim()) ?? '';
  test(`README snippet ${i + 1} runs: ${first.slice(0, 60)}`, async () => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `snippet-${i + 1}.ts`);
    writeFileSync(file, `${code}\nexport {};\n`);
    await import(pathToFileURL(file).href);
  });
});
