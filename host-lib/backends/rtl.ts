// host-lib/backends/rtl.ts — an RTL NIC (sim/cosim RtlNic: the engine's RTL in a Simulator,
// with host memory, DMA watchdog and MAC around it) as host-lib's Device, shaped like SimDevice
// (backends/sim.ts) so that one simulated cluster can hold model and RTL hosts side by side.
//
// Registers go straight to the engine's register port (it decodes the ABI itself: nothing
// is translated here), DMA buffers are the NIC's host memory, and the event count is the
// engine's irq pulses. Simulated time belongs to whoever runs the event loop (a SimCluster):
// waitEvent and sleep are the cluster's, with its rules — the loop runs only while the
// application waits, until the waiter's condition holds, and 'idle' when nothing is left to
// simulate (an RTL NIC schedules nothing while its engine is quiet).

import { ENGINE_CONFIGS, engineConfig, type EngineConfig } from '../../hw/homa/engine/config.ts';
import { engineNic, prepareEngine, type RtlSimEngine } from '../../sim/cosim/engine-nic.ts';
import type { RtlNic } from '../../sim/cosim/rtl-nic.ts';
import type { Endpoint } from '../../sim/net/endpoint.ts';
import type { Device, DmaBuffer, WaitResult } from '../device.ts';
import type { ClusterDevice, NicKind, SimClusterOptions } from './sim.ts';

/**
 * What an RtlDevice needs from the owner of simulated time. SimCluster has these methods
 * (its waitEvent reads only `device.events`); a test can implement them over any event queue.
 */
export interface SimClock {
  /** Simulated time in nanoseconds. */
  now(): number;
  sleep(ns: number): Promise<void>;
  /** Resolves once `device.events` > `after`, at `deadlineNs`, or 'idle' when nothing can happen. */
  waitEvent(device: { readonly events: number } | null, after: number, deadlineNs?: number): Promise<WaitResult>;
  /** An event a waiter may care about just happened: stop the simulation after this event. */
  wake(): void;
  /** Why waits last ended 'idle' (SimCluster has it; the EDEADLK message says it). */
  idleReason?(): string;
}

export interface RtlDeviceOptions {
  /** The URL the application opened (default `rtl:<index>`). */
  readonly url?: string;
}

/** One simulated host whose NIC is RTL, as a Device. */
export class RtlDevice implements Device, ClusterDevice {
  readonly url: string;
  /** The host's IP address as given to the NIC (4 bytes IPv4, 16 bytes IPv6). */
  readonly address: Uint8Array;
  /** Problems noticed on the host side (SimDevice has the same list; the engine reports its own through status bits and counters). */
  readonly problems: string[] = [];

  constructor(readonly cluster: SimClock, readonly index: number, readonly nic: RtlNic, opt: RtlDeviceOptions = {}) {
    this.url = opt.url ?? `rtl:${index}`;
    this.address = Uint8Array.from(nic.ip);
    // An irq pulse is the moment a waiter on this device may be satisfied.
    const before = nic.onEvent;
    nic.onEvent = (qp: number): void => { before?.(qp); cluster.wake(); };
  }

  /** What the network attaches: the RTL NIC itself. */
  get endpoint(): Endpoint { return this.nic; }
  /** Events so far (the cluster's waitEvent reads this, as it reads SimDevice.events). */
  get events(): number { return this.nic.events; }

  read32(offset: number): number { return this.nic.read32(offset); }
  write32(offset: number, value: number): void { this.nic.write32(offset, value); }
  allocateDma(bytes: number, align?: number): DmaBuffer { return this.nic.allocateDma(bytes, align); }
  freeDma(buffer: DmaBuffer): void { this.nic.freeDma(buffer); }
  eventCount(): number { return this.nic.events; }
  waitEvent(after: number, deadlineNs?: number): Promise<WaitResult> { return this.cluster.waitEvent(this, after, deadlineNs); }
  now(): number { return this.cluster.now(); }
  sleep(ns: number): Promise<void> { return this.cluster.sleep(ns); }
  idleReason(): string { return this.cluster.idleReason?.() ?? ''; }
  /**
   * Like SimDevice's, a no-op: the NIC stays on the network (other hosts may still send to it)
   * and whoever built it disposes of it with the cluster (`nic.dispose()`).
   */
  close(): void {}
  /** Releases the simulator (a native one holds memory outside the JS heap). */
  dispose(): void { this.nic.dispose(); }
}

/** The engine configuration RTL NICs of a cluster use (default u250). */
export function rtlConfig(opt: SimClusterOptions): EngineConfig {
  const c = opt.rtl ?? 'u250';
  return typeof c === 'string' ? engineConfig(c) : c;
}

/** The `rtl` (JS simulator) and `rtl-verilator` NIC kinds of SimCluster. */
export function rtlNicKind(engine: RtlSimEngine): NicKind {
  return {
    description: `the engine's RTL (hw/homa/engine) in ${engine === 'js' ? 'the JS simulator' : 'Verilator'}`,
    prepare: (opt) => prepareEngine(rtlConfig(opt), engine),
    create: ({ cluster, index, address }) => {
      const ip = address.ipv4;
      // The simulated network's convention: MAC 02:00 + the address's last four bytes (sim/net/frame.ts).
      const mac = Uint8Array.of(0x02, 0x00, ...ip.subarray(ip.length - 4));
      const nic = engineNic(engine, { config: rtlConfig(cluster.options), ip, mac, name: `sim:${index} (rtl)` });
      return new RtlDevice(cluster, index, nic, { url: `sim:${index}` });
    },
  };
}

export { ENGINE_CONFIGS };
