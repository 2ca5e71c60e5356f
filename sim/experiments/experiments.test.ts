// The experiment pipeline on small networks with the simple raw transport.
import { describe, expect, test } from 'vitest';
import type { TopologySpec } from '../net/topology.ts';
import { loadWorkload, parseCdf } from '../workloads/cdf.ts';
import { SizeSampler } from '../workloads/sampler.ts';
import { IdealTable } from './ideal.ts';
import { sizeBuckets } from './metrics.ts';
import { rawStack, rawWireBytes } from './raw-stack.ts';
import { runExperiment, type ExperimentConfig } from './runner.ts';
import { summarise } from './summary.ts';

const single: TopologySpec = { kind: 'single', hosts: 8, hostBitsPerSecond: 10e9, switchDelayPs: 250_000 };

function config(extra: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return {
    topology: single,
    stack: rawStack(),
    workloadName: 'w1',
    sampler: new SizeSampler(loadWorkload('w1')),
    load: 0.5,
    durationPs: 400_000_000,
    warmupPs: 40_000_000,
    drainLimitPs: 400_000_000,
    seed: 3,
    mode: 'oneway',
    ...extra,
  };
}

describe('ideal completion times', () => {
  test('match hand-computed store-and-forward times on an idle switch', () => {
    const ideal = new IdealTable(single, rawStack());
    ideal.measure([100, 3000], 1);
    // 100 B: one 190 B frame (214 B on the wire = 171,200 ps) up and down + 250 ns switch.
    expect(ideal.get(100, 1)).toBe(2 * 171_200 + 250_000);
    // 3000 B: frames of 1514, 1514, 242 B; the last leaves the switch at 4,154,000 ps.
    expect(ideal.get(3000, 1)).toBe(4_154_000);
    expect(rawWireBytes(3000)).toBe(1538 + 1538 + 266);
  });

  test('a tree has two path lengths, measured separately', () => {
    const tree: TopologySpec = { kind: 'tree', racks: 2, hostsPerRack: 2, aggregationSwitches: 1, hostBitsPerSecond: 10e9, coreBitsPerSecond: 40e9, switchDelayPs: 250_000 };
    const ideal = new IdealTable(tree, rawStack());
    ideal.measure([100], 1);
    expect(ideal.get(100, 1)).toBe(2 * 171_200 + 250_000);
    expect(ideal.get(100, 3)).toBe(2 * 171_200 + 2 * 214 * 200 + 3 * 250_000);
  });
});

describe('runner', () => {
  test('offers the requested load on the wire and records every measured message', () => {
    const r = runExperiment(config());
    expect(r.records.count).toBeGreaterThan(1000);
    expect(r.incomplete).toBe(0);
    // Downlinks carry what was offered: 50 % +- Poisson noise over 0.36 ms on 8 hosts.
    expect(Math.abs(r.downlinkUtilisation - 0.5)).toBeLessThan(0.05);
    let belowIdeal = 0;
    for (let i = 0; i < r.records.count; i++) {
      if (r.records.completedPs[i]! - r.records.createdPs[i]! < r.records.idealPs[i]!) belowIdeal++;
      expect(r.records.dst[i]).not.toBe(r.records.src[i]);
    }
    expect(belowIdeal).toBe(0); // nothing beats the idle network
    expect(r.losses.bufferDrops + r.losses.faultDrops).toBe(0);
    const s = summarise(r);
    expect(s.sustained).toBe(true);
    expect(s.shortP99).toBeGreaterThanOrEqual(1);
  });

  test('same seed, same records; another seed differs', () => {
    const a = runExperiment(config({ durationPs: 100_000_000, warmupPs: 10_000_000 }));
    const b = runExperiment(config({ durationPs: 100_000_000, warmupPs: 10_000_000 }));
    const c = runExperiment(config({ durationPs: 100_000_000, warmupPs: 10_000_000, seed: 4 }));
    expect(Array.from(b.records.completedPs)).toEqual(Array.from(a.records.completedPs));
    expect(b.events).toBe(a.events);
    expect(Array.from(c.records.completedPs)).not.toEqual(Array.from(a.records.completedPs));
  });

  test('an overloaded network is reported as not sustained', () => {
    // Load 1.0 of 8-byte..100 KB messages cannot be carried with frame overheads and queueing.
    const r = runExperiment(config({ load: 1.0, drainLimitPs: 0 }));
    expect(summarise(r).sustained).toBe(false);
  });

  test('RPC mode: each request gets a response; completion includes both', () => {
    const ideal = new IdealTable(single, rawStack());
    const rpc = runExperiment(config({ load: 0.1, mode: 'rpc', rpcResponseBytes: 100, ideal }));
    expect(rpc.incomplete).toBe(0);
    expect(rpc.records.count).toBeGreaterThan(50);
    let wrongIdeal = 0;
    let early = 0;
    for (let i = 0; i < rpc.records.count; i++) {
      // Request alone + a 100 B response (592,400 ps on the idle network).
      if (rpc.records.idealPs[i] !== ideal.get(rpc.records.size[i]!, 1) + 592_400) wrongIdeal++;
      if (rpc.records.completedPs[i]! - rpc.records.createdPs[i]! < rpc.records.idealPs[i]!) early++;
    }
    expect(wrongIdeal).toBe(0);
    expect(early).toBe(0);
  });

  test('a capture of host 0 is written when asked', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { readPcap } = await import('../net/pcap.ts');
    const dir = mkdtempSync(join(tmpdir(), 'run-pcap-'));
    const r = runExperiment(config({ durationPs: 50_000_000, warmupPs: 5_000_000, pcapPath: join(dir, 'h0.pcap') }));
    const file = readPcap(join(dir, 'h0.pcap'));
    rmSync(dir, { recursive: true });
    expect(file.records.length).toBeGreaterThan(10);
    expect(r.records.count).toBeGreaterThan(0);
  });
});

describe('size buckets', () => {
  test('equal-count buckets; a size holding many messages fills one wide bucket', () => {
    const t = parseCdf('t', 'size_bytes,cdf\n8,0.31\n20,0.4\n30,0.5\n40,0.6\n50,0.7\n60,0.8\n70,0.9\n80,1.0\n');
    const b = sizeBuckets(new SizeSampler(t).distribution, 10);
    expect(b.map((x) => x.maxSize)).toEqual([8, 20, 30, 40, 50, 60, 70, 80]);
    expect(b[0]!.cdfEnd).toBeCloseTo(0.31, 9);
    const w4 = sizeBuckets(new SizeSampler(loadWorkload('w4')).distribution, 10);
    expect(w4.length).toBe(10);
    for (const x of w4) expect(Math.abs(x.cdfEnd - x.cdfStart - 0.1)).toBeLessThan(0.03);
  });
});
