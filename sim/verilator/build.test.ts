// The build cache: one entry per distinct design, safe under concurrent builders (in one
// process and across processes), stale locks broken, and clear errors for missing tools.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { counter } from '../../hw/examples/index.ts';
import { buildModel, cacheEntry } from './build.ts';
import { INSTALL_HINT, probeToolchain, ToolchainError } from './toolchain.ts';
import { verilatorUnavailable } from './index.ts';
import { createVerilatorSimulator } from './engine.ts';

const here = dirname(fileURLToPath(import.meta.url));
const made: string[] = [];
const freshCache = () => { const d = mkdtempSync(join(tmpdir(), 'homa-vcache-')); made.push(d); return d; };
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
/** Cache entries, temporaries and locks in `dir` (the runtime lives in the shared default cache). */
const entries = (dir: string) => readdirSync(dir).sort();

test('a missing tool is named, with the command that installs it', () => {
  const t = probeToolchain({ ...process.env, VERILATOR: '/nonexistent/verilator' });
  expect(t).toBeInstanceOf(ToolchainError);
  expect((t as ToolchainError).message).toMatch(/Verilator \('\/nonexistent\/verilator' not found/);
  expect((t as ToolchainError).message).toContain(`Install with: ${INSTALL_HINT}`);
  expect(INSTALL_HINT).toBe('apt-get install verilator g++ make');
  const c = probeToolchain({ ...process.env, CXX: '/nonexistent/g++' });
  expect((c as ToolchainError).message).toMatch(/a C\+\+ compiler/);
});

describe.skipIf(verilatorUnavailable !== null)('build cache', () => {
  test('the key follows the Verilog and the options', () => {
    const a = cacheEntry(counter(8)), b = cacheEntry(counter(8)), c = cacheEntry(counter(9));
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
    expect(cacheEntry(counter(8), { optimize: '-O0' }).key).not.toBe(a.key);
    expect(a.key).toMatch(/^counter-[0-9a-f]{20}$/);
  });

  test('concurrent builds of one design in one process make one entry; the next load is cached', async () => {
    const cacheDir = freshCache();
    const [x, y] = await Promise.all([buildModel(counter(5), { cacheDir, optimize: '-O0' }), buildModel(counter(5), { cacheDir, optimize: '-O0' })]);
    expect(x.dir).toBe(y.dir);
    expect(entries(cacheDir)).toEqual([x.dir.slice(cacheDir.length + 1)]);
    const again = await buildModel(counter(5), { cacheDir, optimize: '-O0' });
    expect(again.cached).toBe(true);
    const sim = await createVerilatorSimulator(counter(5), { cacheDir, optimize: '-O0' });
    sim.reset();
    sim.poke('enable', 1);
    sim.step(33);
    expect(sim.peek('count')).toBe(1); // 33 mod 32
    sim.dispose();
  });

  test('two processes building the same design at once leave one good entry and no temporaries', async () => {
    const cacheDir = freshCache();
    const script = join(here, 'prebuild.ts');
    const runOne = () => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, '--cache-dir', cacheDir, '--optimize=-O0', 'small_fifo'], { env: { ...process.env, HOMA_QUIET: '1' } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(out))));
    });
    const outs = await Promise.all([runOne(), runOne()]);
    const dirs = outs.map((o) => /small_fifo (?:built|cached) (\S+)/.exec(o)?.[1]);
    expect(dirs[0]).toBeDefined();
    expect(dirs[1]).toBe(dirs[0]);
    expect(entries(cacheDir)).toEqual([dirs[0]!.slice(cacheDir.length + 1)]);
    expect(entries(dirs[0]!)).toEqual(['addon.node', 'design.v', 'layout.json', 'public.vlt']);
  });

  test('a lock left by a dead process is broken; leftovers of killed builds and long-unused models are pruned', async () => {
    const cacheDir = freshCache();
    const { dir } = cacheEntry(counter(6), { cacheDir, optimize: '-O0' });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(`${dir}.lock`, { recursive: true });
    writeFileSync(join(`${dir}.lock`, 'pid'), dead.stdout);
    const old = (name: string, days: number) => {
      mkdirSync(join(cacheDir, name));
      const t = new Date(Date.now() - days * 24 * 3600 * 1000);
      utimesSync(join(cacheDir, name), t, t);
    };
    old('tmp-killed', 1);
    old('tmp-recent', 0);
    old('counter-0123456789abcdef0123', 40);
    old('counter-aaaaaaaaaaaaaaaaaaaa', 10);
    const built = await buildModel(counter(6), { cacheDir, optimize: '-O0' });
    expect(built.dir).toBe(dir);
    expect(existsSync(`${dir}.lock`)).toBe(false);
    expect(entries(cacheDir)).toEqual(['counter-aaaaaaaaaaaaaaaaaaaa', dir.slice(cacheDir.length + 1), 'tmp-recent'].sort());
  });
});

describe.skipIf(verilatorUnavailable !== null)('several models in one thread', () => {
  // Verilator's runtime reaches "the" context through a per-thread pointer that the newest
  // model sets. Freeing an older model after a newer one once read the newer, already freed
  // context and blocked forever on its mutex (a test worker that never exited). Freed memory is
  // poisoned here (glibc's MALLOC_PERTURB_) so that a stale read cannot pass by luck, and the
  // models live in a child process because a deadlock in native code ignores test timeouts.
  test('models freed oldest last, by dispose() and by the garbage collector, free cleanly', () => {
    const engine = join(here, 'engine.ts');
    const examples = join(here, '..', '..', 'hw', 'examples', 'index.ts');
    const code = `
      import { createVerilatorSimulator } from ${JSON.stringify(engine)};
      import { counter } from ${JSON.stringify(examples)};
      const make = () => createVerilatorSimulator(counter(7), { optimize: '-O0' });
      const [a, b, c] = [await make(), await make(), await make()];
      for (const s of [a, b, c]) { s.reset(); s.poke('enable', 1); s.step(3); }
      c.dispose(); b.dispose(); a.step(2);
      if (a.peek('count') !== 5) throw new Error('count ' + a.peek('count'));
      a.dispose();
      let d = await make(); let e = await make(); d.step(1); e.step(1);
      e = null; d = null;
      for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      process.stdout.write('freed');
    `;
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8', timeout: 90_000, env: { ...process.env, HOMA_QUIET: '1', MALLOC_PERTURB_: '165' },
    });
    expect(r.signal, `the child hung (killed by ${r.signal}): ${r.stderr}`).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('freed');
    expect(r.status).toBe(0);
  });
});
