// sim/experiments/cli-args.ts — parses `homa-nic sim` flags into an experiment plan, with
// errors that name the flag and the values it accepts.

import { paperTopology, type TopologySpec } from '../net/topology.ts';
import { WORKLOAD_NAMES, isWorkloadName, type WorkloadName } from '../workloads/cdf.ts';
import { HOMA_CONFIGS, isHomaConfigName, type HomaConfigName } from './homa-config.ts';
import type { TrafficMode } from './runner.ts';

export interface SimPlan {
  readonly topology: TopologySpec;
  readonly topologyLabel: string;
  readonly workloads: WorkloadName[];
  readonly loads: number[];
  readonly stacks: string[];
  /** Homa's algorithms to run each Homa stack with (homa-config.ts). */
  readonly configs: HomaConfigName[];
  /** homa-sw: host software time per packet, ps. */
  readonly softwarePacketPs: number;
  readonly durationPs: number;
  readonly warmupPs: number;
  readonly drainLimitPs: number;
  readonly seed: number;
  /** Seeds seed .. seed + seeds - 1 per (workload, load, stack, configuration). */
  readonly seeds: number;
  /** Runs at once, in worker threads (1: in this thread). */
  readonly jobs: number;
  /** Folder of cached run summaries (resume a sweep), or undefined. */
  readonly cacheDir: string | undefined;
  readonly mode: TrafficMode;
  readonly responseBytes: number | 'echo';
  readonly maxMessageBytes: number;
  readonly pcap: string | undefined;
  readonly out: string;
  readonly help: boolean;
}

export class UsageError extends Error {}

export const SIM_HELP = `homa-nic sim — run a simulated datacenter experiment and write a report

Usage: homa-nic sim [flags]

  --topology T      paper (144 hosts, 9 racks x 16, 4 aggregation switches, 10/40 Gbps),
                    single:N (one switch, N hosts), tree:RxHxA (R racks of H hosts, A agg
                    switches). Default paper.
  --host-gbps G     host link rate in Gbps (default 10; 25 and 100 work too)
  --core-gbps G     ToR-aggregation link rate in Gbps (default 4 x host rate)
  --switch-delay D  fixed delay per switch, e.g. 250ns (default 250ns)
  --buffer B        bytes of buffer per switch port (default unbounded; drops are counted)
  --routing R       spray (per packet, default) or hash (per flow) over uplinks
  --workload W      w1..w5, a comma list, or all (default w4)
  --load L          offered load as a fraction of host-link bandwidth on the wire, or a
                    comma list (default 0.8)
  --stack S         configurations to compare, comma list: homa (the model, NIC-resident
                    SRPT sender), homa-sw (the same with HomaModule's software sender: a
                    FIFO NIC queue filled up to the pacer's ~5 us bound), basic (Homa with
                    priorities disabled), raw (no congestion control, SRPT sender; for
                    testing). Default homa,basic.
  --config C        Homa's algorithms, comma list: homamodule (default; the model's rules,
                    which follow HomaModule) or sigcomm2018 (the paper's simulator: 9,328
                    unscheduled bytes, unscheduled levels by bytes remaining, one granted
                    message per sender, no pacer)
  --sw-packet-time D  homa-sw: host software time per packet (default 0ns)
  --duration D      measured traffic is created until D, e.g. 20ms (default 10ms)
  --warmup D        messages created before D are not measured (default duration/10)
  --drain D         how long to keep running for unfinished measured messages (default = duration)
  --mode M          oneway (default) or rpc (request then response)
  --response-bytes N  RPC response length, or echo (= request length; default)
  --max-message N   truncate larger workload draws to N bytes (default 1000000, Homa's limit)
  --seed N          random seed (default 1)
  --seeds K         run seeds N .. N+K-1 of everything and report the spread (spread.csv)
  --jobs J          run up to J independent runs at once in worker threads (default 1)
  --cache DIR       keep each run's summary in DIR, keyed by its whole configuration; runs
                    found there are not repeated (a stopped sweep resumes)
  --pcap FILE       capture host 0's link to FILE (pcap, Ethernet)
  --out DIR         report folder (default reports/)
  --help            this text
`;

export function parseDurationPs(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ps|ns|us|µs|ms|s)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} "${text}": expected a number with a unit: ps, ns, us, ms or s (e.g. 20ms)`);
  const scale = { ps: 1, ns: 1e3, us: 1e6, µs: 1e6, ms: 1e9, s: 1e12 }[m[2] as 'ps'];
  return Math.round(Number(m[1]) * scale);
}

function number(flag: string, text: string, accepted: string, ok: (x: number) => boolean): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x) || !ok(x)) throw new UsageError(`${flag} "${text}": expected ${accepted}`);
  return x;
}

function parseTopology(text: string, hostGbps: number, coreGbps: number | undefined, switchDelayPs: number, bufferBytes: number | undefined, routing: 'spray' | 'hash'): TopologySpec {
  const host = hostGbps * 1e9;
  const core = (coreGbps ?? hostGbps * 4) * 1e9;
  const common = { hostBitsPerSecond: host, switchDelayPs, ...(bufferBytes !== undefined ? { bufferBytes } : {}) };
  if (text === 'paper') return paperTopology({ ...common, coreBitsPerSecond: core, uplinkSelection: routing });
  let m = /^single:(\d+)$/.exec(text);
  if (m) {
    const hosts = Number(m[1]);
    if (hosts < 2) throw new UsageError(`--topology "${text}": single:N needs N >= 2 hosts`);
    return { kind: 'single', hosts, ...common };
  }
  m = /^tree:(\d+)x(\d+)x(\d+)$/.exec(text);
  if (m) {
    const [racks, hostsPerRack, aggs] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (racks < 1 || hostsPerRack < 1 || aggs < 1 || racks * hostsPerRack < 2) throw new UsageError(`--topology "${text}": tree:RxHxA needs R, H, A >= 1 and at least 2 hosts`);
    return { kind: 'tree', racks, hostsPerRack, aggregationSwitches: aggs, coreBitsPerSecond: core, uplinkSelection: routing, propagationDelayPs: 0, ...common };
  }
  throw new UsageError(`--topology "${text}": expected paper, single:N or tree:RxHxA (e.g. tree:9x16x4)`);
}

const FLAGS = new Set(['--topology', '--host-gbps', '--core-gbps', '--switch-delay', '--buffer', '--routing', '--workload', '--load', '--stack', '--config', '--sw-packet-time', '--duration', '--warmup', '--drain', '--mode', '--response-bytes', '--max-message', '--seed', '--seeds', '--jobs', '--cache', '--pcap', '--out']);

export function parseSimArgs(argv: readonly string[], knownStacks: readonly string[]): SimPlan {
  const v = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (!FLAGS.has(a)) throw new UsageError(`unknown flag "${a}"; accepted: --help, ${[...FLAGS].join(', ')}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${a} needs a value (see --help)`);
    }
    v.set(a, value);
  }
  const get = (k: string, d: string): string => v.get(k) ?? d;
  const hostGbps = number('--host-gbps', get('--host-gbps', '10'), 'a positive number of Gbps (e.g. 10, 25, 100)', (x) => x > 0);
  const coreGbps = v.has('--core-gbps') ? number('--core-gbps', v.get('--core-gbps')!, 'a positive number of Gbps', (x) => x > 0) : undefined;
  const switchDelayPs = parseDurationPs('--switch-delay', get('--switch-delay', '250ns'));
  const bufferBytes = v.has('--buffer') ? number('--buffer', v.get('--buffer')!, 'a positive integer number of bytes', (x) => Number.isInteger(x) && x > 0) : undefined;
  const routing = get('--routing', 'spray');
  if (routing !== 'spray' && routing !== 'hash') throw new UsageError(`--routing "${routing}": expected spray or hash`);
  const topologyLabel = get('--topology', 'paper');
  const topology = parseTopology(topologyLabel, hostGbps, coreGbps, switchDelayPs, bufferBytes, routing);
  const wl = get('--workload', 'w4');
  const workloads = wl === 'all' ? [...WORKLOAD_NAMES] : wl.split(',').map((w) => {
    if (!isWorkloadName(w)) throw new UsageError(`--workload "${w}": expected one of ${WORKLOAD_NAMES.join(', ')}, a comma list, or all`);
    return w;
  });
  const loads = get('--load', '0.8').split(',').map((l) => number('--load', l, 'a fraction in (0, 1] (e.g. 0.8) or a comma list', (x) => x > 0 && x <= 1));
  const stacks = get('--stack', 'homa,basic').split(',');
  for (const s of stacks) if (!knownStacks.includes(s)) throw new UsageError(`--stack "${s}": expected ${knownStacks.join(', ')} (comma list)`);
  const configs = get('--config', 'homamodule').split(',').map((c) => {
    if (!isHomaConfigName(c)) throw new UsageError(`--config "${c}": expected ${HOMA_CONFIGS.join(', ')} (comma list)`);
    return c;
  });
  const softwarePacketPs = parseDurationPs('--sw-packet-time', get('--sw-packet-time', '0ns'));
  const durationPs = parseDurationPs('--duration', get('--duration', '10ms'));
  const warmupPs = v.has('--warmup') ? parseDurationPs('--warmup', v.get('--warmup')!) : Math.floor(durationPs / 10);
  if (warmupPs >= durationPs) throw new UsageError(`--warmup must be shorter than --duration`);
  const drainLimitPs = v.has('--drain') ? parseDurationPs('--drain', v.get('--drain')!) : durationPs;
  const mode = get('--mode', 'oneway');
  if (mode !== 'oneway' && mode !== 'rpc') throw new UsageError(`--mode "${mode}": expected oneway or rpc`);
  const rb = get('--response-bytes', 'echo');
  const responseBytes = rb === 'echo' ? 'echo' : number('--response-bytes', rb, 'a positive integer or echo', (x) => Number.isInteger(x) && x > 0);
  const maxMessageBytes = number('--max-message', get('--max-message', '1000000'), 'a positive integer number of bytes', (x) => Number.isInteger(x) && x > 0);
  const seed = number('--seed', get('--seed', '1'), 'an integer', Number.isInteger);
  const seeds = number('--seeds', get('--seeds', '1'), 'a positive integer', (x) => Number.isInteger(x) && x >= 1);
  const jobs = number('--jobs', get('--jobs', '1'), 'a positive integer', (x) => Number.isInteger(x) && x >= 1);
  if (v.has('--pcap') && (seeds > 1 || jobs > 1 || v.has('--cache'))) throw new UsageError('--pcap captures one run: it does not combine with --seeds, --jobs or --cache');
  return { seeds, jobs, cacheDir: v.get('--cache'), topology, topologyLabel, workloads, loads, stacks, configs, softwarePacketPs, durationPs, warmupPs, drainLimitPs, seed, mode, responseBytes, maxMessageBytes, pcap: v.get('--pcap'), out: get('--out', 'reports/'), help };
}
