// sim/experiments/waste.ts — receiver bandwidth wasted: time a host's downlink sits idle
// while a message to that host is under way, as a share of the measured window.
//
// "Under way" starts when the receiver has seen the message's first packet if the stack
// reports that (Homa's definition: the receiver could be granting but the link is idle), or
// at creation otherwise (then sender-side queueing counts too, an upper bound).
// Computed exactly from the link's busy-time integral at every change of the count.

import type { Link } from '../net/link.ts';

export class ReceiverIdleMeter {
  private readonly pending: Int32Array;
  private readonly lastPs: Float64Array;
  private readonly lastBusyPs: Float64Array;
  private readonly wastedPs: Float64Array;
  private counting = false;
  private windowStartPs = 0;
  private windowPs = 0;

  constructor(private readonly downlinks: readonly Pick<Link, 'busyTimeUntil'>[]) {
    const n = downlinks.length;
    this.pending = new Int32Array(n);
    this.lastPs = new Float64Array(n);
    this.lastBusyPs = new Float64Array(n);
    this.wastedPs = new Float64Array(n);
  }

  /** Start counting (call at the window's start, from an event at that time). */
  openWindow(nowPs: number): void {
    for (let h = 0; h < this.downlinks.length; h++) this.settle(h, nowPs);
    this.counting = true;
    this.windowStartPs = nowPs;
  }

  /** Stop counting (call at the window's end). */
  closeWindow(nowPs: number): void {
    for (let h = 0; h < this.downlinks.length; h++) this.settle(h, nowPs);
    this.counting = false;
    this.windowPs = nowPs - this.windowStartPs;
  }

  started(host: number, nowPs: number): void {
    this.settle(host, nowPs);
    this.pending[host]!++;
  }

  finished(host: number, nowPs: number): void {
    this.settle(host, nowPs);
    if (this.pending[host]! > 0) this.pending[host]!--;
  }

  /** Wasted share of all receivers' bandwidth over the closed window. */
  get wastedFraction(): number {
    let total = 0;
    for (let h = 0; h < this.downlinks.length; h++) total += this.wastedPs[h]!;
    return this.windowPs > 0 ? total / (this.windowPs * this.downlinks.length) : 0;
  }

  private settle(host: number, nowPs: number): void {
    // busyTimeUntil is exact for "now" (no later frame has started), so it is sampled only
    // at the current time and differenced against the previous sample.
    const busyNow = this.downlinks[host]!.busyTimeUntil(nowPs);
    if (this.counting && this.pending[host]! > 0) {
      this.wastedPs[host]! += nowPs - this.lastPs[host]! - (busyNow - this.lastBusyPs[host]!);
    }
    this.lastPs[host] = nowPs;
    this.lastBusyPs[host] = busyNow;
  }
}
