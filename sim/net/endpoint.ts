// sim/net/endpoint.ts — what the network simulator needs from a host (seam 5 of the
// architecture). The reference model and the RTL engine both implement it, so one
// experiment can run either.
//
// Time is an integer number of picoseconds held in a JS number (exact up to ~9,000 s).
// Frames are whole Ethernet frames (destination MAC first, no preamble and no FCS); links add
// the preamble, FCS and inter-frame gap to their serialisation time.

/** The host's view of its network attachment, given to the endpoint by the network. */
export interface EndpointPort {
  /** Current simulated time in picoseconds. */
  now(): number;
  /** Run `fn` at time `atPs` (>= now). Returns a handle for `cancel`. */
  at(atPs: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
  /** The endpoint has frames to send: the link will call `pull()` as soon as it is idle. */
  wake(): void;
  /** Bit rate of the host's link, bits per second. */
  readonly linkBitsPerSecond: number;
}

export type TimerHandle = { readonly id: number };

/**
 * A host on the simulated network. The link pulls frames one at a time when it can
 * serialise one, so the endpoint's transmit scheduler (SRPT, pacing) decides at the last
 * moment, as a NIC's does.
 */
export interface Endpoint {
  /** Called once before the simulation starts. */
  attach(port: EndpointPort): void;
  /**
   * A frame arrived on the host's link (fully received). `fcsError`: the MAC found its frame
   * check sequence wrong (a fault injected by a test or a fault model); the NIC must drop and
   * count it.
   */
  receive(frame: Uint8Array, fcsError?: boolean): void;
  /** The link is idle: the next frame to transmit now, or null when nothing is ready. */
  pull(): Uint8Array | null;
}
