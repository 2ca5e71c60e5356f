// hw/hdl/sim/index.ts — homa-nic/hdl/sim: create a simulator for a design on any engine.
//
//   const sim = await simulate(counter(8), { engine: 'js' });
//   sim.reset();
//   sim.poke('enable', 1);
//   sim.step(10);
//   sim.peek('count');              // 10
//
// Engines are registered by name (engines.ts): 'js' is built in; the Verilator engine lives
// above hw/ and is registered as a loader by plugins/engines.ts, so it is imported only when a
// simulation names it. `testEngines()` is the list tests run on (HDL_ENGINES narrows it).

import { elaborate } from '../design.ts';
import type { ModuleDef } from '../module.ts';
import type { IoSpec } from '../ports.ts';
import { engineFactory, registerEngine } from './engines.ts';
import type { SimulateOptions, Simulator } from './simulator.ts';
import { JsSimulator, type JsEngineOptions } from './js/engine.ts';

export type * from './simulator.ts';
export {
  registerEngine, availableEngines, engineUnavailable, testEngines,
  type EngineFactory, type EngineInput, type EngineLoader,
} from './engines.ts';
export { JsSimulator, type JsEngineOptions } from './js/engine.ts';
export { VcdWriter, type TraceSignal, type VcdOptions } from './vcd.ts';
export { parseVcd, type Vcd, type VcdVar } from './vcd-read.ts';
export { recordWaves, WaveRecorder, type WaveSignal, type RenderOptions } from './waveform.ts';
export { Testbench, TimeoutError } from './testbench.ts';
export { StreamDriver, StreamMonitor, StreamRuleError, type Beat, type DriverOptions, type MonitorOptions } from './stream.ts';

registerEngine('js', ({ design }) => new JsSimulator(design));

/** A simulator for `def` on the chosen engine (default 'js'), tracing to `options.vcd` if given. */
export async function simulate(def: ModuleDef<IoSpec>, options: SimulateOptions = {}): Promise<Simulator> {
  const factory = await engineFactory(options.engine ?? 'js');
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
