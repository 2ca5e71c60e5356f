// The Homa model as an experiment stack, and the paper's configuration of it.
import { describe, expect, test } from 'vitest';
import type { TopologySpec } from '../net/topology.ts';
import { loadWorkload, parseCdf } from '../workloads/cdf.ts';
import { SizeSampler } from '../workloads/sampler.ts';
import { PAPER_LEVELS, paperHomaTuning, unscheduledCutoffs } from './homa-config.ts';
import { runExperiment } from './runner.ts';
import { STACKS } from './stacks.ts';
import { summarise } from './summary.ts';

describe('paper configuration', () => {
  test('unscheduled cutoffs split unscheduled bytes about equally over the levels', () => {
    const t = parseCdf('t', 'size_bytes,cdf\n100,0.5\n200,0.75\n400,1.0\n');
    // Unscheduled bytes: 50 + 50 + 100 = 200 per message on average; two levels of ~100.
    const c = unscheduledCutoffs(new SizeSampler(t), 2, 10_000);
    expect(c).toEqual([0, 0, 0, 0, 0, 0, 1_000_000, 200]);
  });

  test('per workload: levels, overcommitment and the lowest unscheduled level as in the paper', () => {
    for (const w of ['w1', 'w2', 'w3', 'w4', 'w5'] as const) {
      const sampler = new SizeSampler(loadWorkload(w));
      const t = paperHomaTuning(w, sampler, 10e9, false);
      const { unscheduled, scheduled } = PAPER_LEVELS[w];
      expect(unscheduled + scheduled).toBe(8);
      expect(t.max_overcommit).toBe(scheduled);
      expect(t.unsched_cutoffs[8 - unscheduled]).toBe(1_000_000);
      // Higher levels take strictly smaller messages.
      for (let l = 8 - unscheduled + 1; l < 8; l++) expect(t.unsched_cutoffs[l]!).toBeLessThan(t.unsched_cutoffs[l - 1]!);
      for (let l = 0; l < 8 - unscheduled; l++) expect(t.unsched_cutoffs[l]).toBe(0);
      expect(paperHomaTuning(w, sampler, 10e9, true).num_priorities).toBe(1);
    }
  });
});

describe('Homa model stack', () => {
  const topology: TopologySpec = { kind: 'tree', racks: 2, hostsPerRack: 4, aggregationSwitches: 2, hostBitsPerSecond: 10e9, coreBitsPerSecond: 40e9, switchDelayPs: 250_000 };

  for (const mode of ['oneway', 'rpc'] as const) {
    test(`${mode}: every measured message completes, never faster than on the idle network`, () => {
      const sampler = new SizeSampler(loadWorkload('w3'));
      const stack = STACKS['homa']!.create({ workload: 'w3', sampler, hostBitsPerSecond: 10e9 });
      const r = runExperiment({ topology, stack, workloadName: 'w3', sampler, load: 0.3, durationPs: 300_000_000, warmupPs: 30_000_000, drainLimitPs: 2_000_000_000, seed: 2, mode, rpcResponseBytes: 200 });
      expect(r.records.count).toBeGreaterThan(100);
      expect(r.incomplete).toBe(0);
      let early = 0;
      for (let i = 0; i < r.records.count; i++) if (r.records.completedPs[i]! - r.records.createdPs[i]! < r.records.idealPs[i]!) early++;
      expect(early).toBe(0);
      expect(summarise(r).shortP50).toBeGreaterThanOrEqual(1);
    });
  }

  test('priorities matter: Basic queues short messages behind long ones, Homa does not', () => {
    const sampler = new SizeSampler(loadWorkload('w4'));
    const run = (name: 'homa' | 'basic'): number => {
      const stack = STACKS[name]!.create({ workload: 'w4', sampler, hostBitsPerSecond: 10e9 });
      const r = runExperiment({ topology: { kind: 'single', hosts: 6, hostBitsPerSecond: 10e9, switchDelayPs: 250_000 }, stack, workloadName: 'w4', sampler, load: 0.8, durationPs: 1_500_000_000, warmupPs: 150_000_000, drainLimitPs: 1_000_000_000, seed: 1, mode: 'oneway' });
      return summarise(r).shortP99;
    };
    const homa = run('homa');
    const basic = run('basic');
    expect(homa).toBeLessThan(basic / 2);
  });
});
