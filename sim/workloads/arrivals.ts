// sim/workloads/arrivals.ts — open-loop Poisson arrivals at a target load.
//
// Load is defined as in the Homa paper: the share of a host link's bandwidth the offered
// traffic uses on the wire, counting headers, framing and control packets (grants). So the
// message rate per host is load x link rate / mean wire bits per message, where the wire
// bytes per message come from the transport being simulated.

import type { Rng } from '../net/rng.ts';

/** Messages per second each host must start to offer `load` of its link. */
export function messageRatePerHost(load: number, linkBitsPerSecond: number, meanWireBytesPerMessage: number): number {
  if (!(load > 0 && load <= 1.5)) throw new RangeError(`load ${load} must be in (0, 1.5]`);
  if (!(meanWireBytesPerMessage > 0)) throw new RangeError('mean wire bytes per message must be > 0');
  return (load * linkBitsPerSecond) / (8 * meanWireBytesPerMessage);
}

/** Exponential inter-arrival gaps in integer picoseconds (at least 1). */
export class PoissonArrivals {
  readonly meanGapPs: number;

  constructor(messagesPerSecond: number) {
    if (!(messagesPerSecond > 0)) throw new RangeError(`arrival rate ${messagesPerSecond}/s must be > 0`);
    this.meanGapPs = 1e12 / messagesPerSecond;
  }

  nextGapPs(rng: Rng): number {
    return Math.max(1, Math.round(rng.exponential(this.meanGapPs)));
  }
}

/** A destination uniform over the other `hosts - 1` hosts. */
export function uniformOtherHost(rng: Rng, self: number, hosts: number): number {
  const d = rng.int(hosts - 1);
  return d >= self ? d + 1 : d;
}
