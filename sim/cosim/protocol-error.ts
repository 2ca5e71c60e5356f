// sim/cosim/protocol-error.ts — the engine broke a port convention the co-simulation relies on
// (hw/homa/engine/types.ts): a DMA write's data beats not matching its request, a zero-length
// DMA, a transmit beat with holes in `keep`, a register access that never answers. The run
// stops at once, as it does for a DMA watchdog error.

export class PortProtocolError extends Error {
  override readonly name = 'PortProtocolError';
}
