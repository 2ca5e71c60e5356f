// hw/homa/engine — the Homa engine in RTL (README.md): the top, its configurations and the
// records on its ports.

import type { ModuleDef } from '../../hdl/index.ts';
import type { IoSpec } from '../../hdl/ports.ts';
import { ENGINE_CONFIGS } from './config.ts';
import { homaEngine } from './engine.ts';

export { homaEngine } from './engine.ts';
export { ENGINE_CONFIGS, engineConfig, engineParams, engineWidths, checkConfig, type EngineConfig, type EngineConfigName } from './config.ts';
export { engineIo, engineLayouts } from './types.ts';

/** The engine in every configuration, for `npm run verilog` and the tools test. */
export function engineDesigns(): Record<string, ModuleDef<IoSpec>> {
  return Object.fromEntries(Object.keys(ENGINE_CONFIGS).map((n) => [`homa_engine_${n}`, homaEngine(ENGINE_CONFIGS[n as keyof typeof ENGINE_CONFIGS])]));
}
