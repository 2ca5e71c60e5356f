// sim/verilator/build.ts — Verilog to a loaded addon, through a build cache.
//
// A design's addon lives in build/verilator-cache/<key>/ where the key hashes everything the
// binary depends on: the Verilog, Verilator's and g++'s versions, the flags, the addon
// template and the glue generator. Verilator's runtime is compiled once per toolchain into
// its own cache entry and linked into every addon. Entries are built in a temporary directory
// and renamed into place, under a lock directory, so parallel test workers neither corrupt an
// entry nor build the same one twice.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { elaborate, toVerilog, type ModuleDef } from '../../hw/hdl/index.ts';
import { generateGlue, publicConfig, type AddonLayout } from './glue.ts';
import { progress, requireToolchain, run, type Toolchain } from './toolchain.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

/** The native side of one simulator instance (see addon.cpp). */
export interface NativeSim {
  settle(): void;
  step(cycles: number): void;
  pullSignal(index: number): void;
  pullAll(): void;
  readMem(memory: number, address: number): void;
  writeMem(memory: number, address: number): void;
  dispose(): void;
}

export interface BuiltModel {
  readonly dir: string;
  readonly layout: AddonLayout;
  /** Creates one model instance sharing `buffer` (layout.totalWords 32-bit words). */
  create(buffer: ArrayBuffer): NativeSim;
  /** Whether the addon came from the cache. */
  readonly cached: boolean;
}

export interface BuildOptions {
  /** Cache directory (default build/verilator-cache under the repository root, or $HOMA_VERILATOR_CACHE). */
  readonly cacheDir?: string;
  /** g++ optimisation level for the model (default '-O2': for small models, headers dominate the compile time, not optimisation). */
  readonly optimize?: '-O0' | '-O1' | '-O2' | '-O3';
  /** Where Verilator's runtime objects are cached (default: the default cache, shared by every cacheDir). */
  readonly runtimeCacheDir?: string;
}

// --flatten: every instance inlined into the root class, so every signal has a flat member
// (a module instantiated twice is otherwise kept as its own class, out of the glue's reach).
const VERILATOR_FLAGS = ['--cc', '--flatten', '-Wno-fatal', '-Wno-lint', '-Wno-style', '--x-assign', '0', '--x-initial', '0'];
const CXX_COMMON = [
  '-std=gnu++17', '-fPIC', '-fvisibility=hidden', '-fvisibility-inlines-hidden', '-faligned-new', '-w',
  '-DVM_COVERAGE=0', '-DVM_SC=0', '-DVM_TRACE=0', '-DVM_TRACE_FST=0', '-DVM_TRACE_VCD=0',
];
const RUNTIME_SOURCES = ['verilated.cpp', 'verilated_threads.cpp'];
/** Bump when the build recipe changes in a way the hashed inputs do not show. */
const RECIPE = 2;

export function defaultCacheDir(): string {
  return process.env['HOMA_VERILATOR_CACHE'] ?? join(repoRoot, 'build', 'verilator-cache');
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 20);
const loaded = new Map<string, { VerilatedSim: new (b: ArrayBuffer) => NativeSim }>();

interface CacheEntry { readonly dir: string; readonly key: string; readonly top: string; readonly verilog: string; readonly vlt: string; readonly optimize: string; readonly template: string }

/** Where the addon for `def` lives in the cache (it may not be built yet). */
export function cacheEntry(def: ModuleDef, options: BuildOptions = {}): CacheEntry {
  const tc = requireToolchain();
  const optimize = options.optimize ?? '-O2';
  const flat = elaborate(def).flat;
  const { text: verilog, top } = toVerilog(def, { simInit: true });
  const vlt = publicConfig(flat);
  const template = readFileSync(join(here, 'addon.cpp'), 'utf8');
  const generator = readFileSync(join(here, 'glue.ts'), 'utf8');
  const key = `${top}-${sha(JSON.stringify([RECIPE, verilog, vlt, tc.verilatorVersion, tc.cxxVersion, VERILATOR_FLAGS, CXX_COMMON, optimize, template, generator, addonApiVersion(tc)]))}`;
  return { dir: join(options.cacheDir ?? defaultCacheDir(), key), key, top, verilog, vlt, optimize, template };
}

/** Builds (or finds in the cache) the addon for `def` and loads it. */
export async function buildModel(def: ModuleDef, options: BuildOptions = {}): Promise<BuiltModel> {
  const { dir, cached } = await ensureBuilt(def, options);
  return load(dir, cached);
}

/** Builds the addon for `def` unless the cache has it; does not load it. */
export async function ensureBuilt(def: ModuleDef, options: BuildOptions = {}): Promise<{ dir: string; cached: boolean }> {
  const tc = requireToolchain();
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const flat = elaborate(def).flat;
  const { dir, top, verilog, vlt, optimize, template } = cacheEntry(def, options);
  const cached = existsSync(join(dir, 'addon.node'));
  if (!cached) {
    const shared = options.runtimeCacheDir ?? defaultCacheDir();
    const [runtime, pch] = await Promise.all([buildRuntime(tc, shared), buildHeaders(tc, shared, optimize)]);
    await buildOnce(cacheDir, dir, `the model of ${top}`, async (tmp) => {
      const started = Date.now();
      progress(`building ${top}: verilating`);
      writeFileSync(join(tmp, 'design.v'), verilog);
      writeFileSync(join(tmp, 'public.vlt'), vlt);
      try {
        await run(tc.verilator, [...VERILATOR_FLAGS, '--Mdir', 'obj', '--top-module', top, 'public.vlt', 'design.v'], tmp);
      } catch (e) {
        const kept = join(cacheDir, `failed-${top}.v`);
        writeFileSync(kept, verilog);
        throw new Error(`Verilator rejected the Verilog of ${top} (kept in ${kept}): ${(e as Error).message}`);
      }
      const obj = join(tmp, 'obj');
      const glue = generateGlue(flat, top, readFileSync(join(obj, `V${top}___024root.h`), 'utf8'));
      writeFileSync(join(obj, 'glue.h'), glue.header);
      writeFileSync(join(tmp, 'layout.json'), JSON.stringify(glue.layout));
      // One translation unit: gyp-style absolute paths never reach the compiler command line.
      const sources = readdirSync(obj).filter((f) => f.endsWith('.cpp')).sort();
      writeFileSync(join(tmp, 'addon.cpp'), template);
      writeFileSync(join(tmp, 'unity.cpp'), [...sources.map((f) => `#include "obj/${f}"`), '#include "addon.cpp"', ''].join('\n'));
      progress(`building ${top}: compiling the model (g++ ${optimize})`);
      await run(tc.cxx, [...modelFlags(tc, optimize), `-I${pch}`, '-include', 'addon-pch.h', '-Iobj', '-shared', '-o', 'addon.node', 'unity.cpp', ...runtime, '-lpthread'], tmp);
      rmSync(obj, { recursive: true, force: true });
      for (const f of ['unity.cpp', 'addon.cpp']) rmSync(join(tmp, f));
      progress(`built ${top} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
    pruneCache(cacheDir);
  }
  return { dir, cached };
}

const DAY = 24 * 3600 * 1000;

/**
 * Removes what a killed build left (temporaries older than an hour) and models not loaded for
 * 30 days (every edit of a design or of the emitter makes new entries). Runs after builds only.
 */
function pruneCache(cacheDir: string): void {
  const now = Date.now();
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    try {
      const age = now - statSync(path).mtimeMs;
      if ((name.startsWith('tmp-') && age > DAY / 24) || (/-[0-9a-f]{20}$/.test(name) && !name.startsWith('runtime-') && !name.startsWith('pch-') && age > 30 * DAY)) {
        rmSync(path, { recursive: true, force: true });
      }
    } catch {
      // Gone already: another process pruned it.
    }
  }
}

function load(dir: string, cached: boolean): BuiltModel {
  try { utimesSync(dir, new Date(), new Date()); } catch { /* read-only cache: never pruned, fine */ }
  const layout = JSON.parse(readFileSync(join(dir, 'layout.json'), 'utf8')) as AddonLayout;
  const file = join(dir, 'addon.node');
  let addon = loaded.get(file);
  if (!addon) {
    addon = createRequire(import.meta.url)(file) as { VerilatedSim: new (b: ArrayBuffer) => NativeSim };
    loaded.set(file, addon);
  }
  const ctor = addon.VerilatedSim;
  return { dir, layout, cached, create: (buffer) => new ctor(buffer) };
}

function includes(tc: Toolchain): string[] {
  const inc = join(tc.verilatorRoot, 'include');
  return [`-I${inc}`, `-I${join(inc, 'vltstd')}`, `-I${tc.nodeInclude}`, `-I${tc.addonApiInclude}`];
}

function addonApiVersion(tc: Toolchain): string {
  return (JSON.parse(readFileSync(join(tc.addonApiInclude, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Flags of the model's compilation (and of its precompiled headers, which need the same). */
function modelFlags(tc: Toolchain, optimize: string): string[] {
  return [...CXX_COMMON, optimize, ...includes(tc), '-DNAPI_CPP_EXCEPTIONS', '-DNODE_GYP_MODULE_NAME=verilated_sim'];
}

/**
 * napi.h and verilated.h precompiled (once per toolchain and optimisation level): parsing
 * them is most of a small model's compile time. g++ falls back to the plain header if the
 * precompiled one does not match, so this can make a build slower, never wrong.
 */
async function buildHeaders(tc: Toolchain, cacheDir: string, optimize: string): Promise<string> {
  const flags = modelFlags(tc, optimize);
  const dir = join(cacheDir, `pch-${sha(JSON.stringify([RECIPE, tc.verilatorVersion, tc.cxxVersion, flags]))}`);
  if (existsSync(join(dir, 'addon-pch.h.gch'))) return dir;
  await buildOnce(cacheDir, dir, 'the precompiled headers', async (tmp) => {
    progress(`precompiling napi.h and verilated.h once for ${optimize}`);
    writeFileSync(join(tmp, 'addon-pch.h'), '#include <cstdint>\n#include <memory>\n#include <napi.h>\n#include "verilated.h"\n');
    await run(tc.cxx, [...flags, '-x', 'c++-header', 'addon-pch.h', '-o', 'addon-pch.h.gch'], tmp);
  });
  return dir;
}

/** Object files of Verilator's runtime, compiled once per toolchain (~3 s per file). */
async function buildRuntime(tc: Toolchain, cacheDir: string): Promise<string[]> {
  const dir = join(cacheDir, `runtime-${sha(JSON.stringify([RECIPE, tc.verilatorVersion, tc.verilatorRoot, tc.cxxVersion, CXX_COMMON]))}`);
  const objects = RUNTIME_SOURCES.map((s) => join(dir, s.replace(/\.cpp$/, '.o')));
  if (objects.every((o) => existsSync(o))) return objects;
  await buildOnce(cacheDir, dir, "Verilator's runtime", async (tmp) => {
    progress(`compiling Verilator's runtime once (${RUNTIME_SOURCES.join(', ')}); later builds reuse it`);
    const inc = join(tc.verilatorRoot, 'include');
    await Promise.all(RUNTIME_SOURCES.map((s) =>
      run(tc.cxx, [...CXX_COMMON, '-O2', ...includes(tc), '-c', join(inc, s), '-o', s.replace(/\.cpp$/, '.o')], tmp)));
  });
  return objects;
}

/**
 * Runs `build` in a fresh temporary directory and renames it to `dir`, unless `dir` exists
 * or another process is building it (then waits for that process instead).
 */
async function buildOnce(cacheDir: string, dir: string, what: string, build: (tmp: string) => Promise<void>): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  const lock = `${dir}.lock`;
  let waiting = false;
  for (;;) {
    if (existsSync(dir)) return;
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (lockIsStale(lock)) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (!waiting) progress(`waiting for another process building ${what}`);
      waiting = true;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const tmp = mkdtempSync(join(cacheDir, 'tmp-'));
  try {
    if (existsSync(dir)) return;
    await build(tmp);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another builder won a race the lock did not prevent (a stale lock broken too early): theirs is as good.
      if (!existsSync(dir)) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockIsStale(lock: string): boolean {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // The owner may be between mkdir and writing its pid; only a lock that stays without one is stale.
  }
  try {
    if (!pid) return Date.now() - statSync(lock).mtimeMs > 30_000;
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
