// plugins/hdl-sim.ts — the package entry `homa-nic/hdl/sim`: hw/hdl/sim with every engine
// registered, so `simulate(def, { engine: 'verilator' })` works for the package's users.
import './engines.ts';
export * from '../hw/hdl/sim/index.ts';
