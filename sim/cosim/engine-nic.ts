// sim/cosim/engine-nic.ts — the Homa engine's RTL (hw/homa/engine) as an RtlNic, on the JS
// simulator or on Verilator, made synchronously so a simulated cluster can be built in a
// constructor: a Verilator model not yet in the cache is built first, in a child process
// (the build is asynchronous; progress goes to stderr), then loaded.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { simulateJs, type Simulator } from '../../hw/hdl/sim/index.ts';
import type { ModuleDef } from '../../hw/hdl/index.ts';
import type { IoSpec } from '../../hw/hdl/ports.ts';
import { checkConfig, type EngineConfig } from '../../hw/homa/engine/config.ts';
import { homaEngine } from '../../hw/homa/engine/engine.ts';
import { ensureBuilt, loadVerilatorSimulator, verilatorUnavailable } from '../verilator/index.ts';
import { RtlNic, type RtlNicOptions } from './rtl-nic.ts';

/** Where the engine's RTL is simulated. */
export type RtlSimEngine = 'js' | 'verilator';

const tops = new Map<string, ModuleDef<IoSpec>>();

/** The engine top for `c` (elaborated once per configuration and reused). */
export function engineTop(c: EngineConfig): ModuleDef<IoSpec> {
  const key = JSON.stringify(c);
  let t = tops.get(key);
  if (!t) { checkConfig(c); t = homaEngine(c); tops.set(key, t); }
  return t;
}

/** Builds what `engine` needs ahead of time (the Verilator model), so creating NICs is quick. */
export async function prepareEngine(c: EngineConfig, engine: RtlSimEngine): Promise<void> {
  if (engine === 'verilator') {
    if (verilatorUnavailable) throw new Error(`the rtl-verilator NIC needs Verilator: ${verilatorUnavailable}`);
    await ensureBuilt(engineTop(c));
  }
}

/** A simulator of the engine for `c`, synchronously. */
export function engineSimulator(c: EngineConfig, engine: RtlSimEngine): Simulator {
  const top = engineTop(c);
  if (engine === 'js') return simulateJs(top);
  if (verilatorUnavailable) throw new Error(`the rtl-verilator NIC needs Verilator: ${verilatorUnavailable}`);
  const cached = loadVerilatorSimulator(top);
  if (cached) return cached;
  const script = fileURLToPath(new URL('./build-engine.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, JSON.stringify(c)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`building the Verilator model of the ${c.name} engine failed (${r.error?.message ?? `exit ${r.status}`}); see the messages above`);
  const built = loadVerilatorSimulator(top);
  if (!built) throw new Error(`the Verilator model of the ${c.name} engine was built but is not in the cache (HOMA_VERILATOR_CACHE differs between processes?)`);
  return built;
}

/** An RTL NIC running the engine for `o.config`. */
export function engineNic(engine: RtlSimEngine, o: RtlNicOptions): RtlNic {
  return new RtlNic(engineSimulator(o.config, engine), o);
}
