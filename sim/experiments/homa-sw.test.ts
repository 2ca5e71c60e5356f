// HomaModule's software sender (stack homa-sw) and the SIGCOMM 2018 configuration.
import { describe, expect, test } from 'vitest';
import type { TopologySpec } from '../net/topology.ts';
import { loadWorkload, parseCdf } from '../workloads/cdf.ts';
import { SizeSampler } from '../workloads/sampler.ts';
import { parseSimArgs } from './cli-args.ts';
import { PAPER_LEVELS, SIGCOMM2018_RTT_BYTES, paperHomaTuning, remainingBytesCutoffs } from './homa-config.ts';
import { runExperiment } from './runner.ts';
import { STACKS } from './stacks.ts';
import { summarise } from './summary.ts';

describe('sigcomm2018 configuration', () => {
  test('cutoffs split unscheduled packet bytes by bytes remaining', () => {
    // One size, 3,000 B: unscheduled packets at remaining 3,000 (1,424 B), 1,576 (1,424 B),
    // 152 (152 B). Two levels of ~1,500 B: level 7 closes at 1,576 (152 + 1,424 B).
    const t = parseCdf('t', 'size_bytes,cdf\n3000,1.0\n');
    expect(remainingBytesCutoffs(new SizeSampler(t), 2, 10_000)).toEqual([0, 0, 0, 0, 0, 0, 1_000_000, 1576]);
  });

  test('per workload: 9,328 unscheduled bytes, one active message per sender, no pacer, decreasing cutoffs', () => {
    for (const w of ['w1', 'w2', 'w3', 'w4', 'w5'] as const) {
      const sampler = new SizeSampler(loadWorkload(w));
      const t = paperHomaTuning(w, sampler, 10e9, false, 'sigcomm2018');
      const { unscheduled } = PAPER_LEVELS[w];
      expect(t.unsched_bytes).toBe(SIGCOMM2018_RTT_BYTES);
      expect(t.window).toBe(SIGCOMM2018_RTT_BYTES);
      expect(t.maxActivePerPeer).toBe(1);
      expect(t.unschedPrioFromRemaining).toBe(true);
      expect(t.flags! & 2).toBe(2);
      expect(t.unsched_cutoffs[8 - unscheduled]).toBe(1_000_000);
      for (let l = 8 - unscheduled + 1; l < 8; l++) expect(t.unsched_cutoffs[l]!).toBeLessThanOrEqual(t.unsched_cutoffs[l - 1]!);
    }
    // The default stays as it was.
    const s3 = new SizeSampler(loadWorkload('w3'));
    expect(paperHomaTuning('w3', s3, 10e9, false)).toEqual(paperHomaTuning('w3', s3, 10e9, false, 'homamodule'));
    expect(paperHomaTuning('w3', s3, 10e9, false).unsched_bytes).toBe(10_000);
  });

  test('the CLI takes --config and --sw-packet-time', () => {
    const p = parseSimArgs(['--stack', 'homa,homa-sw', '--config', 'homamodule,sigcomm2018', '--sw-packet-time', '200ns'], Object.keys(STACKS));
    expect(p.configs).toEqual(['homamodule', 'sigcomm2018']);
    expect(p.softwarePacketPs).toBe(200_000);
    expect(parseSimArgs([], Object.keys(STACKS)).configs).toEqual(['homamodule']);
    expect(() => parseSimArgs(['--config', 'linux'], Object.keys(STACKS))).toThrow(/--config "linux"/);
  });
});

describe('homa-sw: HomaModule\'s software sender', () => {
  const single: TopologySpec = { kind: 'single', hosts: 6, hostBitsPerSecond: 10e9, switchDelayPs: 250_000 };
  const sampler = new SizeSampler(loadWorkload('w4'));
  const run = (name: string, config?: 'sigcomm2018', topology: TopologySpec = single) => {
    const stack = STACKS[name]!.create({ workload: 'w4', sampler, hostBitsPerSecond: 10e9, ...(config ? { config } : {}) });
    return runExperiment({ topology, stack, workloadName: 'w4', sampler, load: 0.8, durationPs: 1_000_000_000, warmupPs: 100_000_000, drainLimitPs: 2_000_000_000, seed: 1, mode: 'oneway' });
  };

  test('every message arrives; short messages wait behind the NIC queue, so their tail is worse than NIC-resident Homa\'s', () => {
    const hw = run('homa');
    const sw = run('homa-sw');
    expect(sw.incomplete).toBe(0);
    expect(sw.records.count).toBe(hw.records.count);
    expect(summarise(sw).shortP99).toBeGreaterThan(summarise(hw).shortP99 * 1.2);
  });

  test('sigcomm2018 runs and delivers everything', () => {
    const r = run('homa', 'sigcomm2018');
    expect(r.incomplete).toBe(0);
    expect(r.config.stack.name).toBe('Homa-sigcomm2018');
  });
});
