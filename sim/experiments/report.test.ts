// CLI flags, CSV, SVG and HTML output.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UsageError, parseDurationPs, parseSimArgs } from './cli-args.ts';
import type { BucketStats } from './metrics.ts';
import { highestSustained, summaryCsv, writeReport } from './report.ts';
import type { RunSummary } from './summary.ts';
import { slowdownPlot } from './svg.ts';

const known = ['homa', 'basic', 'raw'];

describe('sim flags', () => {
  test('defaults: the paper topology, W4 at 80 %, Homa and Basic', () => {
    const p = parseSimArgs([], known);
    expect(p.topology.kind).toBe('tree');
    expect(p.workloads).toEqual(['w4']);
    expect(p.loads).toEqual([0.8]);
    expect(p.stacks).toEqual(['homa', 'basic']);
    expect(p.out).toBe('reports/');
  });

  test('the issue example parses', () => {
    const p = parseSimArgs(['--topology', 'paper', '--workload', 'w4', '--load', '0.8', '--duration', '20ms'], known);
    expect(p.durationPs).toBe(20_000_000_000);
    expect(p.warmupPs).toBe(2_000_000_000);
  });

  test('sizes, rates, lists and units', () => {
    const p = parseSimArgs(['--topology=tree:2x3x1', '--host-gbps', '25', '--workload', 'all', '--load', '0.5,0.9', '--stack', 'raw', '--pcap', 'x.pcap'], known);
    expect(p.topology).toMatchObject({ kind: 'tree', racks: 2, hostsPerRack: 3, aggregationSwitches: 1, hostBitsPerSecond: 25e9, coreBitsPerSecond: 100e9 });
    expect(p.workloads).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
    expect(p.loads).toEqual([0.5, 0.9]);
    expect(p.pcap).toBe('x.pcap');
    expect(parseDurationPs('--d', '250ns')).toBe(250_000);
    expect(parseDurationPs('--d', '1.5us')).toBe(1_500_000);
  });

  test('bad flags name the flag and the accepted values', () => {
    const bad: [string[], RegExp][] = [
      [['--workload', 'w9'], /--workload "w9": expected one of w1, w2, w3, w4, w5/],
      [['--load', '1.5'], /--load "1.5": expected a fraction/],
      [['--topology', 'ring'], /--topology "ring": expected paper, single:N or tree:RxHxA/],
      [['--duration', '20'], /--duration "20": expected a number with a unit/],
      [['--stack', 'tcp'], /--stack "tcp": expected homa, basic, raw/],
      [['--mode', 'x'], /--mode "x": expected oneway or rpc/],
      [['--frobnicate'], /unknown flag "--frobnicate"; accepted: --help/],
      [['--load'], /--load needs a value/],
    ];
    for (const [args, msg] of bad) {
      expect(() => parseSimArgs(args, known)).toThrow(UsageError);
      expect(() => parseSimArgs(args, known)).toThrow(msg);
    }
  });
});

function bucket(maxSize: number, cdfStart: number, cdfEnd: number, p50: number, p99: number): BucketStats {
  return { minSize: maxSize, maxSize, cdfStart, cdfEnd, count: 100, incomplete: 0, p50, p99, mean: p50 };
}

function run(configuration: string, scale: number): RunSummary {
  const buckets = [bucket(100, 0, 0.5, 1.2 * scale, 2 * scale), bucket(10_000, 0.5, 1, 1.5 * scale, 3 * scale)];
  return {
    workload: 'w4', configuration, load: 0.8, messages: 200, incomplete: 0, buckets, shortP99: 2 * scale, shortP50: 1.2 * scale, shortP99WithHost: 1.5,
    overallP99: 3 * scale, overallP50: 1.3, downlinkUtilisation: 0.79, downlinkUtilisationSecondHalf: 0.8, goodputShare: 0.7, wastedReceiverBandwidth: 0.02, wastedDefinition: 'since-first-packet',
    backlogGrowth: 0.01, sustained: true, events: 1000, wallMs: 10, simulatedPs: 1e9, losses: { bufferDrops: 0, unroutable: 0, faultDrops: 0, linkDownDrops: 0, fcsErrors: 0, hostDownDrops: 0 },
  };
}

describe('report', () => {
  test('summary CSV has one row per run with the short-message P99', () => {
    const csv = summaryCsv([run('Homa', 1), run('Basic', 10)]).trim().split('\n');
    expect(csv.length).toBe(3);
    const head = csv[0]!.split(',');
    const row = csv[2]!.split(',');
    expect(row[head.indexOf('configuration')]).toBe('Basic');
    expect(row[head.indexOf('short_p99')]).toBe('20.000');
    expect(row[head.indexOf('sustained')]).toBe('yes');
  });

  test('SVG: one P99 and one median curve per configuration, points spaced by CDF', () => {
    const svg = slowdownPlot('t', [{ label: 'Homa', buckets: run('Homa', 1).buckets }, { label: 'Basic', buckets: run('Basic', 10).buckets }]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect((svg.match(/<polyline/g) ?? []).length).toBe(4);
    expect(svg).toContain('Homa P99');
    expect(svg).toContain('Basic median');
    // The two buckets' midpoints are at 25 % and 75 % of the plot width (64 + 0.25 * 506).
    expect(svg).toContain('points="190.5,');
    expect(svg).toContain('10K');
  });

  test('writes CSVs, one SVG per workload and load, and an HTML page linking them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const files = writeReport(dir, [run('Homa', 1), run('Basic', 10)], { title: 'T', command: 'homa-nic sim --x', notes: ['a note'] });
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    rmSync(dir, { recursive: true });
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['index.html', 'slowdown.csv', 'summary.csv', 'w4-load0.8.svg']);
    expect(html).toContain('<img src="w4-load0.8.svg"');
    expect(html).toContain('homa-nic sim --x');
    expect(html).toContain('a note');
    expect(html).toContain('Highest load sustained');
  });

  test('highest sustained load per workload and configuration', () => {
    const r = (load: number, sustained: boolean): RunSummary => ({ ...run('Homa', 1), load, sustained });
    expect(highestSustained([r(0.5, true), r(0.8, true), r(0.9, false)])).toEqual([{ workload: 'w4', configuration: 'Homa', loads: [0.5, 0.8, 0.9], highest: 0.8 }]);
    expect(highestSustained([r(0.9, false)])[0]!.highest).toBeNull();
  });
});
