// sim/experiments/sim-command.ts — `homa-nic sim`: runs every (workload, load, configuration)
// of a plan, prints progress to stderr, and writes the report folder.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { runSweep, seedSpread, spreadCsv, type JobSpec } from './sweep.ts';
import { loadWorkload } from '../workloads/cdf.ts';
import { SizeSampler } from '../workloads/sampler.ts';
import { IdealTable } from './ideal.ts';
import { writeReport } from './report.ts';
import { runExperiment, type Progress } from './runner.ts';
import type { SimPlan } from './cli-args.ts';
import { CONFIG_DESCRIPTION, STACKS } from './stacks.ts';
import type { Stack } from './stack.ts';
import { summarise, type RunSummary } from './summary.ts';

export interface SimOutcome {
  readonly runs: RunSummary[];
  readonly files: string[];
}

/** Stacks that take no Homa configuration. */
const NOT_HOMA = new Set(['raw']);

function pcapPathFor(base: string, label: string, many: boolean): string {
  if (!many) return base;
  const ext = extname(base);
  return `${base.slice(0, base.length - ext.length)}-${label}${ext || '.pcap'}`;
}

/**
 * Many seeds, worker threads or a cache: the plan runs as a sweep of independent jobs
 * (sweep.ts), and the report adds each group's spread over seeds.
 */
export async function runSimSweep(plan: SimPlan, command: string, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<SimOutcome> {
  mkdirSync(plan.out, { recursive: true });
  const jobs: JobSpec[] = [];
  for (const workload of plan.workloads) for (const load of plan.loads) for (const config of plan.configs) {
    for (const stack of plan.stacks) {
      if (NOT_HOMA.has(stack) && config !== plan.configs[0]) continue;
      for (let k = 0; k < plan.seeds; k++) {
        jobs.push({ topology: plan.topology, workload, maxMessageBytes: plan.maxMessageBytes, load, stack, config, softwarePacketPs: plan.softwarePacketPs,
          durationPs: plan.durationPs, warmupPs: plan.warmupPs, drainLimitPs: plan.drainLimitPs, seed: plan.seed + k, mode: plan.mode, responseBytes: plan.responseBytes });
      }
    }
  }
  log(`${jobs.length} runs, ${plan.jobs} at a time${plan.cacheDir ? `, cache ${plan.cacheDir}` : ''}`);
  const results = await runSweep(jobs, { jobs: plan.jobs, log, ...(plan.cacheDir ? { cacheDir: plan.cacheDir } : {}) });
  const spread = seedSpread(results);
  for (const s of spread) {
    log(`${s.workload} ${s.configuration} load ${s.load}: ${s.seeds} seeds, short P99 ${s.shortP99[0].toFixed(2)} (${s.shortP99[1].toFixed(2)}-${s.shortP99[2].toFixed(2)}), 2nd-half utilisation ${s.utilisation[0].toFixed(3)} (${s.utilisation[1].toFixed(3)}-${s.utilisation[2].toFixed(3)}), backlog growth ${(100 * s.backlogGrowth[0]).toFixed(1)} % (${(100 * s.backlogGrowth[1]).toFixed(1)}-${(100 * s.backlogGrowth[2]).toFixed(1)}), sustained in ${s.sustained}/${s.seeds}`);
  }
  const runs = plan.seeds > 1 ? results.map((r, i) => ({ ...r, configuration: `${r.configuration}-s${jobs[i]!.seed}` })) : results;
  const files = writeReport(plan.out, runs, { title: 'homa-nic network simulation', command, notes: planNotes(plan) });
  const spreadFile = join(plan.out, 'spread.csv');
  writeFileSync(spreadFile, spreadCsv(spread));
  files.push(spreadFile);
  log(`report: ${files.find((f) => f.endsWith('index.html'))}`);
  return { runs: results, files };
}

export function runSimPlan(plan: SimPlan, command: string, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): SimOutcome {
  mkdirSync(plan.out, { recursive: true });
  if (plan.pcap) mkdirSync(dirname(plan.pcap), { recursive: true });
  const runs: RunSummary[] = [];
  // Each Homa stack runs once per configuration; a stack without Homa's algorithms (raw) once.
  const perWorkload = plan.configs.length * plan.stacks.filter((s) => !NOT_HOMA.has(s)).length + plan.stacks.filter((s) => NOT_HOMA.has(s)).length;
  const total = plan.workloads.length * plan.loads.length * perWorkload;
  let index = 0;
  for (const workload of plan.workloads) {
    const sampler = new SizeSampler(loadWorkload(workload), { maxBytes: plan.maxMessageBytes });
    const stacks: Stack[] = plan.configs.flatMap((config) => plan.stacks.filter((s) => config === plan.configs[0] || !NOT_HOMA.has(s))
      .map((s) => STACKS[s]!.create({ workload, sampler, hostBitsPerSecond: plan.topology.hostBitsPerSecond, config, softwarePacketPs: plan.softwarePacketPs })));
    // Ideal times depend on the stack's configuration, which depends on the workload.
    const ideals = new Map<string, IdealTable>(stacks.map((s) => [s.name, new IdealTable(plan.topology, s)]));
    for (const load of plan.loads) {
      for (const stack of stacks) {
        index++;
        const label = `${workload}-${stack.name}-${load}`;
        const tag = `[${index}/${total} ${workload} ${stack.name} load ${load}]`;
        const onProgress = (p: Progress): void => {
          const rate = p.events / Math.max(p.wallMs / 1000, 1e-9);
          log(`${tag} sim ${(p.simPs / 1e9).toFixed(2)} ms (traffic measured until ${(p.targetPs / 1e9).toFixed(2)} ms), ${(p.events / 1e6).toFixed(1)} M events, ${(rate / 1e6).toFixed(2)} M ev/s, ${p.completed}/${p.created} messages done`);
        };
        const result = runExperiment({
          topology: plan.topology,
          stack,
          workloadName: workload,
          sampler,
          load,
          durationPs: plan.durationPs,
          warmupPs: plan.warmupPs,
          drainLimitPs: plan.drainLimitPs,
          seed: plan.seed,
          mode: plan.mode,
          rpcResponseBytes: plan.responseBytes,
          ideal: ideals.get(stack.name)!,
          onProgress,
          ...(plan.pcap ? { pcapPath: pcapPathFor(plan.pcap, label, total > 1) } : {}),
        });
        const s = summarise(result, 10, true);
        runs.push(s);
        log(`${tag} done: ${s.messages} messages (${s.incomplete} incomplete), short-message P99 slowdown ${s.shortP99.toFixed(2)} (${s.shortP99WithHost.toFixed(2)} with 1.5 us host overheads), downlink utilisation ${s.downlinkUtilisation.toFixed(3)}, ${s.sustained ? 'sustained' : 'NOT sustained'}, ${(s.wallMs / 1000).toFixed(1)} s wall`);
      }
    }
  }
  const files = writeReport(plan.out, runs, { title: 'homa-nic network simulation', command, notes: planNotes(plan) });
  log(`report: ${files.find((f) => f.endsWith('index.html'))}`);
  return { runs, files };
}

function planNotes(plan: SimPlan): string[] {
  return [
    `Topology ${plan.topologyLabel}; ${plan.mode === 'rpc' ? `RPCs (response ${plan.responseBytes === 'echo' ? 'as long as the request' : `${plan.responseBytes} B`})` : 'one-way messages'}; seed ${plan.seed}.`,
    `Messages created in [${plan.warmupPs / 1e9} ms, ${plan.durationPs / 1e9} ms) are measured; the run continues up to ${plan.drainLimitPs / 1e9} ms more for them (traffic keeps arriving).`,
    `Workload draws above ${plan.maxMessageBytes} B are truncated to ${plan.maxMessageBytes} B.`,
    'Slowdown = completion time / the same stack\'s completion time for that size alone on the idle network (same path length).',
    'Sustained: downlinks carried >= 95 % of the offered wire load and the unfinished-byte backlog grew by <= 5 % of the bytes offered in the window\'s second half.',
    ...plan.stacks.map((k) => `${k}: ${STACKS[k]!.description}`),
    ...(plan.stacks.some((k) => !NOT_HOMA.has(k)) ? plan.configs.map((c) => `config ${c}: ${CONFIG_DESCRIPTION[c]}`) : []),
    ...(plan.stacks.includes('homa-sw') ? [`homa-sw host software time per packet: ${plan.softwarePacketPs / 1e3} ns.`] : []),
    ...(plan.seeds > 1 ? [`Seeds ${plan.seed}..${plan.seed + plan.seeds - 1}; spread.csv gives each group's mean, min and max over them.`] : []),
  ];
}
