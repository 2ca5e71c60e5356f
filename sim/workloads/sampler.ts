// sim/workloads/sampler.ts — draws message sizes from a step CDF.
//
// Truncation: Homa's largest message is 1,000,000 bytes (HOMA_MAX_MESSAGE_LENGTH), so by
// default draws above it become 1,000,000, as HomaModule's benchmark does; the SIGCOMM
// simulations did not truncate. `maxBytes: Infinity` keeps the table's full range.

import type { Rng } from '../net/rng.ts';
import type { SizeCdf } from './cdf.ts';

export const HOMA_MAX_MESSAGE_BYTES = 1_000_000;

/** The distribution actually sampled: distinct sizes and their probabilities. */
export interface SizeDistribution {
  readonly sizes: Float64Array;
  readonly probabilities: Float64Array;
  /** Cumulative, aligned with sizes. */
  readonly cdf: Float64Array;
}

export class SizeSampler {
  readonly distribution: SizeDistribution;
  readonly maxBytes: number;

  constructor(
    readonly table: SizeCdf,
    options: { maxBytes?: number } = {},
  ) {
    this.maxBytes = options.maxBytes ?? HOMA_MAX_MESSAGE_BYTES;
    if (!(this.maxBytes >= 1)) throw new RangeError(`maxBytes ${this.maxBytes} must be >= 1`);
    this.distribution = truncate(table, this.maxBytes);
  }

  /** Draw u in [0,1) and take the first row whose cdf >= u (the table is a step function). */
  sample(rng: Rng): number {
    const u = rng.float();
    const cdf = this.table.cdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! >= u) hi = mid;
      else lo = mid + 1;
    }
    return Math.min(this.table.sizes[lo]!, this.maxBytes);
  }

  /** Exact mean of f(size) over the sampled distribution. */
  expectation(f: (size: number) => number): number {
    const d = this.distribution;
    let sum = 0;
    for (let i = 0; i < d.sizes.length; i++) sum += d.probabilities[i]! * f(d.sizes[i]!);
    return sum;
  }

  get meanBytes(): number {
    return this.expectation((s) => s);
  }
}

function truncate(table: SizeCdf, maxBytes: number): SizeDistribution {
  const sizes: number[] = [];
  const probs: number[] = [];
  let prev = 0;
  for (let i = 0; i < table.sizes.length; i++) {
    const p = table.cdf[i]! - prev;
    prev = table.cdf[i]!;
    if (p <= 0) continue;
    const s = Math.min(table.sizes[i]!, maxBytes);
    if (sizes.length > 0 && sizes[sizes.length - 1] === s) probs[probs.length - 1]! += p;
    else {
      sizes.push(s);
      probs.push(p);
    }
  }
  const cdf = new Float64Array(sizes.length);
  let acc = 0;
  for (let i = 0; i < sizes.length; i++) cdf[i] = acc += probs[i]!;
  return { sizes: Float64Array.from(sizes), probabilities: Float64Array.from(probs), cdf };
}
