// host-lib/backends/sim-hosts.ts — failures an application can inflict on a simulated cluster
// to test its own failure handling: a host crashes (its NIC and everything on it are gone:
// frames to it are dropped, its timers never fire, calls of programs on it fail with
// ENODEV), restarts (a fresh NIC with empty state at the same address, as a rebooted machine),
// and the network partitions (frames between two groups of hosts are dropped) and heals.
//
// All of it works at the Endpoint seam (sim/net/endpoint.ts) that every NIC kind serves, so it
// applies to model and RTL NICs alike: sim/net's Host drops a crashed endpoint and attaches a
// fresh one on restart, and the endpoint the network holds for each host is a thin wrapper
// that filters frames across a partition.

import type { Endpoint } from '../../sim/net/endpoint.ts';
import { frameSourceHost } from '../../sim/net/frame.ts';
import type { Network } from '../../sim/net/topology.ts';

/** What the faults need from the cluster. */
export interface FaultHost {
  readonly network: Network;
  /** Host `i`'s current NIC endpoint. */
  endpointOf(i: number): Endpoint;
}

export class HostFaults {
  /** Blocked (from, to) host pairs, as from * hosts + to. */
  private readonly blocked = new Set<number>();
  /** Frames dropped by a partition. */
  partitionDrops = 0;

  constructor(private readonly cluster: FaultHost, private readonly hosts: number) {}

  /** What the network attaches for host `i` (called at start and on every restart). */
  endpointFor(i: number): Endpoint {
    const e = this.cluster.endpointOf(i);
    return {
      attach: (port) => e.attach(port),
      pull: () => e.pull(),
      receive: (frame, fcsError) => {
        if (this.blocked.size > 0) {
          const from = frameSourceHost(frame);
          if (from >= 0 && this.blocked.has(from * this.hosts + i)) { this.partitionDrops++; return; }
        }
        e.receive(frame, fcsError);
      },
    };
  }

  isUp(i: number): boolean { return this.cluster.network.hosts[i]!.isUp; }

  crash(i: number): void { this.cluster.network.hosts[i]!.crash(); }

  restart(i: number): void { this.cluster.network.hosts[i]!.restart(); }

  /** No frame passes between a host of `a` and a host of `b`, either way. */
  partition(a: readonly number[], b: readonly number[]): void {
    for (const x of a) {
      for (const y of b) {
        if (x === y) throw new RangeError(`partition: host ${x} is on both sides`);
        this.blocked.add(x * this.hosts + y);
        this.blocked.add(y * this.hosts + x);
      }
    }
  }

  /** Undo partitions: between `a` and `b`, or every one. */
  heal(a?: readonly number[], b?: readonly number[]): void {
    if (!a || !b) { this.blocked.clear(); return; }
    for (const x of a) for (const y of b) { this.blocked.delete(x * this.hosts + y); this.blocked.delete(y * this.hosts + x); }
  }

  /** Can a frame get from host `a` to host `b`? */
  connected(a: number, b: number): boolean { return !this.blocked.has(a * this.hosts + b); }
}
