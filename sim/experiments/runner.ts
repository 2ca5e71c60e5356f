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

/**
 * One experiment, in its parts: check the configuration and derive the arrival rate, build the
 * network with the stack on every host, schedule the open-loop arrivals and the measurement
 * window, run until the measured messages are done, then price each against its ideal time
 * and summarise.
 */
export function runExperiment(cfg: ExperimentConfig): ExperimentResult {
  const arrivals = arrivalProcess(cfg);
  const ledger = new MessageLedger(cfg);
  const { net, meter, pcap } = buildNetwork(cfg, ledger);
  scheduleArrivals(cfg, net, ledger, arrivals);
  const window = scheduleWindow(cfg, net, ledger, meter);
  const wallStart = performance.now();
  runUntilDrained(cfg, net, ledger, wallStart);
  pcap?.close();
  const { records, incomplete } = pricedRecords(cfg, net, ledger);
  return summarise(cfg, { net, meter, window, records, incomplete, wallMs: performance.now() - wallStart });
}

/** The response length of an RPC run ('echo': the request's). */
const responseBytesOf = (cfg: ExperimentConfig): number | 'echo' => cfg.rpcResponseBytes ?? 'echo';

/** Poisson arrivals per host at the configured load; checks the configuration first. */
function arrivalProcess(cfg: ExperimentConfig): PoissonArrivals {
  if (!(cfg.warmupPs >= 0 && cfg.warmupPs < cfg.durationPs)) throw new RangeError('warmup must be >= 0 and shorter than duration');
  const responseBytes = responseBytesOf(cfg);
  // In RPC mode each request also brings a response: both count towards the load.
  const meanWire = cfg.sampler.expectation((s) => cfg.stack.wireBytesPerMessage(s)) +
    (cfg.mode === 'rpc' ? (responseBytes === 'echo' ? cfg.sampler.expectation((s) => cfg.stack.wireBytesPerMessage(s)) : cfg.stack.wireBytesPerMessage(responseBytes)) : 0);
  const arrivals = new PoissonArrivals(messageRatePerHost(cfg.load, cfg.topology.hostBitsPerSecond, meanWire));
  if (cfg.sampler.maxBytes > cfg.stack.maxMessageBytes) {
    throw new RangeError(`workload draws up to ${cfg.sampler.maxBytes} B but stack ${cfg.stack.name} takes at most ${cfg.stack.maxMessageBytes} B`);
  }
  return arrivals;
}

const roleOneWay: MessageRole = { kind: 'oneway' };
const roleRequest: MessageRole = { kind: 'request' };

/**
 * Every message the run creates: the records (one per one-way message or RPC) and, per network
 * message, its record, whether it is a response, its size and receiver; byte and completion
 * counts. Sends through the hosts and takes their delivery reports.
 */
class MessageLedger {
  readonly rec = new Records();
  private readonly msgRecord: number[] = [];
  private readonly msgIsResponse: boolean[] = [];
  private readonly msgSize: number[] = [];
  private readonly msgDst: number[] = [];
  readonly hosts: StackHost[] = [];
  createdBytes = 0;
  deliveredBytes = 0;
  measuredOpen = 0;
  totalCompleted = 0;
  /** Set once the network exists (its clock and receiver meter). */
  net!: Network;
  meter!: ReceiverIdleMeter;

  constructor(private readonly cfg: ExperimentConfig) {}

  send(record: number, isResponse: boolean, from: number, to: number, size: number, requestId = -1): void {
    const id = this.msgRecord.length;
    this.msgRecord.push(record);
    this.msgIsResponse.push(isResponse);
    this.msgSize.push(size);
    this.msgDst.push(to);
    this.createdBytes += size;
    if (!this.cfg.stack.reportsMessageStart) this.meter.started(to, this.net.sim.now());
    const role = isResponse ? { kind: 'response' as const, requestId } : this.cfg.mode === 'rpc' ? roleRequest : roleOneWay;
    this.hosts[from]!.sendMessage(id, to, size, role);
  }

  /** A new record from an arrival, sent as its first network message. */
  arrive(size: number, src: number, dst: number, now: number, measured: boolean): void {
    const r = this.rec.add(size, src, dst, now, measured);
    if (measured) this.measuredOpen++;
    this.send(r, false, src, dst, size);
  }

  /** What the stack on `host` reports. */
  eventsFor(host: number) {
    const cfg = this.cfg;
    return {
      messageStarted: cfg.stack.reportsMessageStart ? (_id: number): void => this.meter.started(host, this.net.sim.now()) : undefined,
      messageDelivered: (id: number): void => this.delivered(host, id),
    };
  }

  private delivered(host: number, id: number): void {
    const cfg = this.cfg, rec = this.rec;
    const now = this.net.sim.now();
    const r = this.msgRecord[id];
    if (r === undefined || this.msgDst[id] !== host) throw new Error(`stack ${cfg.stack.name} reported message ${id} delivered at host ${host}, which it was not sent to`);
    this.deliveredBytes += this.msgSize[id]!;
    this.meter.finished(host, now);
    if (cfg.mode === 'rpc' && !this.msgIsResponse[id]) {
      const responseBytes = responseBytesOf(cfg);
      const size = responseBytes === 'echo' ? this.msgSize[id]! : responseBytes;
      this.send(r, true, host, rec.src[r]!, size, id);
      return;
    }
    if (rec.completedPs[r]! >= 0) throw new Error(`stack ${cfg.stack.name} delivered message ${id} twice`);
    rec.completedPs[r] = now;
    this.totalCompleted++;
    if (rec.measured[r]) this.measuredOpen--;
  }
}

/** The topology with the stack on every host, the receivers' idle meter and the capture, started. */
function buildNetwork(cfg: ExperimentConfig, ledger: MessageLedger): { net: Network; meter: ReceiverIdleMeter; pcap: PcapWriter | null } {
  const instance = cfg.stack.instantiate(hostCount(cfg.topology));
  const net = new Network(cfg.topology, (addr): Endpoint => {
    const h = instance.createHost(addr, ledger.eventsFor(addr.index));
    ledger.hosts[addr.index] = h;
    return h.endpoint;
  }, cfg.seed);
  ledger.net = net;
  const meter = ledger.meter = new ReceiverIdleMeter(net.hosts.map((h) => h.downlink));
  const pcap = cfg.pcapPath ? new PcapWriter(cfg.pcapPath) : null;
  if (pcap) pcap.attach(net.cable('host0'));
  net.start();
  return { net, meter, pcap };
}

/** Open-loop arrivals: each host has its own random stream for gaps, sizes and peers. */
function scheduleArrivals(cfg: ExperimentConfig, net: Network, ledger: MessageLedger, arrivals: PoissonArrivals): void {
  const n = hostCount(cfg.topology);
  const sim = net.sim;
  for (let h = 0; h < n; h++) {
    const rng = new Rng(cfg.seed, 0x10000 + h);
    const arrive = (): void => {
      const now = sim.now();
      const size = cfg.sampler.sample(rng);
      const dst = uniformOtherHost(rng, h, n);
      ledger.arrive(size, h, dst, now, now >= cfg.warmupPs && now < cfg.durationPs);
      sim.at(now + arrivals.nextGapPs(rng), arrive);
    };
    sim.at(arrivals.nextGapPs(rng), arrive);
  }
}

/** What the measurement window records at its start, middle and end. */
interface WindowSnapshots {
  readonly midPs: number;
  wireAtStart: number;
  wireAtMid: number;
  wireAtEnd: number;
  deliveredAtStart: number;
  deliveredAtEnd: number;
  createdAtMid: number;
  createdAtEnd: number;
  readonly backlog: [number, number, number];
}

/** Snapshots of wire bytes, delivered and created bytes at warmup, mid-window and duration. */
function scheduleWindow(cfg: ExperimentConfig, net: Network, ledger: MessageLedger, meter: ReceiverIdleMeter): WindowSnapshots {
  const sim = net.sim;
  const downlinks = net.hosts.map((h) => h.downlink);
  const downWire = (): number => downlinks.reduce((s, l) => s + l.counters.wireBytesSent, 0);
  const w: WindowSnapshots = {
    midPs: cfg.warmupPs + Math.floor((cfg.durationPs - cfg.warmupPs) / 2),
    wireAtStart: 0, wireAtMid: 0, wireAtEnd: 0, deliveredAtStart: 0, deliveredAtEnd: 0, createdAtMid: 0, createdAtEnd: 0,
    backlog: [0, 0, 0],
  };
  sim.at(cfg.warmupPs, () => {
    meter.openWindow(sim.now());
    w.wireAtStart = downWire();
    w.deliveredAtStart = ledger.deliveredBytes;
    w.backlog[0] = ledger.createdBytes - ledger.deliveredBytes;
  });
  sim.at(w.midPs, () => {
    w.wireAtMid = downWire();
    w.backlog[1] = ledger.createdBytes - ledger.deliveredBytes;
    w.createdAtMid = ledger.createdBytes;
  });
  sim.at(cfg.durationPs, () => {
    meter.closeWindow(sim.now());
    w.wireAtEnd = downWire();
    w.deliveredAtEnd = ledger.deliveredBytes;
    w.backlog[2] = ledger.createdBytes - ledger.deliveredBytes;
    w.createdAtEnd = ledger.createdBytes;
  });
  return w;
}

/** Runs in slices until every measured message is done or the drain limit passes, reporting progress. */
function runUntilDrained(cfg: ExperimentConfig, net: Network, ledger: MessageLedger, wallStart: number): void {
  const sim = net.sim;
  let lastReport = wallStart;
  const limit = cfg.durationPs + cfg.drainLimitPs;
  const report = (): void => {
    cfg.onProgress?.({ simPs: sim.now(), targetPs: cfg.durationPs, events: sim.eventsProcessed, wallMs: performance.now() - wallStart, completed: ledger.totalCompleted, created: ledger.rec.count });
  };
  while (sim.now() < limit) {
    sim.run(Math.min(limit, sim.now() + SLICE_PS));
    if (sim.now() >= cfg.durationPs && ledger.measuredOpen === 0) break;
    const wall = performance.now();
    if (wall - lastReport > 5000) {
      lastReport = wall;
      report();
    }
  }
  report();
}

/** The measured records with each one's ideal time (idle network, same size and hops) and the count still incomplete. */
function pricedRecords(cfg: ExperimentConfig, net: Network, ledger: MessageLedger): { records: MessageRecords; incomplete: number } {
  const responseBytes = responseBytesOf(cfg);
  const ideal = cfg.ideal ?? new IdealTable(cfg.topology, cfg.stack);
  const records = ledger.rec.measuredOnly();
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
  return { records, incomplete };
}

/** The result: records, utilisation and goodput over the window, waste, backlog, costs. */
function summarise(cfg: ExperimentConfig, run: { net: Network; meter: ReceiverIdleMeter; window: WindowSnapshots; records: MessageRecords; incomplete: number; wallMs: number }): ExperimentResult {
  const { net, meter, window: w } = run;
  const n = hostCount(cfg.topology);
  const linkBps = cfg.topology.hostBitsPerSecond;
  const windowPs = cfg.durationPs - cfg.warmupPs;
  const windowCapacityBytes = (linkBps / 8) * (windowPs / 1e12) * n;
  return {
    config: cfg,
    records: run.records,
    incomplete: run.incomplete,
    offeredLoad: cfg.load,
    downlinkUtilisation: (w.wireAtEnd - w.wireAtStart) / windowCapacityBytes,
    downlinkUtilisationSecondHalf: (w.wireAtEnd - w.wireAtMid) / ((linkBps / 8) * ((cfg.durationPs - w.midPs) / 1e12) * n),
    goodputShare: (w.deliveredAtEnd - w.deliveredAtStart) / windowCapacityBytes,
    wastedReceiverBandwidth: meter.wastedFraction,
    wastedDefinition: cfg.stack.reportsMessageStart ? 'since-first-packet' : 'since-creation',
    backlogBytes: w.backlog,
    offeredBytesSecondHalf: w.createdAtEnd - w.createdAtMid,
    events: net.sim.eventsProcessed,
    wallMs: run.wallMs,
    endPs: net.sim.now(),
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
