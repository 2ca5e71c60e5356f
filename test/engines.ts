// test/engines.ts — the simulation engines engine-independent tests run on, for tests above
// hw/ (tests under hw/ use hw/lib/testing.ts or testEngines() directly: the same list).
//
//   import { engines } from '../../test/engines.ts';
//   for (const engine of engines) test(`fifo keeps order (${engine})`, async () => { ... });
//
// The list is hw/hdl/sim's testEngines(): every available engine ('js', and 'verilator' where
// its toolchain is installed, registered by plugins/engines.ts), narrowed by HDL_ENGINES.

import '../plugins/engines.ts';
import { testEngines } from '../hw/hdl/sim/index.ts';

/** Engine names to run each engine-independent test on. */
export const engines: readonly string[] = testEngines().run;
