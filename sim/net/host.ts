// sim/net/host.ts — a host's attachment to the network: it serves the Endpoint seam
// (endpoint.ts) on one side and a pair of links on the other, and it can crash and restart.
//
// A crash drops the endpoint: frames arriving for it are counted and discarded, its timers
// never fire, its link stops pulling. A restart attaches a fresh endpoint from the factory,
// as a rebooted machine comes back with empty state.

import type { Endpoint, EndpointPort, TimerHandle } from './endpoint.ts';
import { Timer, type Simulator } from './events.ts';
import type { HostAddress } from './frame.ts';
import type { FrameSink, FrameSource, Link } from './link.ts';

export type EndpointFactory = (host: HostAddress) => Endpoint;

export class HostCounters {
  /** Frames that arrived while the host was down. */
  droppedWhileDown = 0;
  crashes = 0;
  restarts = 0;
  framesReceived = 0;
}

export class Host implements FrameSource, FrameSink {
  readonly counters = new HostCounters();
  endpoint: Endpoint | null = null;
  /** Link from this host into the network (set by the topology). */
  uplink!: Link;
  /** Link from the network to this host. */
  downlink!: Link;
  private generation = 0;

  constructor(
    private readonly sim: Simulator,
    readonly address: HostAddress,
    private readonly factory: EndpointFactory,
  ) {}

  get index(): number {
    return this.address.index;
  }

  get isUp(): boolean {
    return this.endpoint !== null;
  }

  /** Create and attach the endpoint (at start, and on restart). */
  start(): void {
    if (this.endpoint !== null) return;
    const generation = ++this.generation;
    const sim = this.sim;
    const endpoint = this.factory(this.address);
    this.endpoint = endpoint;
    const alive = (): boolean => this.generation === generation && this.endpoint === endpoint;
    const port: EndpointPort = {
      now: () => sim.now(),
      at: (atPs: number, fn: () => void): TimerHandle =>
        sim.at(atPs, () => {
          if (alive()) fn();
        }),
      cancel: (handle: TimerHandle): void => {
        if (handle instanceof Timer) sim.cancel(handle);
      },
      wake: (): void => {
        if (alive()) this.uplink.kick();
      },
      linkBitsPerSecond: this.uplink.bitsPerSecond,
    };
    endpoint.attach(port);
    this.uplink.kick();
  }

  crash(): void {
    if (this.endpoint === null) return;
    this.endpoint = null;
    this.generation++;
    this.counters.crashes++;
  }

  restart(): void {
    if (this.endpoint !== null) return;
    this.counters.restarts++;
    this.start();
  }

  pullFrame(): Uint8Array | null {
    const e = this.endpoint;
    return e === null ? null : e.pull();
  }

  acceptFrame(frame: Uint8Array): void {
    const e = this.endpoint;
    if (e === null) {
      this.counters.droppedWhileDown++;
      return;
    }
    this.counters.framesReceived++;
    e.receive(frame);
  }
}
