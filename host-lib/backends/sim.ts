// host-lib/backends/sim.ts — the `sim` backend: a cluster of simulated hosts on the network
// simulator (sim/net), each NIC a Device (host-lib/device.ts) that an application in this
// process drives through ABI v2. A host's NIC is of a registered kind: `model` (the reference
// model, sim/model, the default), `rtl` (the engine's RTL in the JS simulator) or
// `rtl-verilator` (the same RTL in Verilator), chosen per cluster (`engine`), per host
// (`engines`) or by the environment (HOMA_NIC_ENGINE), so an application runs unchanged on
// any of them and model and RTL NICs share one network.
//
// Simulated time. The cluster owns the simulation's event loop and runs it only while
// application code is blocked: a waitEvent() or sleep() registers a waiter, and once the
// process has nothing else to do (setImmediate, after every pending promise has run) the
// cluster runs simulated events until some waiter's condition holds, resolves it, and stops.
// So `await socket.call(...)` advances simulated time exactly as far as that call needs,
// a run is deterministic (no wall-clock timers decide anything), and when nothing is left to
// simulate the waiters learn it ('idle') instead of hanging.

import type { ModelConfig } from '../../sim/model/config.ts';
import { ModelNic } from '../../sim/model/nic.ts';
import type { HostAddress } from '../../sim/net/frame.ts';
import type { EngineConfig } from '../../hw/homa/engine/config.ts';
import type { Simulator } from '../../sim/net/events.ts';
import { Network } from '../../sim/net/topology.ts';
import type { TopologySpec } from '../../sim/net/topology.ts';
import type { Endpoint } from '../../sim/net/endpoint.ts';
import { checkOptions } from '../arguments.ts';
import type { Device, WaitResult } from '../device.ts';
import { DeviceLostError } from '../errors.ts';
import { SimDevice } from './sim-device.ts';
import { HostFaults } from './sim-hosts.ts';
import { TrafficTap } from './sim-traffic.ts';
import type { TrafficStats } from './sim-traffic.ts';
import { rtlNicKind } from './rtl.ts';

export type { TrafficStats } from './sim-traffic.ts';
export { SimDevice } from './sim-device.ts';

/** A host's NIC as a cluster holds it: a Device, its event count, and what the network attaches. */
export interface ClusterDevice extends Device {
  readonly index: number;
  readonly events: number;
  readonly endpoint: Endpoint;
  /** Release what the NIC holds (native simulators) when the cluster is closed. */
  dispose?(): void;
}

/** What a kind of NIC needs to make one for host `index`. */
export interface NicKindContext {
  readonly cluster: SimCluster;
  readonly index: number;
  readonly address: HostAddress;
  readonly options: SimClusterOptions;
  /** Some host of the cluster is not a model NIC (models then compute checksums, which RTL verifies). */
  readonly mixed: boolean;
  /** How many times this host has restarted (0 at first; a NIC may start its ids elsewhere after a reboot). */
  readonly incarnation: number;
}

/** A kind of simulated NIC: `model`, `rtl`, `rtl-verilator`, or one registered by a caller. */
export interface NicKind {
  readonly description: string;
  /** Work that must happen before `create` can be quick (a Verilator build); `SimCluster.create` awaits it. */
  prepare?(options: SimClusterOptions): Promise<void>;
  create(ctx: NicKindContext): ClusterDevice;
}

const nicKinds = new Map<string, NicKind>();

/** Makes a kind of NIC available to SimCluster under `name` (replacing one of the same name). */
export function registerNicKind(name: string, kind: NicKind): void { nicKinds.set(name, kind); }

/** Names of the NIC kinds a SimCluster can hold. */
export function nicKindNames(): string[] { return [...nicKinds.keys()]; }

function nicKind(name: string, where: string): NicKind {
  const k = nicKinds.get(name);
  if (!k) throw new RangeError(`${where}: no NIC kind '${name}' (known: ${nicKindNames().join(', ')})`);
  return k;
}

/** The NIC kind a cluster uses when its options do not say: HOMA_NIC_ENGINE, else `model`. */
export function defaultNicEngine(): string {
  const e = process.env['HOMA_NIC_ENGINE']?.trim();
  if (e) nicKind(e, 'HOMA_NIC_ENGINE');
  return e || 'model';
}

export interface SimClusterOptions {
  /** Hosts on one switch (default 2, or as many as `engines` names); ignored when `topology` is given. */
  hosts?: number;
  /** Any sim/net topology (single switch or two-level tree). */
  topology?: TopologySpec;
  /** Host link rate (default 25 Gb/s, HomaModule's link_mbps) for the single-switch default. */
  hostBitsPerSecond?: number;
  /** Per-switch forwarding delay (default 250 ns). */
  switchDelayNs?: number;
  /** Time from a doorbell write to the NIC acting on it (default 0). */
  doorbellNs?: number;
  /**
   * Time from a queue pair's disable to the engine reporting it inactive (default 0: at once);
   * the host must not free or reuse its memory before.
   */
  disableNs?: number;
  /** Seed for every random choice in the network. */
  seed?: number;
  /** HomaModule tunables and model options for every NIC. */
  nic?: Partial<Omit<ModelConfig, 'address'>>;
  /** Simulated time after which waits end as 'idle' (a guard against livelock; default 60 s). */
  horizonNs?: number;
  /** Every host's NIC kind: 'model', 'rtl', 'rtl-verilator' (default HOMA_NIC_ENGINE, else 'model'). */
  engine?: string;
  /** Each host's NIC kind, host 0 first (hosts past the list take `engine`). */
  engines?: readonly string[];
  /** Engine configuration of RTL NICs (hw/homa/engine/config.ts; default 'u250'). */
  rtl?: EngineConfig | string;
}

const CLUSTER_OPTIONS = [
  'hosts', 'topology', 'hostBitsPerSecond', 'switchDelayNs', 'doorbellNs', 'disableNs', 'seed', 'nic', 'horizonNs', 'engine', 'engines', 'rtl',
] as const;

/** Hosts given as one index or a list. */
export type HostSet = number | readonly number[];

interface Waiter {
  device: { readonly events: number } | null;
  after: number;
  deadlinePs: number;
  resolve: (r: WaitResult) => void;
  reject: (e: unknown) => void;
}

/** Wall-clock budget of one pump before yielding to the process (no effect on results). */
const PUMP_SLICE_MS = 50;
/** Simulated time run per step of the pump before it looks at the wall clock. */
const STEP_PS = 1_000_000_000;

export class SimCluster {
  /**
   * A cluster whose NICs may need preparing first (a Verilator build): the same as `new
   * SimCluster(opt)`, without the build blocking the process.
   */
  static async create(opt: SimClusterOptions = {}): Promise<SimCluster> {
    for (const name of new Set(SimCluster.kindsOf(opt))) await nicKind(name, 'SimCluster').prepare?.(opt);
    return new SimCluster(opt);
  }

  /** The NIC kind of every host `opt` describes. */
  private static kindsOf(opt: SimClusterOptions): string[] {
    checkOptions('SimCluster', opt, CLUSTER_OPTIONS);
    const n = opt.topology ? new Network(opt.topology, () => { throw new Error('unused'); }, 1).hosts.length : opt.hosts ?? Math.max(2, opt.engines?.length ?? 0);
    const fallback = opt.engine ?? defaultNicEngine();
    return Array.from({ length: n }, (_, i) => opt.engines?.[i] ?? fallback);
  }

  readonly network: Network;
  readonly devices: ClusterDevice[] = [];
  /** Each host's NIC kind. */
  readonly engines: readonly string[];
  /** The options the cluster was made with (NIC kinds read their part). */
  readonly options: SimClusterOptions;
  readonly traffic = new TrafficTap();
  private readonly sim: Simulator;
  private readonly horizonPs: number;
  private waiters: Waiter[] = [];
  private pumpQueued = false;
  private woke = false;
  /** Set when a simulated event threw: the simulation can't go on, and every wait fails with it. */
  private failure: Error | null = null;
  readonly doorbellPs: number;
  readonly disablePs: number;
  private readonly faults: HostFaults;
  /** Devices of crashed hosts: every wait on them fails with ENODEV. */
  private readonly lost = new Map<{ readonly events: number }, number>();
  private readonly incarnations: number[];
  private idleWhy = '';

  constructor(opt: SimClusterOptions = {}) {
    checkOptions('SimCluster', opt, CLUSTER_OPTIONS);
    const spec: TopologySpec = opt.topology ?? {
      kind: 'single', hosts: opt.hosts ?? Math.max(2, opt.engines?.length ?? 0), hostBitsPerSecond: opt.hostBitsPerSecond ?? 25e9,
      switchDelayPs: Math.round((opt.switchDelayNs ?? 250) * 1000),
    };
    this.network = new Network(spec, (a) => this.faults.endpointFor(a.index), opt.seed ?? 1);
    this.faults = new HostFaults({ network: this.network, endpointOf: (i) => this.devices[i]!.endpoint }, this.network.hosts.length);
    this.incarnations = this.network.hosts.map(() => 0);
    this.sim = this.network.sim;
    this.horizonPs = Math.round((opt.horizonNs ?? 60e9) * 1000);
    this.doorbellPs = Math.round((opt.doorbellNs ?? 0) * 1000);
    this.disablePs = Math.round((opt.disableNs ?? 0) * 1000);
    this.options = opt;
    if (opt.engines && opt.engines.length > this.network.hosts.length) {
      throw new RangeError(`SimCluster: ${opt.engines.length} NIC kinds in 'engines' for ${this.network.hosts.length} hosts`);
    }
    const fallback = opt.engine ?? defaultNicEngine();
    this.engines = this.network.hosts.map((_, i) => opt.engines?.[i] ?? fallback);
    const mixed = this.engines.some((e) => e !== 'model');
    this.network.hosts.forEach((h, i) => {
      this.devices.push(nicKind(this.engines[i]!, `SimCluster host ${i}`).create({ cluster: this, index: i, address: h.address, options: opt, mixed, incarnation: 0 }));
    });
    this.network.start();
  }

  /** The Device of host `i`. */
  device(i: number): ClusterDevice {
    const d = this.devices[i];
    if (!d) throw new RangeError(`host ${i} does not exist: this cluster has hosts 0..${this.devices.length - 1}`);
    return d;
  }

  /** Host `i`'s NIC when it is a reference model (tests that look inside the model). */
  modelDevice(i: number): SimDevice {
    const d = this.device(i);
    if (!(d instanceof SimDevice)) throw new TypeError(`host ${i}'s NIC is '${this.engines[i]}', not the reference model`);
    return d;
  }

  /** Release every NIC's resources (native simulators); the cluster is unusable afterwards. */
  close(): void {
    for (const d of this.devices) d.dispose?.();
  }

  /** Simulated time in nanoseconds. */
  now(): number { return this.sim.now() / 1000; }

  /** Bytes on the wire so far, by kind (DATA unscheduled / granted / retransmitted, control). */
  stats(): TrafficStats { return this.traffic.snapshot(); }

  /** Let `ns` of simulated time pass for the caller (an error if the horizon comes first). */
  async sleep(ns: number): Promise<void> {
    const until = this.now() + ns;
    while (this.now() < until) {
      if (await this.waitEvent(null, Infinity, until) === 'idle') throw new Error(`sleep(${ns} ns) cannot end: ${this.idleReason()}`);
    }
  }

  /** @internal SimDevice.waitEvent. */
  waitEvent(device: { readonly events: number } | null, after: number, deadlineNs?: number): Promise<WaitResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (device && this.lost.has(device)) return Promise.reject(this.lostError(device));
    if (device && device.events > after) return Promise.resolve('event');
    const deadlinePs = deadlineNs === undefined ? Infinity : Math.ceil(deadlineNs * 1000);
    if (deadlinePs <= this.sim.now()) return Promise.resolve('timeout');
    return new Promise((resolve, reject) => {
      if (deadlinePs !== Infinity) this.sim.at(deadlinePs, () => this.wake());
      this.waiters.push({ device, after, deadlinePs, resolve, reject });
      this.queuePump();
    });
  }

  /** @internal An event a waiter may care about: stop the simulation after this event. */
  wake(): void {
    this.woke = true;
    this.sim.stop();
  }

  /** @internal Schedule `fn` in the simulation `delayPs` from now. */
  at(delayPs: number, fn: () => void): void { this.sim.at(this.sim.now() + delayPs, fn); }

  /** @internal Why waits last ended 'idle' (the EDEADLK message). */
  idleReason(): string { return this.idleWhy || 'the simulation has nothing left to run'; }

  /**
   * Host `host` crashes: its NIC stops at once and loses every RPC, frames to it are dropped,
   * and every call of a program on it (its sockets, its device) fails with ENODEV, while
   * requests() loops there just end. Peers find out as over a real network: their RPCs to it
   * time out (ETIMEDOUT), or, once it has restarted without the socket, end with ENOTCONN.
   */
  crash(host: number): void {
    const d = this.device(host);
    if (!this.faults.isUp(host)) return;
    this.faults.crash(host);
    this.lost.set(d, host);
    const err = this.lostError(d);
    const keep: Waiter[] = [];
    for (const w of this.waiters) if (w.device === d) w.reject(err); else keep.push(w);
    this.waiters = keep;
  }

  /**
   * Host `host` boots again (crashing it first if it is up): a fresh NIC of the same kind and
   * address, with no sockets and no RPCs. Returns its device; open it again
   * (`open(cluster.device(host))`) to serve. The reference model starts its client ids
   * elsewhere after a reboot, so requests of the new incarnation are not taken for the old one's.
   */
  restart(host: number): ClusterDevice {
    this.crash(host);
    const old = this.device(host);
    const incarnation = ++this.incarnations[host]!;
    const h = this.network.hosts[host]!;
    this.devices[host] = nicKind(this.engines[host]!, `SimCluster host ${host}`).create({
      cluster: this, index: host, address: h.address, options: this.options, mixed: this.engines.some((e) => e !== 'model'), incarnation,
    });
    this.faults.restart(host);
    old.dispose?.();
    return this.devices[host]!;
  }

  /** @internal Is `device` a crashed host's (old) device? */
  isLost(device: { readonly events: number }): boolean { return this.lost.size > 0 && this.lost.has(device); }

  /** Is host `host` up (not crashed)? */
  isUp(host: number): boolean { this.device(host); return this.faults.isUp(host); }

  /** Cut the network between hosts `a` and hosts `b`: frames between them are dropped, both ways. */
  partition(a: HostSet, b: HostSet): void { this.faults.partition(this.hostList(a), this.hostList(b)); }

  /** Undo the partition between `a` and `b`, or every partition when called without hosts. */
  heal(a?: HostSet, b?: HostSet): void {
    this.faults.heal(a === undefined ? undefined : this.hostList(a), b === undefined ? undefined : this.hostList(b));
  }

  /** Frames dropped by partitions so far. */
  get partitionDrops(): number { return this.faults.partitionDrops; }

  private hostList(h: HostSet): number[] {
    const list = typeof h === 'number' ? [h] : [...h];
    for (const i of list) this.device(i);
    return list;
  }

  private lostError(d: { readonly events: number }): DeviceLostError {
    const i = this.lost.get(d) ?? -1;
    const url = (d as Partial<Device>).url ?? 'sim';
    return new DeviceLostError(url, i >= 0 && this.faults.isUp(i)
      ? `host ${i} crashed and has restarted since (SimCluster.restart): open its new device, cluster.device(${i})`
      : `host ${i} crashed (SimCluster.crash): its NIC and sockets are gone`);
  }

  private queuePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpQueued = false;
    const wallEnd = Date.now() + PUMP_SLICE_MS;
    for (;;) {
      if (this.settle()) break;
      if (this.waiters.length === 0) return;
      const now = this.sim.now();
      if (now >= this.horizonPs || this.sim.pending === 0) {
        this.idleWhy = now >= this.horizonPs
          ? `the simulation reached its horizon at ${this.now()} ns of simulated time (SimClusterOptions.horizonNs, default 60 s) with events still pending: nothing this call waits for happened by then`
          : `the simulation has nothing left to run at ${this.now()} ns (no packet in flight, no NIC timer, no other task waiting)`;
        this.settleAll('idle');
        return;
      }
      this.woke = false;
      try {
        this.sim.run(Math.min(now + STEP_PS, this.horizonPs));
      } catch (e) {
        this.failure = new Error(`the simulation failed at ${this.now()} ns: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        const all = this.waiters;
        this.waiters = [];
        for (const w of all) w.reject(this.failure);
        return;
      }
      if (!this.woke && Date.now() > wallEnd) break;
    }
    if (this.waiters.length > 0) this.queuePump();
  }

  /** Resolve every waiter whose condition holds; true if any was. */
  private settle(): boolean {
    const now = this.sim.now();
    const keep: Waiter[] = [];
    let any = false;
    for (const w of this.waiters) {
      if (w.device && w.device.events > w.after) { w.resolve('event'); any = true; }
      else if (w.deadlinePs <= now) { w.resolve('timeout'); any = true; }
      else keep.push(w);
    }
    this.waiters = keep;
    return any;
  }

  private settleAll(r: WaitResult): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w.resolve(r);
  }
}

registerNicKind('model', {
  description: 'the reference model (sim/model)',
  create: ({ cluster, index, address, options, mixed, incarnation }) => new SimDevice(cluster, index, new ModelNic({
    // RTL NICs verify the TCP-style checksum (spec §1.7), so models compute it when they share a network.
    // A rebooted host starts its client ids 2^32 further on per restart (next_id, §3.9).
    checksums: mixed, ...(incarnation > 0 ? { next_id: [0, incarnation] } : {}), ...options.nic, address: address.ipv4,
  })),
});
registerNicKind('rtl', rtlNicKind('js'));
registerNicKind('rtl-verilator', rtlNicKind('verilator'));
