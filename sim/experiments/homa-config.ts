// sim/experiments/homa-config.ts — Homa configured as in the SIGCOMM 2018 simulations
// (homa-simulation-setup.md): 8 priorities split per workload between unscheduled and
// scheduled levels, overcommitment equal to the scheduled levels, RTTbytes 10,000, and
// unscheduled cutoffs chosen from the workload so every unscheduled level carries about the
// same number of bytes. "Basic" is the same with priorities disabled (one level).

import type { WorkloadName } from '../workloads/cdf.ts';
import type { SizeSampler } from '../workloads/sampler.ts';

/** Unscheduled + scheduled levels per workload (the paper's table). */
export const PAPER_LEVELS: Record<WorkloadName, { unscheduled: number; scheduled: number }> = {
  w1: { unscheduled: 7, scheduled: 1 },
  w2: { unscheduled: 5, scheduled: 3 },
  w3: { unscheduled: 4, scheduled: 4 },
  w4: { unscheduled: 1, scheduled: 7 },
  w5: { unscheduled: 1, scheduled: 7 },
};

export const PAPER_RTT_BYTES = 10_000;
const HOMA_MAX_MESSAGE_LENGTH = 1_000_000;

export interface HomaTuning {
  readonly num_priorities: number;
  readonly unsched_cutoffs: number[];
  readonly max_overcommit: number;
  readonly unsched_bytes: number;
  readonly window: number;
  readonly max_incoming: number;
  readonly grant_fifo_fraction: number;
  readonly pacer_fifo_fraction: number;
  readonly link_mbps: number;
}

/**
 * Cutoffs for `levels` unscheduled levels (7 down to 8 - levels): level 7 takes the smallest
 * messages. Entry [8 - levels] is HOMA_MAX_MESSAGE_LENGTH, which marks the lowest unscheduled
 * level; levels below it are the scheduled ones (homa-protocol.md §3.3).
 */
export function unscheduledCutoffs(sampler: SizeSampler, levels: number, rttBytes: number): number[] {
  const cutoffs = [0, 0, 0, 0, 0, 0, 0, 0];
  const lowest = 8 - levels;
  cutoffs[lowest] = HOMA_MAX_MESSAGE_LENGTH;
  if (levels === 1) return cutoffs;
  const d = sampler.distribution;
  const unsched = (s: number): number => Math.min(s, rttBytes);
  const total = sampler.expectation(unsched);
  let acc = 0;
  let level = 7;
  for (let i = 0; i < d.sizes.length && level > lowest; i++) {
    acc += d.probabilities[i]! * unsched(d.sizes[i]!);
    // Close level `level` once it holds its share of the unscheduled bytes.
    if (acc >= ((8 - level) * total) / levels - 1e-12) {
      cutoffs[level] = d.sizes[i]!;
      level--;
    }
  }
  // Levels left unassigned (a few huge sizes hold most bytes) still need increasing cutoffs.
  for (let l = level; l > lowest; l--) cutoffs[l] = cutoffs[l + 1] ?? HOMA_MAX_MESSAGE_LENGTH;
  return cutoffs;
}

export function paperHomaTuning(workload: WorkloadName, sampler: SizeSampler, hostBitsPerSecond: number, basic: boolean): HomaTuning {
  const levels = PAPER_LEVELS[workload];
  return {
    num_priorities: basic ? 1 : 8,
    unsched_cutoffs: basic ? [HOMA_MAX_MESSAGE_LENGTH, 0, 0, 0, 0, 0, 0, 0] : unscheduledCutoffs(sampler, levels.unscheduled, PAPER_RTT_BYTES),
    max_overcommit: levels.scheduled,
    unsched_bytes: PAPER_RTT_BYTES,
    // Each active message may have RTTbytes granted ahead of what arrived; no global cap.
    window: PAPER_RTT_BYTES,
    max_incoming: 1_000_000_000,
    // The 2018 design had neither FIFO grants nor a FIFO share in the sender.
    grant_fifo_fraction: 0,
    pacer_fifo_fraction: 0,
    link_mbps: Math.round(hostBitsPerSecond / 1e6),
  };
}
