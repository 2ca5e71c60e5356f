// sim/experiments/stacks.ts — the configurations the `sim` command can run, by name.

import type { WorkloadName } from '../workloads/cdf.ts';
import type { SizeSampler } from '../workloads/sampler.ts';
import { paperHomaTuning } from './homa-config.ts';
import { homaStack } from './homa-stack.ts';
import { rawStack } from './raw-stack.ts';
import type { Stack } from './stack.ts';

export interface StackContext {
  readonly workload: WorkloadName;
  readonly sampler: SizeSampler;
  readonly hostBitsPerSecond: number;
}

export interface StackChoice {
  readonly description: string;
  create(ctx: StackContext): Stack;
}

const HOMA_DESCRIPTION = 'the Homa reference model (sim/model) configured as in the SIGCOMM 2018 simulations: 8 priorities split per workload (W1 7+1, W2 5+3, W3 4+4, W4/W5 1+7), overcommitment = scheduled levels, RTTbytes = unscheduled bytes = grant window = 10,000, cutoffs giving each unscheduled level equal bytes, no FIFO grants';

export const STACKS: Record<string, StackChoice> = {
  homa: {
    description: HOMA_DESCRIPTION,
    create: (ctx) => homaStack({ name: 'Homa', description: HOMA_DESCRIPTION, tuning: paperHomaTuning(ctx.workload, ctx.sampler, ctx.hostBitsPerSecond, false) }),
  },
  basic: {
    description: 'the same Homa with priorities disabled (one level for everything), the paper\'s "Basic"',
    create: (ctx) => homaStack({ name: 'Basic', description: 'Homa, one priority level', tuning: paperHomaTuning(ctx.workload, ctx.sampler, ctx.hostBitsPerSecond, true) }),
  },
  raw: {
    description: 'no congestion control: every message blasted at line rate, SRPT sender, one priority (a test transport)',
    create: () => rawStack(),
  },
};
