// sim/experiments/report.ts — writes a report folder: summary.csv and slowdown.csv, one SVG
// per (workload, load) with a curve per configuration, and index.html showing them.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from './summary.ts';
import { formatBytes, slowdownPlot } from './svg.ts';

export interface ReportMeta {
  readonly title: string;
  readonly command: string;
  readonly notes: readonly string[];
}

const n3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '');

export function summaryCsv(runs: readonly RunSummary[]): string {
  const head = 'workload,configuration,load,messages,incomplete,short_p50,short_p99,short_p99_with_host_1.5us,all_p50,all_p99,downlink_utilisation,downlink_utilisation_2nd_half,goodput_share,wasted_rx_bandwidth,backlog_growth,sustained,buffer_drops,fault_drops,events,wall_s,simulated_us';
  const rows = runs.map((r) => [
    r.workload, r.configuration, r.load, r.messages, r.incomplete, n3(r.shortP50), n3(r.shortP99), n3(r.shortP99WithHost), n3(r.overallP50), n3(r.overallP99),
    n3(r.downlinkUtilisation), n3(r.downlinkUtilisationSecondHalf), n3(r.goodputShare), n3(r.wastedReceiverBandwidth), n3(r.backlogGrowth), r.sustained ? 'yes' : 'no',
    r.losses.bufferDrops, r.losses.faultDrops, r.events, (r.wallMs / 1000).toFixed(1), (r.simulatedPs / 1e6).toFixed(1),
  ].join(','));
  return [head, ...rows].join('\n') + '\n';
}

export function slowdownCsv(runs: readonly RunSummary[]): string {
  const head = 'workload,configuration,load,bucket,min_size,max_size,cdf_start,cdf_end,count,incomplete,p50,p99,mean';
  const rows = runs.flatMap((r) => r.buckets.map((b, i) => [
    r.workload, r.configuration, r.load, i, b.minSize, b.maxSize, b.cdfStart.toFixed(5), b.cdfEnd.toFixed(5), b.count, b.incomplete, n3(b.p50), n3(b.p99), n3(b.mean),
  ].join(',')));
  return [head, ...rows].join('\n') + '\n';
}

/** Per workload and configuration: the highest load run that was sustained, and the loads run. */
export function highestSustained(runs: readonly RunSummary[]): { workload: string; configuration: string; loads: number[]; highest: number | null }[] {
  const out = new Map<string, { workload: string; configuration: string; loads: number[]; highest: number | null }>();
  for (const r of runs) {
    const key = `${r.workload}/${r.configuration}`;
    const e = out.get(key) ?? { workload: r.workload, configuration: r.configuration, loads: [], highest: null };
    e.loads.push(r.load);
    if (r.sustained && (e.highest === null || r.load > e.highest)) e.highest = r.load;
    out.set(key, e);
  }
  return [...out.values()];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function writeReport(outDir: string, runs: readonly RunSummary[], meta: ReportMeta): string[] {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    writeFileSync(join(outDir, name), text);
    files.push(join(outDir, name));
  };
  put('summary.csv', summaryCsv(runs));
  put('slowdown.csv', slowdownCsv(runs));
  for (const r of runs) if (r.messagesCsv) put(`messages-${r.workload}-${r.configuration}-${r.load}.csv`, r.messagesCsv);
  const groups = new Map<string, RunSummary[]>();
  for (const r of runs) {
    const key = `${r.workload}-load${r.load}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const figures: string[] = [];
  for (const [key, group] of groups) {
    const svg = slowdownPlot(`${group[0]!.workload.toUpperCase()}, load ${group[0]!.load}: slowdown by message size`, group.map((g) => ({ label: g.configuration, buckets: g.buckets })));
    put(`${key}.svg`, svg);
    figures.push(`<figure><img src="${key}.svg" alt="${key}"><figcaption>${esc(key)}</figcaption></figure>`);
  }
  const table = runs.map((r) => `<tr><td>${r.workload}</td><td>${esc(r.configuration)}</td><td>${r.load}</td><td>${r.messages}</td><td>${r.incomplete}</td>` +
    `<td>${formatBytes(r.buckets.find((b) => b.count > 0)?.maxSize ?? 0)}</td><td>${n3(r.shortP50)}</td><td><b>${n3(r.shortP99)}</b></td><td>${n3(r.overallP99)}</td>` +
    `<td>${n3(r.downlinkUtilisation)} / ${n3(r.downlinkUtilisationSecondHalf)}</td><td>${n3(r.wastedReceiverBandwidth)}</td><td>${r.sustained ? 'yes' : 'no'}</td><td>${(r.simulatedPs / 1e6).toFixed(0)}</td></tr>`).join('\n');
  put('index.html', `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(meta.title)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}figure{display:inline-block;margin:8px}code{background:#f4f4f4;padding:2px 4px}</style>
</head><body>
<h1>${esc(meta.title)}</h1>
<p>Command: <code>${esc(meta.command)}</code></p>
<ul>${meta.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<table><tr><th>workload</th><th>configuration</th><th>load</th><th>messages</th><th>incomplete</th><th>short bucket up to</th><th>short P50</th><th>short P99</th><th>all P99</th><th>downlink util. (window / 2nd half)</th><th>wasted rx bw</th><th>sustained</th><th>simulated µs</th></tr>
${table}
</table>
<h2>Highest load sustained (of the loads run)</h2>
<table><tr><th>workload</th><th>configuration</th><th>loads run</th><th>highest sustained</th></tr>
${highestSustained(runs).map((h) => `<tr><td>${h.workload}</td><td>${esc(h.configuration)}</td><td>${h.loads.join(', ')}</td><td>${h.highest ?? 'none'}</td></tr>`).join('\n')}
</table>
<p>Data: <a href="summary.csv">summary.csv</a>, <a href="slowdown.csv">slowdown.csv</a> (per size bucket).</p>
${figures.join('\n')}
</body></html>
`);
  return files;
}
