// test/engines.ts — the simulation engines tests run on: every registered engine.
//
//   import { engines } from '../../test/engines.ts';
//   for (const engine of engines) test(`fifo keeps order (${engine})`, async () => {
//     const sim = await simulate(smallFifo(u(8), 4), { engine });
//     ...
//   });
//
// 'js' is always there. The Verilator engine (sim/verilator) registers itself when imported;
// it is loaded here when its file exists. HDL_ENGINES=js,verilator narrows the list.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableEngines } from '../hw/hdl/sim/index.ts';

const verilatorEngine = new URL('../sim/verilator/index.ts', import.meta.url);
if (existsSync(fileURLToPath(verilatorEngine))) {
  try {
    await import(verilatorEngine.href);
  } catch (e) {
    // A broken engine must not take every other test down with it; its own tests will fail.
    console.warn(`test/engines: sim/verilator/index.ts failed to load, testing without it: ${(e as Error).message}`);
  }
}

const only = process.env['HDL_ENGINES']?.split(',').map((s) => s.trim()).filter(Boolean);

/** Engine names to run each engine-independent test on. */
export const engines: readonly string[] = availableEngines().filter((e) => !only || only.includes(e));
