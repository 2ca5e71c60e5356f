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

import {
  DEFAULT_ENGINE_PARAMS, QP_CTRL_BASE, QP_STRIDE, QP_USER_BASE, registerBlocks, registerOffset, resetImage, v4Mapped,
} from '../../hw/homa/abi.ts';
import type { EngineParams } from '../../hw/homa/abi.ts';
import type { ModelConfig } from '../../sim/model/config.ts';
import { ModelNic } from '../../sim/model/nic.ts';
import { hostAddress, type HostAddress } from '../../sim/net/frame.ts';
import type { EngineConfig } from '../../hw/homa/engine/config.ts';
import type { Simulator } from '../../sim/net/events.ts';
import { Network } from '../../sim/net/topology.ts';
import type { TopologySpec } from '../../sim/net/topology.ts';
import type { Endpoint } from '../../sim/net/endpoint.ts';
import type { Device, DmaBuffer, WaitResult } from '../device.ts';
import { SimMemory } from './sim-memory.ts';
import { SimQueuePair } from './sim-queue-pair.ts';
import { TrafficTap } from './sim-traffic.ts';
import type { TrafficStats } from './sim-traffic.ts';
import { rtlNicKind } from './rtl.ts';

export type { TrafficStats } from './sim-traffic.ts';

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

  constructor(opt: SimClusterOptions = {}) {
    const spec: TopologySpec = opt.topology ?? {
      kind: 'single', hosts: opt.hosts ?? Math.max(2, opt.engines?.length ?? 0), hostBitsPerSecond: opt.hostBitsPerSecond ?? 25e9,
      switchDelayPs: Math.round((opt.switchDelayNs ?? 250) * 1000),
    };
    this.network = new Network(spec, (a) => this.devices[a.index]!.endpoint, opt.seed ?? 1);
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
      this.devices.push(nicKind(this.engines[i]!, `SimCluster host ${i}`).create({ cluster: this, index: i, address: h.address, options: opt, mixed }));
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

  /** Let `ns` of simulated time pass for the caller. */
  async sleep(ns: number): Promise<void> {
    const until = this.now() + ns;
    while (this.now() < until) await this.waitEvent(null, Infinity, until);
  }

  /** @internal SimDevice.waitEvent. */
  waitEvent(device: { readonly events: number } | null, after: number, deadlineNs?: number): Promise<WaitResult> {
    if (this.failure) return Promise.reject(this.failure);
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
      if (now >= this.horizonPs || this.sim.pending === 0) { this.settleAll('idle'); return; }
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

const COUNTER_WORDS: Map<number, [string, number]> = (() => {
  const block = registerBlocks().find((b) => b.name === 'counters')!;
  const m = new Map<number, [string, number]>();
  for (const r of block.registers) for (let k = 0; k < r.words; k++) m.set(block.offset + r.offset + 4 * k, [r.name, k]);
  return m;
})();

/** Writable config words: byte offset -> [register, word]. */
const CONFIG_WORDS: Map<number, [string, number]> = (() => {
  const block = registerBlocks().find((b) => b.name === 'config')!;
  const m = new Map<number, [string, number]>();
  for (const r of block.registers) if (r.access !== 'ro') for (let k = 0; k < r.words; k++) m.set(block.offset + r.offset + 4 * k, [r.name, k]);
  return m;
})();
/** Tunables the model reads at the moment it decides (a write takes effect at once, as on the engine). */
const LIVE_TUNABLES: ReadonlySet<string> = new Set(['max_incoming', 'max_overcommit', 'window', 'grant_fifo_fraction', 'fifo_grant_increment']);

/** One simulated host's reference-model NIC as a Device. */
export class SimDevice implements ClusterDevice {
  readonly url: string;
  readonly address: Uint8Array;
  readonly nic: ModelNic;
  readonly cluster: SimCluster;
  readonly index: number;
  readonly memory = new SimMemory();
  /** @internal */
  events = 0;
  /** Problems the NIC noticed (rejected descriptors, bad registrations), newest last. */
  readonly problems: string[] = [];
  /** BAR 0 below the queue-pair pages: the register blocks. */
  private readonly bar: Uint32Array;
  private readonly queuePairs: SimQueuePair[] = [];
  /** @internal What the network attaches: the NIC, with a tap counting its frames. */
  readonly endpoint: Endpoint;

  constructor(cluster: SimCluster, index: number, nic: ModelNic) {
    this.cluster = cluster;
    this.index = index;
    this.nic = nic;
    this.url = `sim:${index}`;
    this.address = hostAddress(index).ipv4;
    // The identity block reports what this model enforces.
    const params: EngineParams = { ...DEFAULT_ENGINE_PARAMS, maxGaps: nic.cfg.maxGaps };
    this.bar = resetImage(params);
    const set = (block: 'identity' | 'config', name: string, words: readonly number[]): void => {
      words.forEach((w, k) => { this.bar[registerOffset(block, name, params) / 4 + k] = w >>> 0; });
    };
    set('identity', 'min_region_bpages', [nic.cfg.minRegionBpages]);
    const a = v4Mapped(nic.cfg.address);
    set('config', 'ip_addr', [0, 1, 2, 3].map((i) => (a[4 * i]! << 24) | (a[4 * i + 1]! << 16) | (a[4 * i + 2]! << 8) | a[4 * i + 3]!));
    const mac = nic.cfg.macOf(nic.cfg.address);
    set('config', 'mac_addr', [mac % 2 ** 32, Math.floor(mac / 2 ** 32)]);
    this.endpoint = cluster.traffic.wrap(nic, () => nic.maxSchedPrio);
    const host = {
      nic, memory: this.memory, minRegionBpages: nic.cfg.minRegionBpages, maxRegionBpages: params.maxRegionBpages,
      disablePs: cluster.disablePs,
      soon: (fn: () => void, delayPs = cluster.doorbellPs): void => cluster.at(delayPs, fn),
      raise: (): void => { this.events++; cluster.wake(); },
      note: (p: string): void => { this.problems.push(p); },
    };
    for (let i = 0; i < params.numQueuePairs; i++) this.queuePairs.push(new SimQueuePair(host, i));
  }

  /** Which queue pair's page `offset` is in, and where in it. */
  private page(offset: number): { qp: SimQueuePair; user: boolean; within: number } | null {
    const user = offset >= QP_USER_BASE;
    const rel = offset - (user ? QP_USER_BASE : QP_CTRL_BASE);
    const qp = this.queuePairs[Math.floor(rel / QP_STRIDE)];
    return qp && rel >= 0 ? { qp, user, within: rel % QP_STRIDE } : null;
  }

  read32(offset: number): number {
    if (offset >= QP_CTRL_BASE) {
      const p = this.page(offset);
      if (!p) return 0;
      return p.user ? p.qp.readUser(p.within) : p.qp.readCtrl(p.within);
    }
    const c = COUNTER_WORDS.get(offset);
    if (c) {
      const v = this.nic.counters[c[0]] ?? 0;
      return c[1] === 0 ? v % 2 ** 32 : Math.floor(v / 2 ** 32);
    }
    return this.bar[offset >>> 2] ?? 0;
  }

  write32(offset: number, value: number): void {
    if (offset < QP_CTRL_BASE) {
      // Configuration registers are stored; the grant scheduler's tunables also take effect in
      // the model at once (as they do in the engine). The others keep the values the model was
      // built with (pass them as SimClusterOptions.nic).
      if (offset >>> 2 < this.bar.length) this.bar[offset >>> 2] = value >>> 0;
      const word = CONFIG_WORDS.get(offset);
      if (word && LIVE_TUNABLES.has(word[0])) (this.nic.cfg as unknown as Record<string, number>)[word[0]] = value >>> 0;
      return;
    }
    const p = this.page(offset);
    if (!p) return;                                                    // past the last queue pair
    if (p.user) p.qp.writeUser(p.within, value >>> 0);
    else p.qp.writeCtrl(p.within, value >>> 0);
  }

  allocateDma(bytes: number, align?: number): DmaBuffer { return this.memory.allocate(bytes, align); }
  freeDma(buffer: DmaBuffer): void { this.memory.free(buffer); }
  eventCount(): number { return this.events; }
  waitEvent(after: number, deadlineNs?: number): Promise<WaitResult> { return this.cluster.waitEvent(this, after, deadlineNs); }
  now(): number { return this.cluster.now(); }
  sleep(ns: number): Promise<void> { return this.cluster.sleep(ns); }
  close(): void {}
  /** @internal The model's queue pair behind ABI queue pair `i` (tests and inspection). */
  modelQueuePair(i: number): SimQueuePair | undefined { return this.queuePairs[i]; }
}


registerNicKind('model', {
  description: 'the reference model (sim/model)',
  create: ({ cluster, index, address, options, mixed }) => new SimDevice(cluster, index, new ModelNic({
    // RTL NICs verify the TCP-style checksum (spec §1.7), so models compute it when they share a network.
    checksums: mixed, ...options.nic, address: address.ipv4,
  })),
});
registerNicKind('rtl', rtlNicKind('js'));
registerNicKind('rtl-verilator', rtlNicKind('verilator'));
