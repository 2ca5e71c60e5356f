// sim/verilator/bench.ts — what the Verilator engine costs and gives, for one design.
//
// `measureVerilator(def)` returns cycles/s (after warm-up), the cold build time (Verilog to a
// loaded addon in an empty cache, Verilator's runtime already compiled) and the warm load
// time (a cache hit: hash, dlopen, first simulator). Run as a script it measures the largest
// design of hw/designs.ts (or --design NAME) and prints:
//
//   verilator-build: cold=<s> warm=<ms>
//   verilator-speed: design=<name> verilator=<c/s> verilator-hooked=<c/s> js=<c/s> js-hooked=<c/s> js/verilator=<x>
//
//   npx tsx sim/verilator/bench.ts [--design NAME] [--seconds 1] [--optimize=-O2]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { elaborate, type ModuleDef } from '../../hw/hdl/index.ts';
import { simulateJs } from '../../hw/hdl/sim/index.ts';
import type { Simulator } from '../../hw/hdl/sim/simulator.ts';
import { Rng } from '../../hw/hdl/sim/fuzz/random.ts';
import { buildModel, ensureBuilt, type BuildOptions } from './build.ts';
import { VerilatorSimulator } from './engine.ts';

export interface VerilatorFigures {
  readonly design: string;
  /** Cycles per second of step(n) with fixed inputs, after warm-up. */
  readonly cyclesPerSecond: number;
  /** Cycles per second with a cycle hook poking one input every cycle (a typical testbench). */
  readonly hookedCyclesPerSecond: number;
  /** Seconds from Verilog to a loaded addon with an empty design cache (the runtime is reused). */
  readonly coldBuildSeconds: number;
  /** Milliseconds to load a cached addon and start a simulator on it. */
  readonly warmLoadMs: number;
}

/** Measures `def` on the Verilator engine (about 2 * `seconds` of simulation plus one cold build). */
export async function measureVerilator(def: ModuleDef, options: { seconds?: number; build?: BuildOptions } = {}): Promise<VerilatorFigures> {
  const seconds = options.seconds ?? 1;
  const design = elaborate(def).top.name;
  // Make sure the shared cache holds this design without loading it, so the warm load below
  // is a real first load (dlopen) in this process.
  await ensureBuilt(def, options.build);
  let t = performance.now();
  const warm = new VerilatorSimulator(def, await buildModel(def, options.build));
  const warmLoadMs = performance.now() - t;

  const cacheDir = mkdtempSync(join(tmpdir(), 'homa-vbench-'));
  try {
    t = performance.now();
    await buildModel(def, { ...options.build, cacheDir });
    const coldBuildSeconds = (performance.now() - t) / 1000;
    const cyclesPerSecond = throughput(warm, seconds, false);
    const hookedCyclesPerSecond = throughput(warm, seconds, true);
    warm.dispose();
    return { design, cyclesPerSecond, hookedCyclesPerSecond, coldBuildSeconds, warmLoadMs };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/**
 * Cycles per second of `sim` over about `seconds`, after a warm-up: random inputs set once
 * (fixed during the run), or with `hooked` a hook that pokes one input every cycle.
 */
export function throughput(sim: Simulator, seconds: number, hooked: boolean): number {
  const rng = new Rng(1);
  sim.reset();
  const inputs = sim.ports.filter((p) => p.dir === 'in' && p.name !== 'rst');
  for (const p of inputs) sim.poke(p.name, rng.bits(p.width));
  let stop = () => {};
  if (hooked && inputs.length) {
    const h = sim.port(inputs[0]!.name), mask = inputs[0]!.width >= 31 ? 0x7fffffff : (1 << inputs[0]!.width) - 1;
    stop = sim.onCycle((c) => h.set(c & mask));
  }
  let batch = hooked ? 1_000 : 10_000;
  sim.step(batch); // warm-up: JIT, caches
  let cycles = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    sim.step(batch);
    cycles += batch;
    elapsed = performance.now() - start;
    if (elapsed < 50) batch *= 2;
  }
  stop();
  return cycles / (elapsed / 1000);
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { design: { type: 'string' }, seconds: { type: 'string', default: '1' }, optimize: { type: 'string' } } });
  const { allDesigns } = await import('../../hw/designs.ts');
  const designs: Record<string, ModuleDef> = allDesigns();
  const size = (d: ModuleDef) => { const f = elaborate(d).flat; return f.signals.length + f.comb.length + f.regs.length; };
  const name = values.design ?? Object.keys(designs).sort((a, b) => size(designs[b]!) - size(designs[a]!))[0]!;
  const def = designs[name];
  if (!def) throw new Error(`no design '${name}' in hw/designs.ts (designs: ${Object.keys(designs).join(', ')})`);
  const seconds = Number(values.seconds);
  const v = await measureVerilator(def, { seconds, build: { optimize: values.optimize as BuildOptions['optimize'] } });
  const js = throughput(simulateJs(def), seconds, false);
  const jsHooked = throughput(simulateJs(def), seconds, true);
  console.log(`verilator-build: cold=${v.coldBuildSeconds.toFixed(2)} warm=${v.warmLoadMs.toFixed(0)}`);
  console.log(`verilator-speed: design=${v.design} verilator=${fmt(v.cyclesPerSecond)} verilator-hooked=${fmt(v.hookedCyclesPerSecond)} js=${fmt(js)} js-hooked=${fmt(jsHooked)} js/verilator=${(js / v.cyclesPerSecond).toFixed(2)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
