// host-lib/backends/sim-device.ts — one simulated host's reference-model NIC (sim/model) as
// host-lib's Device: BAR 0 as the ABI's register blocks (identity, config, counters) and each
// queue pair's control and user page (sim-queue-pair.ts), DMA memory (sim-memory.ts), and the
// cluster's simulated time for waits.

import { DEFAULT_ENGINE_PARAMS, QP_CTRL_BASE, QP_STRIDE, QP_USER_BASE, registerBlocks, registerOffset, resetImage, v4Mapped } from '../../hw/homa/abi.ts';
import type { EngineParams } from '../../hw/homa/abi.ts';
import type { ModelNic } from '../../sim/model/nic.ts';
import { hostAddress } from '../../sim/net/frame.ts';
import type { Endpoint } from '../../sim/net/endpoint.ts';
import type { DmaBuffer, NicRpcInfo, WaitResult } from '../device.ts';
import { SimMemory } from './sim-memory.ts';
import { SimQueuePair } from './sim-queue-pair.ts';
import type { ClusterDevice, SimCluster } from './sim.ts';

/** Writable config words: byte offset -> [register, word]. */
const CONFIG_WORDS: Map<number, [string, number]> = (() => {
  const block = registerBlocks().find((b) => b.name === 'config')!;
  const m = new Map<number, [string, number]>();
  for (const r of block.registers) if (r.access !== 'ro') for (let k = 0; k < r.words; k++) m.set(block.offset + r.offset + 4 * k, [r.name, k]);
  return m;
})();
/** Tunables the model reads at the moment it decides (a write takes effect at once, as on the engine). */
const LIVE_TUNABLES: ReadonlySet<string> = new Set(['max_incoming', 'max_overcommit', 'window', 'grant_fifo_fraction', 'fifo_grant_increment']);

const COUNTER_WORDS: Map<number, [string, number]> = (() => {
  const block = registerBlocks().find((b) => b.name === 'counters')!;
  const m = new Map<number, [string, number]>();
  for (const r of block.registers) for (let k = 0; k < r.words; k++) m.set(block.offset + r.offset + 4 * k, [r.name, k]);
  return m;
})();

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
      // With no doorbell latency the NIC acts at the write itself, as at a later event of the
      // same instant: the same simulated time, without a trip through the event loop.
      soon: (fn: () => void, delayPs = cluster.doorbellPs): void => { if (delayPs === 0) fn(); else cluster.at(delayPs, fn); },
      raise: (): void => { this.events++; cluster.wake(); },
      note: (p: string): void => { this.problems.push(p); },
    };
    for (let i = 0; i < params.numQueuePairs; i++) this.queuePairs.push(new SimQueuePair(host, i));
  }

  // Queue-pair pages: ctrl pages from QP_CTRL_BASE, user pages from QP_USER_BASE, QP_STRIDE apart
  // (computed inline: the rings' doorbells and status reads come through here per message).

  read32(offset: number): number {
    if (offset >= QP_CTRL_BASE) {
      const user = offset >= QP_USER_BASE;
      const rel = offset - (user ? QP_USER_BASE : QP_CTRL_BASE);
      const qp = this.queuePairs[(rel / QP_STRIDE) | 0];
      if (!qp) return 0;
      return user ? qp.readUser(rel % QP_STRIDE) : qp.readCtrl(rel % QP_STRIDE);
    }
    const c = COUNTER_WORDS.get(offset);
    if (c) {
      const v = this.nic.counters[c[0]] ?? 0;
      return c[1] === 0 ? v % 2 ** 32 : Math.floor(v / 2 ** 32);
    }
    return this.bar[offset >>> 2] ?? 0;
  }

  write32(offset: number, value: number): void {
    if (this.cluster.isLost(this)) return;                            // a crashed host's NIC acts on nothing
    if (offset < QP_CTRL_BASE) {
      // Configuration registers are stored; the grant scheduler's tunables also take effect in
      // the model at once (as they do in the engine). The others keep the values the model was
      // built with (pass them as SimClusterOptions.nic).
      if (offset >>> 2 < this.bar.length) this.bar[offset >>> 2] = value >>> 0;
      const word = CONFIG_WORDS.get(offset);
      if (word && LIVE_TUNABLES.has(word[0])) (this.nic.cfg as unknown as Record<string, number>)[word[0]] = value >>> 0;
      return;
    }
    const user = offset >= QP_USER_BASE;
    const rel = offset - (user ? QP_USER_BASE : QP_CTRL_BASE);
    const qp = this.queuePairs[(rel / QP_STRIDE) | 0];
    if (!qp) return;                                                   // past the last queue pair
    if (user) qp.writeUser(rel % QP_STRIDE, value >>> 0);
    else qp.writeCtrl(rel % QP_STRIDE, value >>> 0);
  }

  allocateDma(bytes: number, align?: number): DmaBuffer { return this.memory.allocate(bytes, align); }
  freeDma(buffer: DmaBuffer): void { this.memory.free(buffer); }
  eventCount(): number { return this.events; }
  waitEvent(after: number, deadlineNs?: number): Promise<WaitResult> { return this.cluster.waitEvent(this, after, deadlineNs); }
  now(): number { return this.cluster.now(); }
  sleep(ns: number): Promise<void> { return this.cluster.sleep(ns); }
  close(): void {}
  idleReason(): string { return this.cluster.idleReason(); }
  rpcInfo(queuePair: number): NicRpcInfo[] { return this.queuePairs[queuePair]?.rpcInfo() ?? []; }
  /** @internal The model's queue pair behind ABI queue pair `i` (tests and inspection). */
  modelQueuePair(i: number): SimQueuePair | undefined { return this.queuePairs[i]; }
}
