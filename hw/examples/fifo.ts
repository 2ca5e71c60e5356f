// hw/examples/fifo.ts — the examples' FIFO is the library's block-RAM FIFO (hw/lib/fifo.ts,
// `ramFifo`): a design uses hw/lib rather than writing its own. The RAM's registered read
// port is the output register, so a steady stream flows at one beat per cycle.

import { ramFifo } from '../lib/fifo.ts';

/** A FIFO of `depth` beats of `payload` with an occupancy count (Verilog module `ram_fifo`). */
export const smallFifo = ramFifo;
