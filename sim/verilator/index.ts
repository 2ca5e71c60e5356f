// sim/verilator/index.ts — importing this module makes the 'verilator' engine available to
// simulate() (hw/hdl/sim), when Verilator, g++ and the Node headers are on this machine.
//
//   import '../sim/verilator/index.ts';
//   const sim = await simulate(counter(8), { engine: 'verilator' });
//
// With HDL_LOCKSTEP=1 it also registers 'lockstep': JS and Verilator side by side, every
// output compared every cycle (hw/hdl/sim/lockstep.ts).
//
// Tests that run on every engine use `testEngines()`: every registered engine, plus a note
// saying what to install when Verilator is missing (so its runs are skipped, not failed).

import { availableEngines, registerEngine, simulate } from '../../hw/hdl/sim/index.ts';
import { lockstep } from '../../hw/hdl/sim/lockstep.ts';
import { createVerilatorSimulator } from './engine.ts';
import { findToolchain, ToolchainError } from './toolchain.ts';

export { createVerilatorSimulator, loadVerilatorSimulator, VerilatorSimulator, type VerilatorOptions } from './engine.ts';
export { buildModel, ensureBuilt, loadCached, defaultCacheDir, type BuildOptions, type BuiltModel } from './build.ts';
export { findToolchain, requireToolchain, ToolchainError, INSTALL_HINT } from './toolchain.ts';
export { lockstep, LockstepMismatch } from '../../hw/hdl/sim/lockstep.ts';

const toolchain = findToolchain();

/** Why the Verilator engine is not registered, or null when it is. */
export const verilatorUnavailable: string | null = toolchain instanceof ToolchainError ? toolchain.message : null;

if (verilatorUnavailable) {
  process.stderr.write(`[verilator] engine not registered, its test runs are skipped: ${verilatorUnavailable}\n`);
} else {
  // simulate() opens the VCD itself once the engine returns.
  registerEngine('verilator', ({ def, options }) => createVerilatorSimulator(def, { ...options, vcd: undefined }));
  // Opt-in, so test suites that run on every registered engine do not run everything twice more.
  if (process.env['HDL_LOCKSTEP'] === '1') {
    registerEngine('lockstep', async ({ def }) => lockstep(await simulate(def, { engine: 'js' }), await simulate(def, { engine: 'verilator' })));
  }
}

/**
 * Engines a hardware test should run on, with the engines that cannot run here and why.
 * Use as: `for (const engine of testEngines().run) test(`... (${engine})`, ...)` and
 * `for (const s of testEngines().skipped) test.skip(`... (${s.engine}): ${s.reason}`, () => {})`.
 */
export function testEngines(): { run: string[]; skipped: { engine: string; reason: string }[] } {
  const skipped = verilatorUnavailable ? [{ engine: 'verilator', reason: verilatorUnavailable }] : [];
  return { run: availableEngines(), skipped };
}
