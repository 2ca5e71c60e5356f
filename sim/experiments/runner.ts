// sim/experiments/runner.ts — runs one experiment: a network of hosts running a stack,
// open-loop Poisson traffic from a workload at a target load, and a record per message of
// its size, endpoints, creation and completion times.
//
// Measurement: messages created in [warmup, duration) are measured. Arrivals keep coming
// after `duration` while the run drains (so the measured messages still see the same load),
// until every measured message has completed or `drainLimit` has passed; messages still
// incomplete then are reported as such, never dropped from the count.

import type { Endpoint } from '../net/endpoint.ts';
import { Rng } from '../net/rng.ts';
import { PcapWriter } from '../net/pcap.ts';
import { Network, hostCount, type TopologySpec } from '../net/topology.ts';
import { PoissonArrivals, messageRatePerHost, uniformOtherHost } from '../workloads/arrivals.ts';
import type { SizeSampler } from '../workloads/sampler.ts';
import { IdealTable } from './ideal.ts';
import type { MessageRole, Stack, StackHost } from './stack.ts';
import { ReceiverIdleMeter } from './waste.ts';

export type TrafficMode = 'oneway' | 'rpc';

export interface ExperimentConfig {
  readonly topology: TopologySpec;
  readonly stack: Stack;
  readonly workloadName: string;
  readonly sampler: SizeSampler;
  readonly load: number;
  readonly durationPs: number;
  readonly warmupPs: number;
  /** Longest the run continues after `durationPs` waiting for measured messages. */
  readonly drainLimitPs: number;
  readonly seed: number;
  readonly mode: TrafficMode;
  /** RPC mode: response length; 'echo' = same as the request. */
  readonly rpcResponseBytes?: number | 'echo';
  /** Capture host 0's cable. */
  readonly pcapPath?: string;
  /** Reuse measured ideal times across runs of the same topology and stack. */
  readonly ideal?: IdealTable;
  readonly onProgress?: (p: Progress) => void;
  /** Skip the idle-network runs (benchmarks): ideal times are then NaN. */
  readonly skipIdeal?: boolean;
}

export interface Progress {
  readonly simPs: number;
  readonly targetPs: number;
  readonly events: number;
  readonly wallMs: number;
  readonly completed: number;
  readonly created: number;
}

/** One row per measured message (one-way) or per RPC (request + response). */
export interface MessageRecords {
  readonly count: number;
  readonly size: Float64Array;
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly createdPs: Float64Array;
  /** -1 if still incomplete at the end of the run. */
  readonly completedPs: Float64Array;
  /** Minimum possible time for the same size (request + response for RPCs). */
  readonly idealPs: Float64Array;
}

export interface ExperimentResult {
  readonly config: ExperimentConfig;
  readonly records: MessageRecords;
  readonly incomplete: number;
  readonly offeredLoad: number;
  /** Mean wire utilisation of host downlinks over the window. */
  readonly downlinkUtilisation: number;
  /** The same over the window's second half (less start-up transient). */
  readonly downlinkUtilisationSecondHalf: number;
  /** Delivered message bytes per host per second over the window / link rate. */
  readonly goodputShare: number;
  readonly wastedReceiverBandwidth: number;
  readonly wastedDefinition: 'since-first-packet' | 'since-creation';
  /** Created minus delivered message bytes at window start, middle and end. */
  readonly backlogBytes: readonly [number, number, number];
  /** Message bytes offered in the second half of the window. */
  readonly offeredBytesSecondHalf: number;
  readonly events: number;
  readonly wallMs: number;
  readonly endPs: number;
  readonly losses: ReturnType<Network['lossCounters']>;
}

const SLICE_PS = 20_000_000; // 20 us of simulated time between progress checks

export function runExperiment(cfg: ExperimentConfig): ExperimentResult {
  if (!(cfg.warmupPs >= 0 && cfg.warmupPs < cfg.durationPs)) throw new RangeError('warmup must be >= 0 and shorter than duration');
  const n = hostCount(cfg.topology);
  const linkBps = cfg.topology.hostBitsPerSecond;
  const responseBytes = cfg.rpcResponseBytes ?? 'echo';
  // In RPC mode each request also brings a response: both count towards the load.
  const meanWire = cfg.sampler.expectation((s) => cfg.stack.wireBytesPerMessage(s)) +
    (cfg.mode === 'rpc' ? (responseBytes === 'echo' ? cfg.sampler.expectation((s) => cfg.stack.wireBytesPerMessage(s)) : cfg.stack.wireBytesPerMessage(responseBytes)) : 0);
  const arrivals = new PoissonArrivals(messageRatePerHost(cfg.load, linkBps, meanWire));
  if (cfg.sampler.maxBytes > cfg.stack.maxMessageBytes) {
    throw new RangeError(`workload draws up to ${cfg.sampler.maxBytes} B but stack ${cfg.stack.name} takes at most ${cfg.stack.maxMessageBytes} B`);
  }

  // Per network message: owning record, whether it is a response, its size and receiver.
  const rec = new Records();
  const msgRecord: number[] = [];
  const msgIsResponse: boolean[] = [];
  const msgSize: number[] = [];
  const msgDst: number[] = [];
  const hosts: StackHost[] = [];
  let createdBytes = 0;
  let deliveredBytes = 0;
  let measuredOpen = 0;
  let totalCompleted = 0;

  let net: Network;
  let meter: ReceiverIdleMeter | null = null;
  const roleOneWay: MessageRole = { kind: 'oneway' };
  const roleRequest: MessageRole = { kind: 'request' };
  const sendNetMessage = (record: number, isResponse: boolean, from: number, to: number, size: number, requestId = -1): void => {
    const id = msgRecord.length;
    msgRecord.push(record);
    msgIsResponse.push(isResponse);
    msgSize.push(size);
    msgDst.push(to);
    createdBytes += size;
    if (!cfg.stack.reportsMessageStart) meter!.started(to, net.sim.now());
    const role = isResponse ? { kind: 'response' as const, requestId } : cfg.mode === 'rpc' ? roleRequest : roleOneWay;
    hosts[from]!.sendMessage(id, to, size, role);
  };
  const eventsFor = (host: number) => ({
    messageStarted: cfg.stack.reportsMessageStart ? (id: number): void => meter!.started(host, net.sim.now()) : undefined,
    messageDelivered: (id: number): void => {
      const now = net.sim.now();
      const r = msgRecord[id];
      if (r === undefined || msgDst[id] !== host) throw new Error(`stack ${cfg.stack.name} reported message ${id} delivered at host ${host}, which it was not sent to`);
      deliveredBytes += msgSize[id]!;
      meter!.finished(host, now);
      if (cfg.mode === 'rpc' && !msgIsResponse[id]) {
        const size = responseBytes === 'echo' ? msgSize[id]! : responseBytes;
        sendNetMessage(r, true, host, rec.src[r]!, size, id);
        return;
      }
      if (rec.completedPs[r]! >= 0) throw new Error(`stack ${cfg.stack.name} delivered message ${id} twice`);
      rec.completedPs[r] = now;
      totalCompleted++;
      if (rec.measured[r]) measuredOpen--;
    },
  });
  const instance = cfg.stack.instantiate(n);
  net = new Network(cfg.topology, (addr): Endpoint => {
    const h = instance.createHost(addr, eventsFor(addr.index));
    hosts[addr.index] = h;
    return h.endpoint;
  }, cfg.seed);
  const sim = net.sim;
  meter = new ReceiverIdleMeter(net.hosts.map((h) => h.downlink));
  const pcap = cfg.pcapPath ? new PcapWriter(cfg.pcapPath) : null;
  if (pcap) pcap.attach(net.cable('host0'));
  net.start();

  // Open-loop arrivals: each host has its own random stream for gaps, sizes and peers.
  for (let h = 0; h < n; h++) {
    const rng = new Rng(cfg.seed, 0x10000 + h);
    const arrive = (): void => {
      const now = sim.now();
      const size = cfg.sampler.sample(rng);
      const dst = uniformOtherHost(rng, h, n);
      const measured = now >= cfg.warmupPs && now < cfg.durationPs;
      const r = rec.add(size, h, dst, now, measured);
      if (measured) measuredOpen++;
      sendNetMessage(r, false, h, dst, size);
      sim.at(now + arrivals.nextGapPs(rng), arrive);
    };
    sim.at(arrivals.nextGapPs(rng), arrive);
  }

  const downlinks = net.hosts.map((h) => h.downlink);
  const downWire = (): number => downlinks.reduce((s, l) => s + l.counters.wireBytesSent, 0);
  let wireAtStart = 0;
  let wireAtEnd = 0;
  let deliveredAtStart = 0;
  let deliveredAtEnd = 0;
  const backlog: [number, number, number] = [0, 0, 0];
  let createdAtMid = 0;
  let createdAtEnd = 0;
  const mid = cfg.warmupPs + Math.floor((cfg.durationPs - cfg.warmupPs) / 2);
  sim.at(cfg.warmupPs, () => {
    meter!.openWindow(sim.now());
    wireAtStart = downWire();
    deliveredAtStart = deliveredBytes;
    backlog[0] = createdBytes - deliveredBytes;
  });
  let wireAtMid = 0;
  sim.at(mid, () => {
    wireAtMid = downWire();
    backlog[1] = createdBytes - deliveredBytes;
    createdAtMid = createdBytes;
  });
  sim.at(cfg.durationPs, () => {
    meter!.closeWindow(sim.now());
    wireAtEnd = downWire();
    deliveredAtEnd = deliveredBytes;
    backlog[2] = createdBytes - deliveredBytes;
    createdAtEnd = createdBytes;
  });

  const wallStart = performance.now();
  let lastReport = wallStart;
  const limit = cfg.durationPs + cfg.drainLimitPs;
  const report = (): void => {
    cfg.onProgress?.({ simPs: sim.now(), targetPs: cfg.durationPs, events: sim.eventsProcessed, wallMs: performance.now() - wallStart, completed: totalCompleted, created: rec.count });
  };
  while (sim.now() < limit) {
    sim.run(Math.min(limit, sim.now() + SLICE_PS));
    if (sim.now() >= cfg.durationPs && measuredOpen === 0) break;
    const wall = performance.now();
    if (wall - lastReport > 5000) {
      lastReport = wall;
      report();
    }
  }
  report();
  pcap?.close();

  const ideal = cfg.ideal ?? new IdealTable(cfg.topology, cfg.stack);
  const records = rec.measuredOnly();
  const neededSizes = new Set<number>();
  for (let i = 0; i < records.count; i++) {
    neededSizes.add(records.size[i]!);
    if (cfg.mode === 'rpc' && responseBytes !== 'echo') neededSizes.add(responseBytes);
  }
  if (!cfg.skipIdeal) ideal.measure(neededSizes, cfg.seed);
  let incomplete = 0;
  for (let i = 0; i < records.count; i++) {
    const hops = net.switchHops(records.src[i]!, records.dst[i]!);
    const size = records.size[i]!;
    records.idealPs[i] = cfg.skipIdeal ? Number.NaN : ideal.get(size, hops) + (cfg.mode === 'rpc' ? ideal.get(responseBytes === 'echo' ? size : responseBytes, hops) : 0);
    if (records.completedPs[i]! < 0) incomplete++;
  }
  const windowPs = cfg.durationPs - cfg.warmupPs;
  const windowCapacityBytes = (linkBps / 8) * (windowPs / 1e12) * n;
  return {
    config: cfg,
    records,
    incomplete,
    offeredLoad: cfg.load,
    downlinkUtilisation: (wireAtEnd - wireAtStart) / windowCapacityBytes,
    downlinkUtilisationSecondHalf: (wireAtEnd - wireAtMid) / ((linkBps / 8) * ((cfg.durationPs - mid) / 1e12) * n),
    goodputShare: (deliveredAtEnd - deliveredAtStart) / windowCapacityBytes,
    wastedReceiverBandwidth: meter.wastedFraction,
    wastedDefinition: cfg.stack.reportsMessageStart ? 'since-first-packet' : 'since-creation',
    backlogBytes: backlog,
    offeredBytesSecondHalf: createdAtEnd - createdAtMid,
    events: sim.eventsProcessed,
    wallMs: performance.now() - wallStart,
    endPs: sim.now(),
    losses: net.lossCounters(),
  };
}

/** Growable columns of message records. */
class Records {
  count = 0;
  size: Float64Array = new Float64Array(1024);
  src: Int32Array = new Int32Array(1024);
  dst: Int32Array = new Int32Array(1024);
  createdPs: Float64Array = new Float64Array(1024);
  completedPs: Float64Array = new Float64Array(1024);
  measured: Uint8Array = new Uint8Array(1024);

  add(size: number, src: number, dst: number, createdPs: number, measured: boolean): number {
    if (this.count === this.size.length) this.grow();
    const i = this.count++;
    this.size[i] = size;
    this.src[i] = src;
    this.dst[i] = dst;
    this.createdPs[i] = createdPs;
    this.completedPs[i] = -1;
    this.measured[i] = measured ? 1 : 0;
    return i;
  }

  measuredOnly(): MessageRecords {
    let m = 0;
    for (let i = 0; i < this.count; i++) m += this.measured[i]!;
    const out = { count: m, size: new Float64Array(m), src: new Int32Array(m), dst: new Int32Array(m), createdPs: new Float64Array(m), completedPs: new Float64Array(m), idealPs: new Float64Array(m) };
    let j = 0;
    for (let i = 0; i < this.count; i++) {
      if (!this.measured[i]) continue;
      out.size[j] = this.size[i]!;
      out.src[j] = this.src[i]!;
      out.dst[j] = this.dst[i]!;
      out.createdPs[j] = this.createdPs[i]!;
      out.completedPs[j] = this.completedPs[i]!;
      j++;
    }
    return out;
  }

  private grow(): void {
    const cap = this.size.length * 2;
    const f = (a: Float64Array): Float64Array => { const b = new Float64Array(cap); b.set(a); return b; };
    const g = (a: Int32Array): Int32Array => { const b = new Int32Array(cap); b.set(a); return b; };
    this.size = f(this.size);
    this.createdPs = f(this.createdPs);
    this.completedPs = f(this.completedPs);
    this.src = g(this.src);
    this.dst = g(this.dst);
    const m = new Uint8Array(cap);
    m.set(this.measured);
    this.measured = m;
  }
}
