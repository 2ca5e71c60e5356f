// sim/model/harness.ts — two endpoints on a direct wire: an event queue, one link per
// direction with a bit rate and a delay, and seeded faults (loss, duplication, reordering).
// The network simulator (sim/net) replaces this with switches; both drive the same Endpoint.

import type { Endpoint, EndpointPort, TimerHandle } from '../net/endpoint.ts';
import { seededRng } from './rng.ts';
import type { Rng } from './rng.ts';

interface Event { readonly id: number; t: number; seq: number; fn: () => void; cancelled: boolean }

/** Discrete-event queue in picoseconds (binary heap; ties run in scheduling order). */
export class EventQueue {
  private heap: Event[] = [];
  private seq = 0;
  now = 0;
  events = 0;
  /** Events asked for at a time that is not a whole picosecond (the Endpoint contract says integers). */
  nonIntegerTimes = 0;

  at(t: number, fn: () => void): TimerHandle {
    if (!Number.isInteger(t)) this.nonIntegerTimes++;
    const seq = ++this.seq;
    const e: Event = { id: seq, t, seq, fn, cancelled: false };
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {                                        // sift up (move the hole)
      const p = (i - 1) >> 1;
      const pe = h[p]!;
      if (pe.t < t || (pe.t === t && pe.seq < seq)) break;
      h[i] = pe; i = p;
    }
    h[i] = e;
    return e;
  }
  cancel(handle: TimerHandle): void { (handle as Event).cancelled = true; }
  get size(): number { return this.heap.length; }

  private pop(): Event {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {                                           // sift down (move the hole)
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let ce = h[l]!;
        if (r < n) { const re = h[r]!; if (re.t < ce.t || (re.t === ce.t && re.seq < ce.seq)) { c = r; ce = re; } }
        if (last.t < ce.t || (last.t === ce.t && last.seq < ce.seq)) break;
        h[i] = ce; i = c;
      }
      h[i] = last;
    }
    return top;
  }

  /** Run events until none are left, time passes `untilPs`, or `stop()` says so. */
  run(untilPs = Infinity, stop?: () => boolean): void {
    const h = this.heap;
    while (h.length > 0 && h[0]!.t <= untilPs) {
      const e = this.pop();
      if (e.cancelled) continue;
      this.now = e.t;
      this.events++;
      e.fn();
      if (stop && stop()) return;
    }
    if (untilPs !== Infinity && this.now < untilPs) this.now = untilPs;
  }
}

export interface WireOptions {
  /** Link rate each way, bits per second (default 25 Gb/s, HomaModule's link_mbps). */
  bitsPerSecond?: number;
  /** One-way propagation + switching delay, picoseconds (default 1 µs). */
  delayPs?: number;
  /** Probabilities per frame. */
  loss?: number;
  duplicate?: number;
  reorder?: number;
  /** Extra delay of a reordered or duplicated frame: uniform in [0, reorderDelayPs]. */
  reorderDelayPs?: number;
  seed?: number;
  /** Sees every frame as it leaves its sender ('ab' = from the first endpoint). */
  onSend?: (dir: 'ab' | 'ba', frame: Uint8Array) => void;
  /** Targeted faults for tests: return false to drop the frame. */
  filter?: (dir: 'ab' | 'ba', frame: Uint8Array) => boolean;
}

/** Bytes a frame occupies on the wire beyond its own: preamble 8 + FCS 4 + inter-frame gap 12. */
export const WIRE_OVERHEAD_BYTES = 24;

class LinkEnd implements EndpointPort {
  readonly linkBitsPerSecond: number;
  private busy = false;
  private pumpQueued = false;
  frames = 0;
  bytes = 0;
  constructor(private readonly q: EventQueue, private readonly self: Endpoint, private readonly deliver: (f: Uint8Array) => void, bps: number) {
    this.linkBitsPerSecond = bps;
  }
  now(): number { return this.q.now; }
  at(t: number, fn: () => void): TimerHandle { return this.q.at(t, fn); }
  cancel(h: TimerHandle): void { this.q.cancel(h); }
  wake(): void {
    // Pull from the event loop, never from inside the endpoint's own call stack.
    if (this.busy || this.pumpQueued) return;
    this.pumpQueued = true;
    this.q.at(this.q.now, () => { this.pumpQueued = false; this.pump(); });
  }
  private pump(): void {
    if (this.busy) return;
    const f = this.self.pull();
    if (!f) return;
    this.busy = true;
    this.frames++;
    this.bytes += f.length;
    const ps = Math.round(((f.length + 4 + 8 + 12) * 8 * 1e12) / this.linkBitsPerSecond);
    this.q.at(this.q.now + ps, () => { this.busy = false; this.deliver(f); this.pump(); });
  }
}

/** Two endpoints joined by a full-duplex wire with optional faults. */
export class DirectWire {
  readonly q = new EventQueue();
  readonly ab: LinkEnd;
  readonly ba: LinkEnd;
  private readonly rng: Rng;
  readonly faults = { lost: 0, duplicated: 0, reordered: 0 };

  constructor(a: Endpoint, b: Endpoint, opt: WireOptions = {}) {
    const bps = opt.bitsPerSecond ?? 25e9;
    const delay = opt.delayPs ?? 1e6;
    this.rng = seededRng(opt.seed ?? 1);
    const send = (to: Endpoint, dir: 'ab' | 'ba') => (f: Uint8Array): void => {
      const r = this.rng;
      opt.onSend?.(dir, f);
      if (opt.filter && !opt.filter(dir, f)) { this.faults.lost++; return; }
      if (opt.loss && r() < opt.loss) { this.faults.lost++; return; }
      const jitter = (): number => Math.floor(r() * (opt.reorderDelayPs ?? delay));
      let extra = 0;
      if (opt.reorder && r() < opt.reorder) { extra = jitter(); this.faults.reordered++; }
      this.q.at(this.q.now + delay + extra, () => to.receive(f));
      if (opt.duplicate && r() < opt.duplicate) {
        this.faults.duplicated++;
        this.q.at(this.q.now + delay + jitter(), () => to.receive(f));
      }
    };
    this.ab = new LinkEnd(this.q, a, send(b, 'ab'), bps);
    this.ba = new LinkEnd(this.q, b, send(a, 'ba'), bps);
    a.attach(this.ab);
    b.attach(this.ba);
  }
}
