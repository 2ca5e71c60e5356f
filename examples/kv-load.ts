// examples/kv-load.ts — the key-value store under load on a simulated cluster: some hosts run
// KvServer, the others run KvClients that first load every key, then issue GETs and PUTs as
// open-loop Poisson arrivals. Value sizes come from a Homa workload (W1, Facebook memcached,
// by default). Offered load is the share of the servers' link bandwidth the responses use on
// the wire. Everything runs in simulated time, so a run is deterministic for a seed.

import { HomaDevice, SimCluster } from '../host-lib/index.ts';
import type { TrafficStats } from '../host-lib/index.ts';
import { Rng } from '../sim/net/rng.ts';
import { loadWorkload } from '../sim/workloads/cdf.ts';
import type { WorkloadName } from '../sim/workloads/cdf.ts';
import { SizeSampler } from '../sim/workloads/sampler.ts';
import { KvClient, KvServer } from './kv.ts';

export interface KvLoadOptions {
  hosts?: number;
  servers?: number;
  /** RPCs in the measured phase (after every key was loaded once). */
  rpcs?: number;
  /** Offered load on the servers' links, 0..1. */
  load?: number;
  workload?: WorkloadName;
  keys?: number;
  getFraction?: number;
  hostBitsPerSecond?: number;
  seed?: number;
}

export interface KvLoadResult {
  readonly options: Required<KvLoadOptions>;
  readonly rpcs: number;
  /** Sorted latencies of the measured phase, simulated nanoseconds. */
  readonly latencyNs: Float64Array;
  readonly getLatencyNs: Float64Array;
  readonly putLatencyNs: Float64Array;
  /** Simulated duration of the measured phase. */
  readonly simulatedNs: number;
  /** Request and response payload bytes of the measured phase. */
  readonly messageBytes: number;
  /** Wire traffic of the measured phase. */
  readonly traffic: TrafficStats;
  /** GETs that found no value (0 unless something went wrong). */
  readonly misses: number;
}

const DEFAULTS: Required<KvLoadOptions> = {
  hosts: 8, servers: 2, rpcs: 20_000, load: 0.5, workload: 'w1', keys: 2000, getFraction: 0.9, hostBitsPerSecond: 25e9, seed: 1,
};

/** Wire bytes of a message of `length`: per-packet headers (Eth 14, IP 20, DATA 56) and Ethernet overhead 24. */
function wireBytesOf(length: number): number {
  const packets = Math.max(1, Math.ceil(length / 1410));
  return length + packets * (14 + 20 + 56 + 24);
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export async function runKvLoad(options: KvLoadOptions = {}): Promise<KvLoadResult> {
  const o: Required<KvLoadOptions> = { ...DEFAULTS, ...options };
  if (o.servers < 1 || o.servers >= o.hosts) throw new RangeError(`servers ${o.servers}: need 1..hosts-1`);
  const cluster = new SimCluster({ hosts: o.hosts, hostBitsPerSecond: o.hostBitsPerSecond, seed: o.seed });
  const nics = cluster.devices.map((d) => new HomaDevice(d));
  const servers = nics.slice(0, o.servers).map((n) => new KvServer(n.socket({ port: 1, server: true })));
  const serving = servers.map((s) => s.run());
  const destinations = nics.slice(0, o.servers).map((n) => ({ address: n.address, port: 1 }));
  const clients = nics.slice(o.servers).map((n) => new KvClient(n.socket(), destinations));
  // Values leave room for the request header (op, key) under Homa's 1,000,000-byte limit.
  const sizes = new SizeSampler(loadWorkload(o.workload), { maxBytes: 1_000_000 - 64 });
  const keyName = (i: number): string => `key-${i}`;

  // Load every key once (closed loop, each client its share).
  await Promise.all(clients.map(async (c, ci) => {
    const rng = new Rng(o.seed, 1000 + ci);
    for (let k = ci; k < o.keys; k += clients.length) await c.put(keyName(k), valueOf(k, sizes.sample(rng)));
  }));

  // Measured phase: Poisson arrivals sized so the responses offer `load` of the servers' links.
  const meanResponseWire = o.getFraction * sizes.expectation((s) => wireBytesOf(1 + s)) + (1 - o.getFraction) * wireBytesOf(1);
  const ratePerClient = (o.load * o.servers * o.hostBitsPerSecond) / (8 * meanResponseWire) / clients.length;
  const before = cluster.stats();
  const t0 = cluster.now();
  const gets: number[] = [];
  const puts: number[] = [];
  let bytes = 0;
  let misses = 0;
  await Promise.all(clients.map(async (c, ci) => {
    const rng = new Rng(o.seed, ci);
    const share = Math.floor(o.rpcs / clients.length) + (ci < o.rpcs % clients.length ? 1 : 0);
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < share; i++) {
      await c.sock.device.sleep(rng.exponential(1e9 / ratePerClient));
      const key = keyName(rng.int(o.keys));
      const isGet = rng.float() < o.getFraction;
      const value = isGet ? null : valueOf(i, sizes.sample(rng));
      const start = cluster.now();
      inFlight.push((async () => {
        if (value) {
          await c.put(key, value);
          puts.push(cluster.now() - start);
          bytes += value.length + key.length + 4;
        } else {
          const v = await c.get(key);
          gets.push(cluster.now() - start);
          if (!v) misses++;
          bytes += (v?.length ?? 0) + key.length + 4;
        }
      })());
    }
    await Promise.all(inFlight);
  }));
  const simulatedNs = cluster.now() - t0;
  const after = cluster.stats();
  for (const s of servers) s.sock.close();
  await Promise.all(serving);

  const sorted = (a: number[]): Float64Array => Float64Array.from(a).sort();
  const delta: TrafficStats = {
    unscheduledBytes: after.unscheduledBytes - before.unscheduledBytes, grantedBytes: after.grantedBytes - before.grantedBytes,
    retransmittedBytes: after.retransmittedBytes - before.retransmittedBytes, dataPackets: after.dataPackets - before.dataPackets,
    controlPackets: after.controlPackets - before.controlPackets, controlWireBytes: after.controlWireBytes - before.controlWireBytes,
    wireBytes: after.wireBytes - before.wireBytes,
  };
  return {
    options: o, rpcs: gets.length + puts.length, latencyNs: sorted([...gets, ...puts]), getLatencyNs: sorted(gets), putLatencyNs: sorted(puts),
    simulatedNs, messageBytes: bytes, traffic: delta, misses,
  };
}

/** A value of `size` bytes whose content depends on `seed`. */
function valueOf(seed: number, size: number): Uint8Array {
  const v = new Uint8Array(size);
  for (let i = 0; i < size; i++) v[i] = (seed + i * 31) & 0xff;
  return v;
}
