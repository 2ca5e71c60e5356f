// sim/net/test-endpoints.ts — minimal endpoints for testing the network on its own:
// a blaster that sends given frames at given times, and a sink that records arrivals.

import type { Endpoint, EndpointPort } from './endpoint.ts';

export interface ScheduledFrame {
  readonly atPs: number;
  readonly frame: Uint8Array;
}

export interface ReceivedFrame {
  readonly atPs: number;
  readonly frame: Uint8Array;
}

/** Sends each frame no earlier than its time, in the order given; records what it receives. */
export class BlastEndpoint implements Endpoint {
  readonly received: ReceivedFrame[] = [];
  /** Time each frame was handed to the link, in send order. */
  readonly sentAt: number[] = [];
  private port!: EndpointPort;
  private next = 0;
  private ready: Uint8Array[] = [];

  constructor(private readonly frames: readonly ScheduledFrame[] = []) {}

  attach(port: EndpointPort): void {
    this.port = port;
    for (const f of this.frames) {
      port.at(Math.max(f.atPs, port.now()), () => {
        this.ready.push(f.frame);
        port.wake();
      });
    }
  }

  receive(frame: Uint8Array): void {
    this.received.push({ atPs: this.port.now(), frame });
  }

  pull(): Uint8Array | null {
    if (this.next >= this.ready.length) return null;
    this.sentAt.push(this.port.now());
    return this.ready[this.next++]!;
  }
}
