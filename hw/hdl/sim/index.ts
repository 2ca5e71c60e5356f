// hw/hdl/sim/index.ts — homa-nic/hdl/sim: create a simulator for a design on any engine.
//
//   const sim = await simulate(counter(8), { engine: 'js' });
//   sim.reset();
//   sim.poke('enable', 1);
//   sim.step(10);
//   sim.peek('count');              // 10
//
// Engines register themselves by name. 'js' is built in; the Verilator engine lives outside
// hw/hdl (hw/hdl never imports upward) and calls registerEngine when its module is imported.

import { elaborate } from '../design.ts';
import type { Design } from '../flatten.ts';
import type { ModuleDef } from '../module.ts';
import type { IoSpec } from '../ports.ts';
import type { SimulateOptions, Simulator } from './simulator.ts';
import { JsSimulator, type JsEngineOptions } from './js/engine.ts';

export type * from './simulator.ts';
export { JsSimulator, type JsEngineOptions } from './js/engine.ts';
export { VcdWriter, type TraceSignal, type VcdOptions } from './vcd.ts';
export { parseVcd, type Vcd, type VcdVar } from './vcd-read.ts';
export { recordWaves, WaveRecorder, type WaveSignal, type RenderOptions } from './waveform.ts';
export { Testbench, TimeoutError } from './testbench.ts';
export { StreamDriver, StreamMonitor, StreamRuleError, type Beat, type DriverOptions, type MonitorOptions } from './stream.ts';

/** What an engine is given to build a simulator. */
export interface EngineInput {
  readonly def: ModuleDef<IoSpec>;
  /** The elaborated, flattened design (the same object `elaborate(def)` returns). */
  readonly design: Design;
  readonly options: SimulateOptions;
}

export type EngineFactory = (input: EngineInput) => Simulator | Promise<Simulator>;

const engines = new Map<string, EngineFactory>();

/** Makes an engine available to `simulate` under `name` (replacing one of the same name). */
export function registerEngine(name: string, factory: EngineFactory): void {
  engines.set(name, factory);
}

/** Names of the registered engines, 'js' first. */
export function availableEngines(): string[] {
  return [...engines.keys()];
}

registerEngine('js', ({ design }) => new JsSimulator(design));

/** A simulator for `def` on the chosen engine (default 'js'), tracing to `options.vcd` if given. */
export async function simulate(def: ModuleDef<IoSpec>, options: SimulateOptions = {}): Promise<Simulator> {
  const name = options.engine ?? 'js';
  const factory = engines.get(name);
  if (!factory) throw new Error(`unknown simulation engine '${name}' (available: ${availableEngines().join(', ')}); the Verilator engine registers itself when sim/verilator is imported`);
  const sim = await factory({ def, design: elaborate(def), options });
  if (options.vcd) sim.traceVcd(options.vcd);
  return sim;
}

/** The in-process engine, synchronously (benchmarks, tight loops). */
export function simulateJs(def: ModuleDef<IoSpec>, options: SimulateOptions & JsEngineOptions = {}): JsSimulator {
  const sim = new JsSimulator(elaborate(def), options);
  if (options.vcd) sim.traceVcd(options.vcd);
  return sim;
}
