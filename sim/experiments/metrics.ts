// sim/experiments/metrics.ts — slowdown statistics in the paper's form.
//
// Slowdown = completion time / minimum possible time for the same size (ideal.ts). Sizes are
// grouped into buckets of about equal message count (the x axis of the paper's plots is
// spaced by the message-count CDF, not by bytes); each distinct size falls wholly into the
// bucket holding the middle of its CDF step, so a size that alone carries 30 % of messages
// (W1's 8 B) makes one wide bucket. Messages still incomplete at the end of a run count with
// their age at the end (a lower bound) and are reported per bucket.

import type { SizeDistribution } from '../workloads/sampler.ts';
import type { MessageRecords } from './runner.ts';

export interface SizeBucket {
  /** Largest size in the bucket (sizes are in (previous bucket's maxSize, maxSize]). */
  readonly minSize: number;
  readonly maxSize: number;
  /** Share of messages below / up to this bucket. */
  readonly cdfStart: number;
  readonly cdfEnd: number;
}

export interface BucketStats extends SizeBucket {
  readonly count: number;
  readonly incomplete: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export function sizeBuckets(dist: SizeDistribution, target = 10): SizeBucket[] {
  const buckets: { minSize: number; maxSize: number; cdfStart: number; cdfEnd: number }[] = [];
  let current = -1;
  let prev = 0;
  for (let i = 0; i < dist.sizes.length; i++) {
    const cdf = dist.cdf[i]!;
    const index = Math.min(target - 1, Math.floor(((prev + cdf) / 2) * target));
    const size = dist.sizes[i]!;
    if (index !== current || buckets.length === 0) {
      buckets.push({ minSize: size, maxSize: size, cdfStart: prev, cdfEnd: cdf });
      current = index;
    } else {
      const b = buckets[buckets.length - 1]!;
      b.maxSize = size;
      b.cdfEnd = cdf;
    }
    prev = cdf;
  }
  return buckets;
}

/** Nearest-rank percentile of an ascending array (p in [0,100]). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/**
 * Slowdown of every record. `hostOverheadPs` is added to both the completion time and the
 * ideal: the fixed host-software time a NIC-to-NIC measurement leaves out.
 */
export function slowdowns(records: MessageRecords, endPs: number, hostOverheadPs = 0): Float64Array {
  const out = new Float64Array(records.count);
  for (let i = 0; i < records.count; i++) {
    const done = records.completedPs[i]! >= 0 ? records.completedPs[i]! : endPs;
    out[i] = (done - records.createdPs[i]! + hostOverheadPs) / (records.idealPs[i]! + hostOverheadPs);
  }
  return out;
}

export function slowdownByBucket(records: MessageRecords, buckets: readonly SizeBucket[], endPs: number, hostOverheadPs = 0): BucketStats[] {
  const sd = slowdowns(records, endPs, hostOverheadPs);
  const groups: number[][] = buckets.map(() => []);
  const incomplete = new Array<number>(buckets.length).fill(0);
  for (let i = 0; i < records.count; i++) {
    const b = bucketOf(buckets, records.size[i]!);
    groups[b]!.push(sd[i]!);
    if (records.completedPs[i]! < 0) incomplete[b]!++;
  }
  return buckets.map((b, k) => {
    const g = Float64Array.from(groups[k]!).sort();
    const mean = g.length ? g.reduce((s, x) => s + x, 0) / g.length : Number.NaN;
    return { ...b, count: g.length, incomplete: incomplete[k]!, p50: percentile(g, 50), p99: percentile(g, 99), mean };
  });
}

function bucketOf(buckets: readonly SizeBucket[], size: number): number {
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (buckets[mid]!.maxSize >= size) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
