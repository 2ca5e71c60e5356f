// sim/experiments/homa-config.ts — Homa's configurations for the experiments. Both use the
// SIGCOMM 2018 simulations' parameters (homa-simulation-setup.md): 8 priorities split per
// workload between unscheduled and scheduled levels, overcommitment equal to the scheduled
// levels, and unscheduled cutoffs chosen from the workload so every unscheduled level carries
// about the same number of bytes. "Basic" is the same with priorities disabled (one level).
//
// Two sets of algorithms, by name (--config):
//  - homamodule (default): the model's own rules, which follow HomaModule: 10,000 unscheduled
//    bytes (RTTbytes), an unscheduled packet's level from its message's length, cutoffs over
//    message sizes, every sender one active slot before any gets a second (§3.2).
//  - sigcomm2018: the paper's simulator: 9,328 unscheduled bytes (its RTTbytes), an
//    unscheduled packet's level from the bytes of its message still to send, cutoffs over
//    that remaining-bytes distribution, at most one granted message per sender, no pacer.

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
/** The SIGCOMM 2018 simulator's unscheduled bytes (and grant window). */
export const SIGCOMM2018_RTT_BYTES = 9_328;
/** DATA payload per full packet: 1500 - IPv4 20 - Homa DATA header 56 (§1.4). */
const MTU_PAYLOAD = 1500 - 20 - 56;

export const HOMA_CONFIGS = ['homamodule', 'sigcomm2018'] as const;
export type HomaConfigName = (typeof HOMA_CONFIGS)[number];
export function isHomaConfigName(s: string): s is HomaConfigName {
  return (HOMA_CONFIGS as readonly string[]).includes(s);
}
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
  /** Model options (sim/model/config.ts) for the sigcomm2018 configuration. */
  readonly unschedPrioFromRemaining?: boolean;
  readonly maxActivePerPeer?: number;
  /** HomaModule flags (§2.1): 2 = DONT_THROTTLE (no pacer). */
  readonly flags?: number;
  /** Pacer (§3.4): the NIC queue HomaModule allows, in microseconds of link time. */
  readonly max_nic_est_backlog_usecs?: number;
  readonly max_link_usage?: number;
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

/**
 * Cutoffs over remaining bytes (the SIGCOMM 2018 simulator): every unscheduled packet counts
 * at the bytes its message still has to send from it on, and levels split those packets'
 * bytes equally, level 7 taking the smallest remaining counts.
 */
export function remainingBytesCutoffs(sampler: SizeSampler, levels: number, unschedBytes: number): number[] {
  const cutoffs = [0, 0, 0, 0, 0, 0, 0, 0];
  const lowest = 8 - levels;
  cutoffs[lowest] = HOMA_MAX_MESSAGE_LENGTH;
  if (levels === 1) return cutoffs;
  const d = sampler.distribution;
  const pieces: [number, number][] = [];
  let total = 0;
  for (let i = 0; i < d.sizes.length; i++) {
    const s = Math.min(d.sizes[i]!, sampler.maxBytes);
    const u = Math.min(s, unschedBytes);
    for (let off = 0; off < u; off += MTU_PAYLOAD) {
      const w = d.probabilities[i]! * Math.min(MTU_PAYLOAD, u - off);
      pieces.push([s - off, w]);
      total += w;
    }
  }
  pieces.sort((a, b) => a[0] - b[0]);
  let acc = 0;
  let level = 7;
  for (const [remaining, w] of pieces) {
    if (level <= lowest) break;
    acc += w;
    if (acc >= ((8 - level) * total) / levels - 1e-12) {
      cutoffs[level] = remaining;
      level--;
    }
  }
  for (let l = level; l > lowest; l--) cutoffs[l] = cutoffs[l + 1] ?? HOMA_MAX_MESSAGE_LENGTH;
  return cutoffs;
}

export function paperHomaTuning(workload: WorkloadName, sampler: SizeSampler, hostBitsPerSecond: number, basic: boolean, config: HomaConfigName = 'homamodule'): HomaTuning {
  const levels = PAPER_LEVELS[workload];
  if (config === 'sigcomm2018') {
    return {
      num_priorities: basic ? 1 : 8,
      unsched_cutoffs: basic ? [HOMA_MAX_MESSAGE_LENGTH, 0, 0, 0, 0, 0, 0, 0] : remainingBytesCutoffs(sampler, levels.unscheduled, SIGCOMM2018_RTT_BYTES),
      max_overcommit: levels.scheduled,
      unsched_bytes: SIGCOMM2018_RTT_BYTES,
      window: SIGCOMM2018_RTT_BYTES,
      max_incoming: 1_000_000_000,
      grant_fifo_fraction: 0,
      pacer_fifo_fraction: 0,
      link_mbps: Math.round(hostBitsPerSecond / 1e6),
      unschedPrioFromRemaining: true,
      maxActivePerPeer: 1,
      flags: 2,
    };
  }
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
