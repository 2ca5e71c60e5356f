// sim/verilator/build.ts — Verilog to a loaded addon, through a build cache.
//
// A design's addon lives in build/verilator-cache/<key>/ where the key hashes everything the
// binary depends on: the Verilog, Verilator's and g++'s versions, the flags, the C++
// templates and the glue generator. Verilator's runtime and the Node side of the addon
// (addon.cpp) are compiled once per toolchain into their own cache entries and linked into
// every addon. Entries are built in a temporary directory
// and renamed into place, under a lock directory, so parallel test workers neither corrupt an
// entry nor build the same one twice.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
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
  /**
   * g++ optimisation level for the model's hot code (default '-O2'). The code Verilator marks
   * slow is compiled at -O0, and model.cpp with the glue at -O1 (-O0 with '-O0').
   */
  readonly optimize?: '-O0' | '-O1' | '-O2' | '-O3';
  /** Where Verilator's runtime objects are cached (default: the default cache, shared by every cacheDir). */
  readonly runtimeCacheDir?: string;
}

// --flatten: every instance inlined into the root class, so every signal has a flat member
// (a module instantiated twice is otherwise kept as its own class, out of the glue's reach).
// --output-split-cfuncs: no generated function longer than ~500 statements. g++'s time grows
// faster than linearly with a function's size (one 7,000-line function was most of a mid-size
// design's build), and the split model also runs faster. --output-split: files of ~5,000
// statements, which ensureBuilt regroups into a few translation units compiled in parallel.
const VERILATOR_FLAGS = [
  '--cc', '--flatten', '-Wno-fatal', '-Wno-lint', '-Wno-style', '--x-assign', '0', '--x-initial', '0',
  '--output-split', '5000', '--output-split-cfuncs', '500',
];
const CXX_COMMON = [
  '-std=gnu++17', '-fPIC', '-fvisibility=hidden', '-fvisibility-inlines-hidden', '-faligned-new', '-w',
  '-DVM_COVERAGE=0', '-DVM_SC=0', '-DVM_TRACE=0', '-DVM_TRACE_FST=0', '-DVM_TRACE_VCD=0',
];
const RUNTIME_SOURCES = ['verilated.cpp', 'verilated_threads.cpp'];
/** The C++ of every addon: the Node side (compiled once), the model side (per design) and their interface. */
const TEMPLATES = ['addon.cpp', 'model.cpp', 'model-api.h'];
/**
 * Optimisation of the code Verilator marks slow (constructors, initial blocks, the first
 * settle, the symbol table: run once per instance), as in Verilator's own makefile (OPT_SLOW).
 */
const SLOW_OPTIMIZE = '-O0';
/** Bump when the build recipe changes in a way the hashed inputs do not show. */
const RECIPE = 2;
/** Translation units of the model's hot code aim at this many bytes of generated C++ (at most MAX_FAST_UNITS). */
const FAST_UNIT_BYTES = 150_000;
const MAX_FAST_UNITS = 4;

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
  const template = TEMPLATES.map((f) => readFileSync(join(here, f), 'utf8')).join('\n');
  const generator = readFileSync(join(here, 'glue.ts'), 'utf8');
  const key = `${top}-${sha(JSON.stringify([RECIPE, verilog, vlt, tc.verilatorVersion, tc.cxxVersion, VERILATOR_FLAGS, CXX_COMMON, optimize, SLOW_OPTIMIZE, addonOptimize(optimize), FAST_UNIT_BYTES, MAX_FAST_UNITS, template, generator, addonApiVersion(tc)]))}`;
  return { dir: join(options.cacheDir ?? defaultCacheDir(), key), key, top, verilog, vlt, optimize, template };
}

/** Builds (or finds in the cache) the addon for `def` and loads it. */
export async function buildModel(def: ModuleDef, options: BuildOptions = {}): Promise<BuiltModel> {
  const { dir, cached } = await ensureBuilt(def, options);
  return load(dir, cached);
}

/**
 * The addon for `def` if the cache has it, loaded synchronously (for callers that cannot
 * wait, e.g. a constructor); null when it still has to be built.
 */
export function loadCached(def: ModuleDef, options: BuildOptions = {}): BuiltModel | null {
  const { dir } = cacheEntry(def, options);
  return existsSync(join(dir, 'addon.node')) ? load(dir, true) : null;
}

/** Builds the addon for `def` unless the cache has it; does not load it. */
export async function ensureBuilt(def: ModuleDef, options: BuildOptions = {}): Promise<{ dir: string; cached: boolean }> {
  const tc = requireToolchain();
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const flat = elaborate(def).flat;
  const { dir, top, verilog, vlt, optimize } = cacheEntry(def, options);
  const cached = existsSync(join(dir, 'addon.node'));
  if (!cached) {
    const shared = options.runtimeCacheDir ?? defaultCacheDir();
    const addonOpt = addonOptimize(optimize);
    const [runtime, addonObject, fastPch, slowPch, modelPch] = await Promise.all([
      buildRuntime(tc, shared), buildAddonObject(tc, shared, addonOpt),
      buildHeaders(tc, shared, optimize), buildHeaders(tc, shared, SLOW_OPTIMIZE), buildHeaders(tc, shared, addonOpt),
    ]);
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
      for (const f of ['model.cpp', 'model-api.h']) writeFileSync(join(obj, f), readFileSync(join(here, f), 'utf8'));
      // A few translation units, compiled in parallel in obj/ (relative paths: gyp-style
      // absolute paths never reach the compiler command line): the slow code, the hot code in
      // up to MAX_FAST_UNITS units of similar size, and model.cpp with the glue.
      const { slow, fast } = unityGroups(obj, top);
      const units: { file: string; optimize: string; pch: string }[] = [];
      if (slow.length) units.push({ file: 'unity-slow.cpp', optimize: SLOW_OPTIMIZE, pch: slowPch });
      fast.forEach((_, i) => units.push({ file: `unity-fast${i}.cpp`, optimize, pch: fastPch }));
      units.push({ file: 'model.cpp', optimize: addonOpt, pch: modelPch });
      const include = (files: string[]) => [...files.map((f) => `#include "${f}"`), ''].join('\n');
      if (slow.length) writeFileSync(join(obj, 'unity-slow.cpp'), include(slow));
      fast.forEach((files, i) => writeFileSync(join(obj, `unity-fast${i}.cpp`), include(files)));
      progress(`building ${top}: compiling the model (${units.length} units; g++ ${optimize}, slow code ${SLOW_OPTIMIZE}, glue ${addonOpt})`);
      await inParallel(units.map((u) => () =>
        run(tc.cxx, [...modelFlags(tc, u.optimize), `-I${u.pch}`, '-include', 'model-pch.h', '-c', u.file, '-o', u.file.replace(/\.cpp$/, '.o')], obj)));
      await run(tc.cxx, ['-shared', '-o', '../addon.node', ...units.map((u) => u.file.replace(/\.cpp$/, '.o')), addonObject, ...runtime, '-lpthread'], obj);
      rmSync(obj, { recursive: true, force: true });
      progress(`built ${top} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
    pruneCache(cacheDir);
  }
  return { dir, cached };
}

/** The Node side and the glue run per call, not per cycle: -O1 is as fast there and compiles in half the time of -O2. */
function addonOptimize(optimize: string): string {
  return optimize === '-O0' ? '-O0' : '-O1';
}

/**
 * The Verilated sources of `obj` in translation units: the slow ones (Verilator's
 * V<top>_classes.mk lists them; by name if it is missing) in one, the others spread over a few
 * units of similar size, biggest file first into the smallest unit.
 */
function unityGroups(obj: string, top: string): { slow: string[]; fast: string[][] } {
  const sources = readdirSync(obj).filter((f) => f.endsWith('.cpp') && f.startsWith(`V${top}`)).sort();
  let slowNames: Set<string> | null = null;
  try {
    const mk = readFileSync(join(obj, `V${top}_classes.mk`), 'utf8');
    slowNames = new Set();
    for (const m of mk.matchAll(/^VM_(?:CLASSES|SUPPORT)_SLOW\s*\+?=((?:.*\\\n)*.*)$/gm)) {
      for (const name of m[1]!.split(/[\s\\]+/)) if (name) slowNames.add(`${name}.cpp`);
    }
  } catch {
    // Not written by this Verilator: go by the names.
  }
  const isSlow = (f: string) => (slowNames ? slowNames.has(f) : /__Slow\.cpp$|__Syms(__\d+)?\.cpp$/.test(f));
  const slow = sources.filter(isSlow);
  const sized = sources.filter((f) => !isSlow(f)).map((f) => ({ f, size: statSync(join(obj, f)).size })).sort((a, b) => b.size - a.size || (a.f < b.f ? -1 : 1));
  const total = sized.reduce((a, s) => a + s.size, 0);
  const count = Math.max(1, Math.min(MAX_FAST_UNITS, sized.length, Math.ceil(total / FAST_UNIT_BYTES)));
  const fast = Array.from({ length: count }, () => ({ files: [] as string[], size: 0 }));
  for (const s of sized) {
    const unit = fast.reduce((a, b) => (b.size < a.size ? b : a));
    unit.files.push(s.f);
    unit.size += s.size;
  }
  return { slow, fast: fast.filter((u) => u.files.length).map((u) => u.files) };
}

/** Runs the tasks, as many at once as this machine has cores; waits for all before failing. */
async function inParallel(tasks: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      try { await task(); } catch (e) { errors.push(e); }
    }
  };
  await Promise.all(Array.from({ length: Math.min(tasks.length, Math.max(2, availableParallelism())) }, worker));
  if (errors.length) throw errors[0];
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
      if ((name.startsWith('tmp-') && age > DAY / 24) || (/-[0-9a-f]{20}$/.test(name) && !name.startsWith('runtime-') && !name.startsWith('pch-') && !name.startsWith('addon-obj-') && age > 30 * DAY)) {
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

const PCH_HEADER = '#include <cstdint>\n#include <memory>\n#include "verilated.h"\n';

/**
 * verilated.h precompiled as model-pch.h (once per toolchain and optimisation level): parsing
 * it is most of a small translation unit's compile time. g++ falls back to the plain header
 * if the precompiled one does not match, so this can make a build slower, never wrong.
 */
async function buildHeaders(tc: Toolchain, cacheDir: string, optimize: string): Promise<string> {
  const flags = modelFlags(tc, optimize);
  const dir = join(cacheDir, `pch-${sha(JSON.stringify([RECIPE, tc.verilatorVersion, tc.cxxVersion, flags, PCH_HEADER]))}`);
  if (existsSync(join(dir, 'model-pch.h.gch'))) return dir;
  await buildOnce(cacheDir, dir, `the precompiled headers for ${optimize}`, async (tmp) => {
    progress(`precompiling verilated.h once for ${optimize}`);
    writeFileSync(join(tmp, 'model-pch.h'), PCH_HEADER);
    await run(tc.cxx, [...flags, '-x', 'c++-header', 'model-pch.h', '-o', 'model-pch.h.gch'], tmp);
  });
  return dir;
}

/** The Node side of every addon (addon.cpp: napi.h, no design), compiled once per toolchain. */
async function buildAddonObject(tc: Toolchain, cacheDir: string, optimize: string): Promise<string> {
  const flags = modelFlags(tc, optimize);
  const sources = ['addon.cpp', 'model-api.h'].map((f) => [f, readFileSync(join(here, f), 'utf8')] as const);
  const dir = join(cacheDir, `addon-obj-${sha(JSON.stringify([RECIPE, tc.verilatorVersion, tc.cxxVersion, flags, sources, addonApiVersion(tc)]))}`);
  const object = join(dir, 'addon.o');
  if (existsSync(object)) return object;
  await buildOnce(cacheDir, dir, 'the Node side of the addon', async (tmp) => {
    progress(`compiling the Node side of the addon once (addon.cpp, ${optimize})`);
    for (const [f, text] of sources) writeFileSync(join(tmp, f), text);
    await run(tc.cxx, [...flags, '-c', 'addon.cpp', '-o', 'addon.o'], tmp);
    for (const [f] of sources) rmSync(join(tmp, f));
  });
  return object;
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
