// sim/verilator/index.ts — the Verilator engine: a design's emitted Verilog built into a
// native addon and driven through hw/hdl/sim's Simulator API, when Verilator, g++ and the
// Node headers are on this machine.
//
// It is registered as the 'verilator' (and opt-in 'lockstep') engine by plugins/engines.ts,
// as a loader: `simulate(def, { engine: 'verilator' })` imports it on first use, and tests
// list it through hw/hdl/sim's testEngines() (HDL_ENGINES narrows the list). Importing this
// file registers nothing.

import { findToolchain, ToolchainError } from './toolchain.ts';

export { createVerilatorSimulator, loadVerilatorSimulator, VerilatorSimulator, type VerilatorOptions } from './engine.ts';
export { buildModel, ensureBuilt, loadCached, defaultCacheDir, type BuildOptions, type BuiltModel } from './build.ts';
export { findToolchain, requireToolchain, ToolchainError, INSTALL_HINT } from './toolchain.ts';
export { lockstep, LockstepMismatch } from '../../hw/hdl/sim/lockstep.ts';

const toolchain = findToolchain();

/** Why the Verilator engine cannot run here, or null when it can. */
export const verilatorUnavailable: string | null = toolchain instanceof ToolchainError ? toolchain.message : null;
