import { describe, expect, test } from 'vitest';
import { Rng } from '../net/rng.ts';
import { PoissonArrivals, messageRatePerHost, uniformOtherHost } from './arrivals.ts';
import { WORKLOAD_NAMES, loadWorkload, parseCdf } from './cdf.ts';
import { SizeSampler } from './sampler.ts';

describe('workload tables', () => {
  test('all five load, with the README row counts and untruncated means', () => {
    const rows = { w1: 300, w2: 152, w3: 842, w4: 460, w5: 400 };
    const means = { w1: 189, w2: 442, w3: 2900, w4: 128_000, w5: 2_560_000 };
    for (const name of WORKLOAD_NAMES) {
      const t = loadWorkload(name);
      expect(t.sizes.length).toBe(rows[name]);
      const mean = new SizeSampler(t, { maxBytes: Number.POSITIVE_INFINITY }).meanBytes;
      expect(Math.abs(mean / means[name] - 1)).toBeLessThan(0.05);
    }
  });

  test('a missing folder gives an error naming the path', () => {
    expect(() => loadWorkload('w1', '/nonexistent/workloads')).toThrow(/\/nonexistent\/workloads\/w1\.csv not found/);
  });

  test('malformed tables are rejected with the line', () => {
    expect(() => parseCdf('x', 'size_bytes,cdf\n10,0.5\n5,1.0\n')).toThrow(/x:3/);
    expect(() => parseCdf('x', 'size_bytes,cdf\n10,0.5\n')).toThrow(/cdf 1.0/);
  });
});

describe('size sampler', () => {
  test('draws follow the step CDF (first row with cdf >= u)', () => {
    const t = parseCdf('t', 'size_bytes,cdf\n10,0.25\n20,0.25\n30,0.75\n40,1.0\n');
    const s = new SizeSampler(t);
    const rng = new Rng(3);
    const counts = new Map<number, number>();
    const n = 40000;
    for (let i = 0; i < n; i++) {
      const x = s.sample(rng);
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    expect(counts.has(20)).toBe(false); // zero-probability row
    expect(Math.abs(counts.get(10)! / n - 0.25)).toBeLessThan(0.015);
    expect(Math.abs(counts.get(30)! / n - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(counts.get(40)! / n - 0.25)).toBeLessThan(0.015);
    expect(s.meanBytes).toBeCloseTo(0.25 * 10 + 0.5 * 30 + 0.25 * 40, 9);
  });

  test('W5 truncates to 1,000,000 by default; the sampled mean matches the exact mean', () => {
    const s = new SizeSampler(loadWorkload('w5'));
    const rng = new Rng(5);
    let max = 0;
    let sum = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) {
      const x = s.sample(rng);
      max = Math.max(max, x);
      sum += x;
    }
    expect(max).toBe(1_000_000);
    // ~30 % of W5 messages are above 1 MB (README), all at the cap now.
    const d = s.distribution;
    expect(d.probabilities[d.probabilities.length - 1]!).toBeGreaterThan(0.29);
    expect(Math.abs(sum / n / s.meanBytes - 1)).toBeLessThan(0.01);
  });
});

describe('arrivals', () => {
  test('rate from load: 80 % of 10 Gbps with 1,538-byte messages', () => {
    expect(messageRatePerHost(0.8, 10e9, 1538)).toBeCloseTo(0.8e10 / (8 * 1538), 6);
    expect(() => messageRatePerHost(0, 10e9, 100)).toThrow(/load/);
  });

  test('Poisson gaps are integers with the requested mean and exponential spread', () => {
    const a = new PoissonArrivals(1e6); // mean 1 us
    const rng = new Rng(9);
    const n = 100000;
    let sum = 0;
    let sq = 0;
    let nonInteger = 0;
    for (let i = 0; i < n; i++) {
      const g = a.nextGapPs(rng);
      if (!Number.isInteger(g)) nonInteger++;
      sum += g;
      sq += g * g;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sq / n - mean * mean);
    expect(nonInteger).toBe(0);
    expect(Math.abs(mean / 1e6 - 1)).toBeLessThan(0.02);
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.03); // exponential: sd = mean
  });

  test('destinations are uniform over the other hosts, never the sender', () => {
    const rng = new Rng(2);
    const hits = new Array<number>(10).fill(0);
    for (let i = 0; i < 90000; i++) hits[uniformOtherHost(rng, 4, 10)]!++;
    expect(hits[4]).toBe(0);
    for (let h = 0; h < 10; h++) if (h !== 4) expect(Math.abs(hits[h]! / 10000 - 1)).toBeLessThan(0.05);
  });
});
