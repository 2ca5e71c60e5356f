// sim/experiments/sweep.ts — long runs done as a sweep of independent jobs: one job per
// (workload, load, stack, configuration, seed), each a plain object that a worker thread can
// run on its own. `--jobs N` runs N at a time in worker threads; `--cache DIR` stores each
// job's summary under a hash of everything that determines it, so a sweep that stopped
// resumes where it was and a repeated one costs nothing; `--seeds K` runs seeds seed..seed+K-1
// and reports their spread (spread.csv, and the log).
//
// A job is deterministic (its seed fixes every random stream), so a cached summary is the
// summary a new run would give with the same code. The cache key includes a format version;
// bump it when the simulator's behaviour changes in a way that should invalidate old results.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TopologySpec } from '../net/topology.ts';
import { loadWorkload, type WorkloadName } from '../workloads/cdf.ts';
import { SizeSampler } from '../workloads/sampler.ts';
import type { HomaConfigName } from './homa-config.ts';
import { runExperiment, type TrafficMode } from './runner.ts';
import { STACKS } from './stacks.ts';
import { summarise, type RunSummary } from './summary.ts';

export const CACHE_FORMAT = 1;

export interface JobSpec {
  readonly topology: TopologySpec;
  readonly workload: WorkloadName;
  readonly maxMessageBytes: number;
  readonly load: number;
  readonly stack: string;
  readonly config: HomaConfigName;
  readonly softwarePacketPs: number;
  readonly durationPs: number;
  readonly warmupPs: number;
  readonly drainLimitPs: number;
  readonly seed: number;
  readonly mode: TrafficMode;
  readonly responseBytes: number | 'echo';
}

/** Stable JSON (sorted keys) of a job: its cache identity. */
export function jobKey(job: JobSpec): string {
  const sort = (v: unknown): unknown => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
    : v);
  return JSON.stringify({ format: CACHE_FORMAT, job: sort(job) });
}

export function cachePath(dir: string, job: JobSpec): string {
  const h = createHash('sha256').update(jobKey(job)).digest('hex').slice(0, 24);
  return join(dir, `${job.workload}-${job.stack}-${job.config}-${job.load}-s${job.seed}-${h}.json`);
}

/** Run one job in this thread. */
export function runJob(job: JobSpec): RunSummary {
  const sampler = new SizeSampler(loadWorkload(job.workload), { maxBytes: job.maxMessageBytes });
  const stack = STACKS[job.stack]!.create({ workload: job.workload, sampler, hostBitsPerSecond: job.topology.hostBitsPerSecond, config: job.config, softwarePacketPs: job.softwarePacketPs });
  const result = runExperiment({
    topology: job.topology, stack, workloadName: job.workload, sampler, load: job.load,
    durationPs: job.durationPs, warmupPs: job.warmupPs, drainLimitPs: job.drainLimitPs, seed: job.seed,
    mode: job.mode, rpcResponseBytes: job.responseBytes,
  });
  return summarise(result, 10, false);
}

export interface SweepOptions {
  readonly jobs: number;
  readonly cacheDir?: string;
  readonly log: (line: string) => void;
}

/** Run every job (cached ones are read, not run), at most `jobs` at a time; results in job order. */
export async function runSweep(list: readonly JobSpec[], opt: SweepOptions): Promise<RunSummary[]> {
  const out: (RunSummary | undefined)[] = new Array(list.length);
  const todo: number[] = [];
  if (opt.cacheDir) mkdirSync(opt.cacheDir, { recursive: true });
  list.forEach((job, i) => {
    const p = opt.cacheDir ? cachePath(opt.cacheDir, job) : '';
    if (p && existsSync(p)) {
      const stored = JSON.parse(readFileSync(p, 'utf8')) as { key: string; summary: RunSummary };
      if (stored.key === jobKey(job)) { out[i] = stored.summary; opt.log(`[cached] ${label(job)}: ${p}`); return; }
    }
    todo.push(i);
  });
  const finish = (i: number, s: RunSummary): void => {
    out[i] = s;
    const job = list[i]!;
    if (opt.cacheDir) writeFileSync(cachePath(opt.cacheDir, job), JSON.stringify({ key: jobKey(job), summary: s }));
    opt.log(`[done ${label(job)}] ${s.messages} messages (${s.incomplete} incomplete), short P99 ${s.shortP99.toFixed(2)}, utilisation ${s.downlinkUtilisation.toFixed(3)} (2nd half ${s.downlinkUtilisationSecondHalf.toFixed(3)}), backlog growth ${(100 * s.backlogGrowth).toFixed(1)} %, ${s.sustained ? 'sustained' : 'NOT sustained'}, ${(s.events / 1e6).toFixed(0)} M events, ${(s.wallMs / 1000).toFixed(0)} s`);
  };
  if (opt.jobs <= 1) {
    for (const i of todo) { opt.log(`[start ${label(list[i]!)}]`); finish(i, runJob(list[i]!)); }
  } else {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const i = todo[next++]!;
        opt.log(`[start ${label(list[i]!)}]`);
        finish(i, await runInWorker(list[i]!));
      }
    };
    await Promise.all(Array.from({ length: Math.min(opt.jobs, todo.length) }, worker));
  }
  return out as RunSummary[];
}

function label(job: JobSpec): string {
  return `${job.workload} ${job.stack}${job.config === 'homamodule' ? '' : '/' + job.config} load ${job.load} seed ${job.seed}`;
}

function runInWorker(job: JobSpec): Promise<RunSummary> {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = new URL(fromSources ? './sweep-worker.ts' : './sweep-worker.js', import.meta.url);
  // Running from the sources, the worker registers the TypeScript loader (tsx) first, as
  // bin/homa-nic.js does for the main thread.
  const worker = fromSources
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true, workerData: job })
    : new Worker(url, { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (s: RunSummary) => resolve(s));
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`worker for ${label(job)} exited with ${code}`)); });
  });
}

export interface SeedSpread {
  readonly workload: string;
  readonly configuration: string;
  readonly load: number;
  readonly seeds: number;
  readonly shortP99: readonly [number, number, number];
  readonly utilisation: readonly [number, number, number];
  readonly backlogGrowth: readonly [number, number, number];
  readonly sustained: number;
}

/** Mean, min and max over seeds of each (workload, configuration, load). */
export function seedSpread(runs: readonly RunSummary[]): SeedSpread[] {
  const groups = new Map<string, RunSummary[]>();
  for (const r of runs) {
    const k = `${r.workload}|${r.configuration}|${r.load}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const stat = (xs: number[]): [number, number, number] => [xs.reduce((a, b) => a + b, 0) / xs.length, Math.min(...xs), Math.max(...xs)];
  return [...groups.values()].map((g) => ({
    workload: g[0]!.workload, configuration: g[0]!.configuration, load: g[0]!.load, seeds: g.length,
    shortP99: stat(g.map((r) => r.shortP99)),
    utilisation: stat(g.map((r) => r.downlinkUtilisationSecondHalf)),
    backlogGrowth: stat(g.map((r) => r.backlogGrowth)),
    sustained: g.filter((r) => r.sustained).length,
  }));
}

export function spreadCsv(s: readonly SeedSpread[]): string {
  const f = (x: number): string => x.toFixed(4);
  return ['workload,configuration,load,seeds,short_p99_mean,short_p99_min,short_p99_max,util_2nd_half_mean,util_min,util_max,backlog_growth_mean,backlog_growth_min,backlog_growth_max,sustained_seeds',
    ...s.map((r) => [r.workload, r.configuration, r.load, r.seeds, ...r.shortP99.map(f), ...r.utilisation.map(f), ...r.backlogGrowth.map(f), r.sustained].join(','))].join('\n') + '\n';
}
