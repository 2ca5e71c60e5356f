// Sweeps: jobs, the cache by configuration, worker threads and the spread over seeds.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { jobKey, runSweep, seedSpread, type JobSpec } from './sweep.ts';

const base: JobSpec = {
  topology: { kind: 'single', hosts: 4, hostBitsPerSecond: 10e9, switchDelayPs: 250_000 }, workload: 'w3', maxMessageBytes: 1_000_000,
  load: 0.3, stack: 'homa', config: 'homamodule', softwarePacketPs: 0, durationPs: 100_000_000, warmupPs: 10_000_000,
  drainLimitPs: 500_000_000, seed: 1, mode: 'oneway', responseBytes: 'echo',
};

describe('sweep', () => {
  test('the cache key covers the whole job and ignores key order', () => {
    expect(jobKey({ ...base })).toBe(jobKey(Object.fromEntries(Object.entries(base).reverse()) as unknown as JobSpec));
    expect(jobKey({ ...base, seed: 2 })).not.toBe(jobKey(base));
    expect(jobKey({ ...base, topology: { ...base.topology, switchDelayPs: 1 } })).not.toBe(jobKey(base));
  });

  test('a worker thread gives the same summary as this thread; a second sweep reads the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-'));
    const jobs = [base, { ...base, seed: 2 }];
    const log: string[] = [];
    const here = await runSweep(jobs, { jobs: 1, log: () => {} });
    const threads = await runSweep(jobs, { jobs: 2, cacheDir: dir, log: (l) => log.push(l) });
    expect(threads.map((r) => [r.messages, r.shortP99, r.events])).toEqual(here.map((r) => [r.messages, r.shortP99, r.events]));
    expect(readdirSync(dir)).toHaveLength(2);
    const again: string[] = [];
    const cached = await runSweep(jobs, { jobs: 2, cacheDir: dir, log: (l) => again.push(l) });
    expect(again.filter((l) => l.startsWith('[cached]'))).toHaveLength(2);
    expect(cached.map((r) => r.shortP99)).toEqual(here.map((r) => r.shortP99));
    const s = seedSpread(here);
    expect(s).toHaveLength(1);
    expect(s[0]!.seeds).toBe(2);
    expect(s[0]!.shortP99[1]).toBeLessThanOrEqual(s[0]!.shortP99[2]);
  }, 120_000);
});
