// plugins/engines.ts — the simulation engines that live above hw/, registered into
// hw/hdl/sim's one engine list as loaders. hw/ never imports sim/ (imports go down the
// layers), so this file, above both, is where they meet; it is imported by the package entry
// `homa-nic/hdl/sim` (plugins/hdl-sim.ts), the homa-nic command and the test setup
// (test/setup.ts, vitest's setupFiles), which is why a test or a design's script can write
// `simulate(def, { engine: 'verilator' })` with no import of sim/verilator.
//
// Listing an engine probes only its toolchain (one `verilator --version` per process);
// sim/verilator itself is imported by the first simulation that names it.

import { registerEngine, simulate } from '../hw/hdl/sim/index.ts';
import { lockstep } from '../hw/hdl/sim/lockstep.ts';
import { findToolchain, ToolchainError } from '../sim/verilator/toolchain.ts';

function verilatorUnavailable(): string | null {
  const t = findToolchain();
  return t instanceof ToolchainError ? t.message : null;
}

registerEngine('verilator', {
  unavailable: verilatorUnavailable,
  load: async () => {
    const { createVerilatorSimulator } = await import('../sim/verilator/engine.ts');
    // simulate() opens the VCD itself once the engine returns.
    return ({ def, options }) => createVerilatorSimulator(def, { ...options, vcd: undefined });
  },
});

// JS and Verilator side by side, every output compared every cycle (hw/hdl/sim/lockstep.ts).
registerEngine('lockstep', {
  optIn: true,
  unavailable: verilatorUnavailable,
  load: async () => async ({ def }) => lockstep(await simulate(def, { engine: 'js' }), await simulate(def, { engine: 'verilator' })),
});
