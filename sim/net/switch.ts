// sim/net/switch.ts — an output-queued switch with 8 strict-priority queues per port.
//
// A frame is routed on its IP destination (frame.ts), then queued at the output port in the
// queue its TOS / traffic-class priority selects; the port's link always takes the head of
// the highest non-empty queue (7 first). Each port has a byte budget shared by its 8 queues;
// a frame that does not fit is dropped and counted. Frames to hosts not below this switch go
// to an uplink chosen per packet at random (spraying) or by a flow hash.

import type { Rng } from './rng.ts';
import { frameDestinationHost, frameFlowHash, framePriority } from './frame.ts';
import type { FrameSink, FrameSource, Link } from './link.ts';

export const PRIORITY_LEVELS = 8;

export type UplinkSelection = 'spray' | 'hash';

/** A FIFO of frames (ring buffer; its size stays a power of two so indices wrap with a mask). */
class FrameQueue {
  private items: (Uint8Array | null)[] = new Array<Uint8Array | null>(16).fill(null);
  private head = 0;
  length = 0;

  push(frame: Uint8Array): void {
    if (this.length === this.items.length) {
      const grown = new Array<Uint8Array | null>(this.items.length * 2).fill(null);
      for (let i = 0; i < this.length; i++) grown[i] = this.items[(this.head + i) & (this.items.length - 1)]!;
      this.items = grown;
      this.head = 0;
    }
    this.items[(this.head + this.length) & (this.items.length - 1)] = frame;
    this.length++;
  }

  shift(): Uint8Array {
    const frame = this.items[this.head]!;
    this.items[this.head] = null;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.length--;
    return frame;
  }
}

export class SwitchPortCounters {
  enqueued = 0;
  /** Drops because the port's buffer was full, per priority. */
  readonly bufferDrops = new Array<number>(PRIORITY_LEVELS).fill(0);
  /** Peak bytes queued at the port. */
  peakBytes = 0;
}

export class SwitchPort implements FrameSource {
  readonly queues: FrameQueue[] = Array.from({ length: PRIORITY_LEVELS }, () => new FrameQueue());
  readonly counters = new SwitchPortCounters();
  bytesQueued = 0;
  /** Bitmask of non-empty queues, so the scheduler finds the top one without a scan. */
  private nonEmpty = 0;

  constructor(
    readonly index: number,
    readonly link: Link,
    readonly bufferBytes: number,
  ) {}

  enqueue(frame: Uint8Array, priority: number): void {
    const c = this.counters;
    if (this.bytesQueued + frame.length > this.bufferBytes) {
      c.bufferDrops[priority]!++;
      return;
    }
    this.queues[priority]!.push(frame);
    this.nonEmpty |= 1 << priority;
    this.bytesQueued += frame.length;
    if (this.bytesQueued > c.peakBytes) c.peakBytes = this.bytesQueued;
    c.enqueued++;
    this.link.kick();
  }

  pullFrame(): Uint8Array | null {
    const mask = this.nonEmpty;
    if (mask === 0) return null;
    const p = 31 - Math.clz32(mask);
    const q = this.queues[p]!;
    const frame = q.shift();
    if (q.length === 0) this.nonEmpty &= ~(1 << p);
    this.bytesQueued -= frame.length;
    return frame;
  }
}

export class SwitchCounters {
  /** Frames whose destination is not a known host (or not IP). */
  unroutable = 0;
}

export class Switch implements FrameSink {
  readonly ports: SwitchPort[] = [];
  readonly counters = new SwitchCounters();
  /** Destination host -> output port index, or -1 for "any uplink". */
  private route: Int32Array;
  private uplinks: number[] = [];

  constructor(
    readonly name: string,
    hostCount: number,
    private readonly selection: UplinkSelection,
    private readonly rng: Rng,
  ) {
    this.route = new Int32Array(hostCount).fill(-2);
  }

  addPort(link: Link, bufferBytes: number): SwitchPort {
    const port = new SwitchPort(this.ports.length, link, bufferBytes);
    this.ports.push(port);
    return port;
  }

  /** Frames for `host` leave through `port`. */
  routeHost(host: number, port: SwitchPort): void {
    this.route[host] = port.index;
  }

  /** Frames for hosts without a route leave through one of these ports. */
  setUplinks(ports: readonly SwitchPort[]): void {
    this.uplinks = ports.map((p) => p.index);
    for (let h = 0; h < this.route.length; h++) if (this.route[h] === -2) this.route[h] = -1;
  }

  acceptFrame(frame: Uint8Array): void {
    const dst = frameDestinationHost(frame);
    let portIndex = dst >= 0 && dst < this.route.length ? this.route[dst]! : -2;
    if (portIndex === -1) {
      const n = this.uplinks.length;
      portIndex = this.uplinks[this.selection === 'spray' ? this.rng.int(n) : frameFlowHash(frame) % n]!;
    }
    if (portIndex < 0) {
      this.counters.unroutable++;
      return;
    }
    this.ports[portIndex]!.enqueue(frame, framePriority(frame));
  }

  /** Buffer drops summed over ports and priorities. */
  get bufferDrops(): number {
    let n = 0;
    for (const p of this.ports) for (const d of p.counters.bufferDrops) n += d;
    return n;
  }
}
