// sim/net/bench-endpoint.ts — the cheapest possible host for measuring the network
// simulator's own speed: each host sends W-sized messages as runs of MTU frames, reusing one
// prebuilt frame per destination (frames are immutable, so sharing one is legal), and the
// receiver only counts bytes. No transport logic, so the events measured are the network's.

import type { Endpoint, EndpointPort } from './endpoint.ts';
import { buildIpFrame } from './frame-builder.ts';
import type { Rng } from './rng.ts';

const FULL_PAYLOAD = 1500 - 20;

export class ReplayEndpoint implements Endpoint {
  bytesReceived = 0;
  private port!: EndpointPort;
  private readonly frames: (Uint8Array | undefined)[] = [];
  /** Pending messages as (destination, bytes left), sent FIFO. */
  private readonly dst: number[] = [];
  private readonly left: number[] = [];
  private head = 0;

  constructor(
    private readonly self: number,
    private readonly hosts: number,
    private readonly rng: Rng,
    private readonly meanGapPs: number,
    private readonly sampleSize: (rng: Rng) => number,
  ) {}

  attach(port: EndpointPort): void {
    this.port = port;
    this.scheduleNext();
  }

  private scheduleNext(): void {
    const gap = Math.max(1, Math.round(this.rng.exponential(this.meanGapPs)));
    this.port.at(this.port.now() + gap, () => {
      let d = this.rng.int(this.hosts - 1);
      if (d >= this.self) d++;
      this.dst.push(d);
      this.left.push(this.sampleSize(this.rng));
      this.port.wake();
      this.scheduleNext();
    });
  }

  receive(frame: Uint8Array): void {
    this.bytesReceived += frame.length;
  }

  pull(): Uint8Array | null {
    if (this.head >= this.dst.length) return null;
    const d = this.dst[this.head]!;
    let f = this.frames[d];
    if (f === undefined) f = this.frames[d] = buildIpFrame({ src: this.self, dst: d, priority: 0, payload: new Uint8Array(FULL_PAYLOAD) });
    this.left[this.head]! -= FULL_PAYLOAD;
    if (this.left[this.head]! <= 0) {
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.dst.length) {
        this.dst.splice(0, this.head);
        this.left.splice(0, this.head);
        this.head = 0;
      }
    }
    return f;
  }
}
