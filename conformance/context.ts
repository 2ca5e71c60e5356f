// conformance/context.ts — what a conformance test gets: a way to build clusters in which the
// NIC under test (DUT) is host 0 and every other host is a reference-model NIC, the wire to
// and from the DUT, its registers, and a record of what it observed for the oracle comparison.
//
// A test sees the DUT only as a host sees it (host-lib's Device and sockets) and as the network
// sees it (frames): never a NIC's internals. Simulated time is bounded in every cluster (a
// horizon, and host-lib's waits end 'idle' when nothing can happen), so no test can hang.

import type { LinkFaultConfig } from '../sim/net/faults.ts';
import type { Decoded } from '../hw/homa/wire/index.ts';
import { SimCluster, type ClusterDevice } from '../host-lib/backends/sim.ts';
import { HomaDevice } from '../host-lib/homa-device.ts';
import type { Message } from '../host-lib/message.ts';
import type { ModelConfig } from '../sim/model/config.ts';
import { ipv6Kind, registerIpv6Kinds } from './ipv6.ts';
import {
  Observations, RECEIVE_COUNTERS, messageRecord, readCounters, readIdentity, type MessageOrder, type MessageRecord, type NicIdentity,
  type Observation,
} from './observe.ts';
import { COUNTERS } from '../hw/homa/abi.ts';
import { WirePeer, decodeSent } from './wire.ts';

/** The NIC kinds the suite runs on (SimCluster's registered kinds). */
export const DUT_KINDS = ['model', 'rtl', 'rtl-verilator'] as const;
export type DutKind = (typeof DUT_KINDS)[number];

/** The host links' rate (HomaModule's link_mbps, SimCluster's default). */
const LINK_BITS_PER_SECOND = 25e9;
/** Simulated time that lets frames in flight land (many frame times, far below a timer tick of 1 ms). */
export const SETTLE_NS = 50_000;

export interface ClusterSpec {
  /** Hosts, the DUT included (default 2: the DUT and one model peer). */
  readonly hosts?: number;
  /** Every host on its IPv6 address (ipv6.ts). */
  readonly ipv6?: boolean;
  /** Reference-model options for the peers (and, in the oracle run, the DUT), e.g. hijack_tcp. */
  readonly nic?: Partial<Omit<ModelConfig, 'address'>>;
  /** Faults on the DUT's link, both directions (sim/net faults: loss, duplication, reordering). */
  readonly faults?: LinkFaultConfig;
  /**
   * Hosts besides the DUT that run the DUT's kind of NIC too (pairs of the NIC under test on one
   * wire; in the oracle run they are models like the rest). Default: none, every peer a model.
   */
  readonly dutPeers?: readonly number[];
  /** Simulated time after which every wait ends (default 1 s). */
  readonly horizonNs?: number;
  readonly seed?: number;
}

/** One simulated cluster of a test: the DUT at host 0, model peers after it. */
export class ConformanceCluster {
  readonly sim: SimCluster;
  private readonly devices = new Map<number, HomaDevice>();
  private readonly sentFrames: Uint8Array[];

  constructor(sim: SimCluster) {
    this.sim = sim;
    // Frames the DUT puts on its link, as they leave it (the wire, not the NIC).
    this.sentFrames = this.watch(0);
  }

  /** From now on, every frame host `i` puts on its link (a live list). */
  watch(i: number): Uint8Array[] {
    const list: Uint8Array[] = [];
    this.sim.network.cable(`host${i}`).forward.tap = { onTransmit: (frame) => { list.push(frame.slice()); } };
    return list;
  }

  /** Host 0's NIC as a Device (registers, host memory). */
  get dutDevice(): ClusterDevice { return this.sim.device(0); }
  /** Host 0's NIC through host-lib (sockets). */
  get dut(): HomaDevice { return this.host(0); }

  /** Host `i` through host-lib (opened once; closed with the cluster). */
  host(i: number): HomaDevice {
    let d = this.devices.get(i);
    if (!d) { d = new HomaDevice(this.sim.device(i)); this.devices.set(i, d); }
    return d;
  }

  /** The DUT's identity block. */
  identity(): NicIdentity { return readIdentity(this.dutDevice); }
  /** Every counter of the DUT, read through its register map. */
  counters(): Record<string, number> { return readCounters(this.dutDevice); }

  /** A host that exists only as frames this test writes (default host index 200, `index` for more). */
  wirePeer(index?: number): WirePeer {
    return new WirePeer({ dutAddress: this.dutDevice.address, index });
  }

  /**
   * Hand `frames` to the DUT's MAC one after another, paced as its 25 Gb/s link would deliver
   * them (so no burst overruns a receive buffer a real link could not overrun), then let them
   * land. `fcsError` marks them as a MAC that found a bad frame check sequence would.
   */
  async inject(frames: Uint8Array | readonly Uint8Array[], opt: { fcsError?: boolean } = {}): Promise<void> {
    const list = frames instanceof Uint8Array ? [frames] : frames;
    let atPs = 0;
    const endpoint = this.dutDevice.endpoint;
    for (const f of list) {
      atPs += Math.ceil(((Math.max(f.length, 60) + 24) * 8 / LINK_BITS_PER_SECOND) * 1e12);
      this.sim.at(atPs, () => endpoint.receive(f, opt.fcsError ?? false));
    }
    await this.sim.sleep(atPs / 1000 + SETTLE_NS);
  }

  /**
   * From now on, both directions of the DUT's link in the order frames go onto the wire: `out`
   * = sent by the DUT, `in` = sent towards it (it receives them a little later).
   */
  wireLog(): { dir: 'in' | 'out'; frame: Decoded | null }[] {
    const log: { dir: 'in' | 'out'; frame: Decoded | null }[] = [];
    const cable = this.sim.network.cable('host0');
    const sent = cable.forward.tap;
    cable.forward.tap = { onTransmit: (frame, atPs, link) => { sent?.onTransmit(frame, atPs, link); log.push({ dir: 'out', frame: decodeSent(frame) }); } };
    cable.reverse.tap = { onTransmit: (frame) => { log.push({ dir: 'in', frame: decodeSent(frame) }); } };
    return log;
  }

  /** Frames the DUT has sent so far, decoded (undecodable ones as null). */
  sent(): (Decoded | null)[] { return this.sentFrames.map(decodeSent); }

  sleep(ns: number): Promise<void> { return this.sim.sleep(ns); }
  /** Let frames in flight land. */
  settle(): Promise<void> { return this.sim.sleep(SETTLE_NS); }
  now(): number { return this.sim.now(); }

  /**
   * Close every socket on every host, let the simulation run until nothing is left to do (so
   * no wait is left behind to run it later), then release the NICs.
   */
  async close(): Promise<void> {
    for (const d of this.devices.values()) {
      try { d.close(); } catch { /* closing is best effort: the cluster goes anyway */ }
    }
    try {
      await this.sim.waitEvent(null, Infinity, this.sim.now() + 2e9);
    } catch { /* a simulation that failed has nothing left to run */ }
    this.sim.close();
  }
}

/** Model options every model host gets, so the oracle enforces the DUT's documented bounds. */
export function oracleOptions(id: NicIdentity): Partial<Omit<ModelConfig, 'address'>> {
  // checksums: the engine always verifies the Homa checksum (§1.7); the model does when asked.
  return { checksums: true, maxGaps: id.maxGaps, minRegionBpages: id.minRegionBpages };
}

/** What a test gets, once for the DUT's run and once for the model's (the oracle). */
export class TestContext {
  readonly observations = new Observations();
  private readonly clusters: ConformanceCluster[] = [];

  /**
   * `kind`: the DUT's NIC kind in this run; `role`: 'dut' for the run under test, 'oracle' for
   * the model's; `dutIdentity`: what the DUT under test reports (its bounds, for both runs).
   */
  constructor(readonly kind: DutKind, readonly role: 'dut' | 'oracle', readonly dutIdentity: NicIdentity) {}

  /** A fresh cluster: the DUT at host 0, model NICs at hosts 1.. (SimCluster.create for Verilator). */
  async cluster(spec: ClusterSpec = {}): Promise<ConformanceCluster> {
    const hosts = spec.hosts ?? 2;
    if (spec.ipv6) registerIpv6Kinds();
    const kind = (k: string): string => (spec.ipv6 ? ipv6Kind(k) : k);
    const sim = await SimCluster.create({
      hosts, seed: spec.seed ?? 1, horizonNs: spec.horizonNs ?? 1e9,
      engines: [kind(this.kind), ...Array.from({ length: hosts - 1 }, (_, i) => kind(spec.dutPeers?.includes(i + 1) ? this.kind : 'model'))],
      nic: { ...oracleOptions(this.dutIdentity), ...spec.nic },
    });
    const c = new ConformanceCluster(sim);
    this.clusters.push(c);
    if (spec.faults) {
      const cable = sim.network.cable('host0');
      sim.network.setLinkFaults(cable.forward, spec.faults);
      sim.network.setLinkFaults(cable.reverse, spec.faults);
    }
    return c;
  }

  /** Record a value the oracle run must reproduce. */
  record(label: string, value: Observation): void { this.observations.put(label, value); }

  /** Record received messages (kind, id, peer, length, hash of the bytes, bpage offsets). */
  recordMessages(label: string, msgs: readonly (Message | MessageRecord)[], order: MessageOrder = 'arrival'): void {
    this.observations.messages(label, msgs.map((m) => ('views' in m ? messageRecord(m) : m)), order);
  }

  /**
   * Record the DUT's counters after letting frames in flight land. `scope` 'receive' compares
   * the receive path's counters (group rx: observe.ts RECEIVE_COUNTERS), 'all' every one.
   */
  async recordCounters(c: ConformanceCluster, label = 'counters', scope: 'receive' | 'all' = 'receive'): Promise<Record<string, number>> {
    await c.settle();
    const values = c.counters();
    this.observations.counters(label, values, scope === 'receive' ? RECEIVE_COUNTERS : COUNTERS);
    return values;
  }

  /** Close every cluster this test made. */
  async teardown(): Promise<void> {
    for (const c of this.clusters.splice(0)) await c.close();
  }
}
