// hw/designs.ts — every top-level design the project defines (examples, library blocks, the
// engine in each configuration), by name. `npm run verilog`
// emits each of them and a test runs Verilator, Icarus and Yosys over all of them, so a
// design added here is checked by every tool from then on.

import type { ModuleDef } from './hdl/index.ts';
import type { IoSpec } from './hdl/ports.ts';
import { exampleDesigns } from './examples/index.ts';
import { libDesigns } from './lib/index.ts';
import { engineDesigns } from './homa/engine/index.ts';

export function allDesigns(): Record<string, ModuleDef<IoSpec>> {
  // The examples' FIFO is hw/lib's ramFifo (module ram_fifo): the library's entry checks it.
  const { small_fifo: _libFifo, ...examples } = exampleDesigns();
  return { ...examples, ...libDesigns(), ...engineDesigns() };
}
