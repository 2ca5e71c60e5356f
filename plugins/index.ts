// plugins/ — where the layers' seams are bound. Lower layers declare a registry (host-lib's
// Device backends, hw/hdl/sim's simulation engines) and never import the layers above them;
// the implementations above register into it, and these files load them:
//
//   plugins/backends.ts   host-lib backends: pcie (driver/native), serial (driver/serial)
//   plugins/engines.ts    simulation engines: verilator, lockstep (sim/verilator)
//   plugins/host-lib.ts   the package entry `homa-nic/host-lib`: host-lib with every backend
//   plugins/hdl-sim.ts    the package entry `homa-nic/hdl/sim`: hw/hdl/sim with every engine
//
// Importing this file registers everything (the homa-nic command and test/setup.ts do).

import './backends.ts';
import './engines.ts';
