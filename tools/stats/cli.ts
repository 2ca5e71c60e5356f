// tools/stats/cli.ts — `homa-nic stats <url>`: the engine's counters from a device, under
// HomaModule's metric names, and with --watch their deltas over time.
//
//   sim[:N]                 host N (default 0) of a small simulated cluster, after a burst of
//                           traffic to it (burst.ts); --watch runs more bursts, a delta each
//   pcie:/dev/homa_nic0     a card through the Linux driver; --watch prints deltas every
//                           interval of wall time
//   serial:...              not built yet

import { nicKindNames } from '../../host-lib/backends/sim.ts';
import type { Device } from '../../host-lib/device.ts';
import { UsageError, parseDurationPs } from '../../sim/experiments/cli-args.ts';
import { parseWindow, requestWaves } from '../../sim/cosim/waves.ts';
import { RTL_SIZES, SimBurst, SIZES } from './burst.ts';
import { counterDeltas, formatCounters, readCounters, type CounterSnapshot } from './counters.ts';

export const STATS_HELP = `homa-nic stats — the engine's counters (HomaModule's metric names, spec §5)

Usage: homa-nic stats <url> [--watch [INTERVAL]] [--count N] [--all]
                            [--nic KIND] [--hosts N] [--vcd FILE [--vcd-window START:END]]

  url             sim, sim:N (host N of a simulated cluster), pcie:/dev/homa_nic0
  --watch [I]     keep reading and print what changed: for sim one more burst per reading,
                  for pcie every I of wall time (default 1s)
  --count N       readings with --watch (default: 3 for sim, until interrupted for pcie)
  --all           print counters that are zero too
  sim only:
  --nic KIND      the observed host's NIC: ${nicKindNames().join(', ')} (default model;
                  the other hosts are models)
  --hosts N       hosts in the cluster (default 4)
  --vcd FILE      waveform of every RTL NIC (with --nic rtl or rtl-verilator): hierarchy and
                  FSM state names, stamped in simulated time (ps)
  --vcd-window W  only START:END of simulated time, e.g. 10us:20us (either side may be empty)
  --help          this text

A simulated device lives only as long as this command: "stats sim" makes a cluster, runs a
burst of requests to the observed host (${SIZES.join(', ')} B from every other host, as RPCs)
and prints its counters. An RTL NIC receives requests of ${RTL_SIZES.join(', ')} B only: the
engine has no grant scheduler or transmit path yet.
`;

export type StatsTarget =
  | { readonly kind: 'sim'; readonly host: number }
  | { readonly kind: 'pcie'; readonly path: string; readonly address: Uint8Array };

export interface StatsPlan {
  readonly target: StatsTarget;
  readonly watch: boolean;
  readonly intervalMs: number;
  readonly count: number | undefined;
  readonly all: boolean;
  readonly nic: string;
  readonly hosts: number;
  readonly vcd: string | undefined;
  readonly vcdWindowPs: { start: number; end: number } | undefined;
  readonly help: boolean;
}

/** The device a URL names, or a UsageError saying what URLs look like. */
export function parseStatsUrl(url: string): StatsTarget {
  const sim = /^sim(?::(\d+))?$/.exec(url);
  if (sim) return { kind: 'sim', host: Number(sim[1] ?? 0) };
  const pcie = /^pcie:([^?]+)(?:\?address=(.*))?$/.exec(url);
  if (pcie) {
    const text = pcie[2] ?? '0.0.0.0';
    const address = text.split('.').map(Number);
    if (address.length !== 4 || address.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) throw new UsageError(`"${url}": address=${text} is not an IPv4 address`);
    return { kind: 'pcie', path: pcie[1]!, address: Uint8Array.from(address) };
  }
  if (url.startsWith('serial:')) throw new UsageError(`"${url}": the serial backend is not built yet; use sim or pcie:/dev/homa_nic0`);
  throw new UsageError(`"${url}" is not a device URL: use sim, sim:N (host N of a simulated cluster) or pcie:/dev/homa_nic0`);
}

export function parseStatsArgs(argv: readonly string[]): StatsPlan {
  let url: string | undefined;
  let watch = false, all = false, help = false;
  let intervalMs = 1000, count: number | undefined, nic = 'model', hosts = 4;
  let vcd: string | undefined, window: string | undefined;
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--help': case '-h': help = true; break;
      case '--all': all = true; break;
      case '--watch':
        watch = true;
        if (argv[i + 1] !== undefined && /^\d/.test(argv[i + 1]!)) intervalMs = parseDurationPs('--watch', /^\d+(\.\d+)?$/.test(argv[i + 1]!) ? `${argv[++i]}s` : argv[++i]!) / 1e9;
        break;
      case '--count': {
        const v = value(++i, a);
        count = Number(v);
        if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count "${v}": expected a whole number >= 1`);
        break;
      }
      case '--nic': {
        nic = value(++i, a);
        if (!nicKindNames().includes(nic)) throw new UsageError(`--nic "${nic}": expected one of ${nicKindNames().join(', ')}`);
        break;
      }
      case '--hosts': {
        const v = value(++i, a);
        hosts = Number(v);
        if (!Number.isInteger(hosts) || hosts < 2) throw new UsageError(`--hosts "${v}": expected a whole number >= 2`);
        break;
      }
      case '--vcd': vcd = value(++i, a); break;
      case '--vcd-window': window = value(++i, a); break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown flag "${a}"; accepted: --watch, --count, --all, --nic, --hosts, --vcd, --vcd-window, --help`);
        if (url !== undefined) throw new UsageError(`one device at a time ("${url}" and "${a}")`);
        url = a;
    }
  }
  const base = { watch, intervalMs, count, all, nic, hosts, vcd, help };
  if (help) return { ...base, target: { kind: 'sim', host: 0 }, vcdWindowPs: undefined };
  if (url === undefined) throw new UsageError('give a device: homa-nic stats sim (or sim:N, pcie:/dev/homa_nic0)');
  const target = parseStatsUrl(url);
  if (window !== undefined && vcd === undefined) throw new UsageError('--vcd-window goes with --vcd FILE');
  let vcdWindowPs: { start: number; end: number } | undefined;
  try { vcdWindowPs = window === undefined ? undefined : parseWindow(window); } catch (e) { throw new UsageError((e as Error).message); }
  if (target.kind === 'pcie' && (vcd !== undefined || nic !== 'model' || hosts !== 4)) throw new UsageError('--nic, --hosts and --vcd are for simulated devices (sim, sim:N)');
  if (target.kind === 'sim' && target.host >= hosts) throw new UsageError(`sim:${target.host}: the cluster has hosts 0..${hosts - 1}; give --hosts ${target.host + 1} or more`);
  return { ...base, target, vcdWindowPs };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the plan; returns the exit code. */
export async function runStats(plan: StatsPlan, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (plan.help) { out.write(STATS_HELP); return 0; }
  if (plan.target.kind === 'pcie') return runPcie(plan, plan.target, out, err);
  if (plan.vcd) requestWaves({ path: plan.vcd, ...(plan.vcdWindowPs ? { windowPs: plan.vcdWindowPs } : {}) });
  const url = `sim:${plan.target.host}`;
  let burst: SimBurst;
  try {
    burst = await SimBurst.create({ hosts: plan.hosts, host: plan.target.host, nic: plan.nic });
  } catch (e) {
    err.write(`homa-nic stats: ${url} with a ${plan.nic} NIC cannot be made: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const rounds = plan.watch ? plan.count ?? 3 : 1;
    let before: CounterSnapshot = readCounters(burst.cluster.device(plan.target.host));
    for (let r = 1; r <= rounds; r++) {
      const t0 = burst.now();
      await burst.round();
      const after = readCounters(burst.cluster.device(plan.target.host));
      const what = `${burst.requestsPerRound} ${burst.replies ? 'RPCs' : 'requests'} to it`;
      if (!plan.watch) {
        out.write(`stats ${url} (${plan.nic} NIC, ${plan.hosts} hosts): after ${what}, ${((burst.now() - t0) / 1000).toFixed(1)} us simulated\n`);
        out.write(formatCounters(after, { all: plan.all }));
      } else {
        const dt = (burst.now() - t0) / 1e9;
        out.write(`stats ${url} (${plan.nic} NIC) reading ${r}/${rounds}: ${what}, ${(dt * 1e6).toFixed(1)} us simulated; what changed\n`);
        out.write(formatCounters(counterDeltas(before, after), { all: plan.all, delta: true }));
      }
      before = after;
    }
  } catch (e) {
    err.write(`homa-nic stats: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await burst.close();
    if (plan.vcd) { requestWaves(null); err.write(`stats: waveforms of the RTL NICs in ${plan.vcd}${plan.nic === 'model' ? ' (none: --nic model has no RTL)' : ''}\n`); }
  }
  return 0;
}

async function runPcie(plan: StatsPlan, t: Extract<StatsTarget, { kind: 'pcie' }>, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let device: Device;
  try {
    const { PcieDevice } = await import('../../driver/native/pcie-device.ts');
    device = new PcieDevice(t.path, { address: t.address });
  } catch (e) {
    err.write(`homa-nic stats: cannot open pcie:${t.path}: ${(e as Error).message} (is the homa_nic driver loaded and the card present? driver/README.md)\n`);
    return 1;
  }
  try {
    let before = readCounters(device);
    out.write(`stats ${device.url}\n`);
    out.write(formatCounters(before, { all: plan.all }));
    for (let r = 1; plan.watch && (plan.count === undefined || r <= plan.count); r++) {
      await sleep(plan.intervalMs);
      const after = readCounters(device);
      out.write(`stats ${device.url} +${(plan.intervalMs / 1000).toFixed(1)} s: what changed\n`);
      out.write(formatCounters(counterDeltas(before, after), { all: plan.all, delta: true, seconds: plan.intervalMs / 1000 }));
      before = after;
    }
  } finally {
    device.close();
  }
  return 0;
}
