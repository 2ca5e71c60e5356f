// sim/experiments/summary.ts — turns one run's records into the figures a report shows.

import { percentile, sizeBuckets, slowdownByBucket, slowdowns, type BucketStats } from './metrics.ts';
import type { ExperimentResult } from './runner.ts';

export interface RunSummary {
  readonly workload: string;
  readonly configuration: string;
  readonly load: number;
  readonly messages: number;
  readonly incomplete: number;
  readonly buckets: BucketStats[];
  /** The smallest-size bucket's P99 and median slowdown. */
  readonly shortP99: number;
  readonly shortP50: number;
  /** Short-message P99 with the paper's host overheads (PAPER_HOST_OVERHEAD_PS) added to both sides. */
  readonly shortP99WithHost: number;
  readonly overallP99: number;
  readonly overallP50: number;
  readonly downlinkUtilisation: number;
  readonly downlinkUtilisationSecondHalf: number;
  readonly goodputShare: number;
  readonly wastedReceiverBandwidth: number;
  readonly wastedDefinition: string;
  /** Growth of unfinished bytes over the window's second half / bytes offered in it. */
  readonly backlogGrowth: number;
  readonly sustained: boolean;
  readonly events: number;
  readonly wallMs: number;
  readonly simulatedPs: number;
  readonly losses: ExperimentResult['losses'];
  /** Every measured record, for re-analysis: size, src, dst, created, completed (-1), ideal (ps). */
  readonly messagesCsv?: string;
}

export function messagesCsv(r: ExperimentResult): string {
  const m = r.records;
  const lines = ['size,src,dst,created_ps,completed_ps,ideal_ps'];
  for (let i = 0; i < m.count; i++) lines.push(`${m.size[i]},${m.src[i]},${m.dst[i]},${m.createdPs[i]},${m.completedPs[i]},${m.idealPs[i]}`);
  return lines.join('\n') + '\n';
}

/**
 * A load counts as sustained when, over the second half of the measured window, the host
 * downlinks carried at least 95 % of the offered wire load and the unfinished bytes grew by
 * at most 5 % of what was offered (an overloaded network's backlog grows steadily). Short
 * runs of heavy-tailed workloads (W4, W5) may fail this while still filling up.
 */
export function isSustained(r: ExperimentResult): boolean {
  const growth = backlogGrowth(r);
  return r.downlinkUtilisationSecondHalf >= 0.95 * r.offeredLoad && growth <= 0.05;
}

function backlogGrowth(r: ExperimentResult): number {
  return r.offeredBytesSecondHalf > 0 ? (r.backlogBytes[2] - r.backlogBytes[1]) / r.offeredBytesSecondHalf : 0;
}

/**
 * The paper's hosts add 0.5 us NIC send time and 0.5 us software time at each end to every
 * message, in the loaded runs and in the ideal alike (homa-simulation-setup.md).
 */
export const PAPER_HOST_OVERHEAD_PS = 1_500_000;

export function summarise(r: ExperimentResult, bucketCount = 10, keepMessages = false): RunSummary {
  const sizes = sizeBuckets(r.config.sampler.distribution, bucketCount);
  const buckets = slowdownByBucket(r.records, sizes, r.endPs);
  const withHost = slowdownByBucket(r.records, sizes, r.endPs, PAPER_HOST_OVERHEAD_PS).find((b) => b.count > 0);
  const all = slowdowns(r.records, r.endPs).sort();
  const first = buckets.find((b) => b.count > 0);
  return {
    workload: r.config.workloadName,
    configuration: r.config.stack.name,
    load: r.config.load,
    messages: r.records.count,
    incomplete: r.incomplete,
    buckets,
    shortP99: first?.p99 ?? Number.NaN,
    shortP50: first?.p50 ?? Number.NaN,
    shortP99WithHost: withHost?.p99 ?? Number.NaN,
    overallP99: percentile(all, 99),
    overallP50: percentile(all, 50),
    downlinkUtilisation: r.downlinkUtilisation,
    downlinkUtilisationSecondHalf: r.downlinkUtilisationSecondHalf,
    goodputShare: r.goodputShare,
    wastedReceiverBandwidth: r.wastedReceiverBandwidth,
    wastedDefinition: r.wastedDefinition,
    backlogGrowth: backlogGrowth(r),
    sustained: isSustained(r),
    events: r.events,
    wallMs: r.wallMs,
    simulatedPs: r.endPs,
    losses: r.losses,
    ...(keepMessages ? { messagesCsv: messagesCsv(r) } : {}),
  };
}
