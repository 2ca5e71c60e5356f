// sim/experiments/stacks.ts — the configurations the `sim` command can run, by name.

import type { WorkloadName } from '../workloads/cdf.ts';
import type { SizeSampler } from '../workloads/sampler.ts';
import { paperHomaTuning, type HomaConfigName } from './homa-config.ts';
import { homaStack } from './homa-stack.ts';
import { rawStack } from './raw-stack.ts';
import type { Stack } from './stack.ts';

export interface StackContext {
  readonly workload: WorkloadName;
  readonly sampler: SizeSampler;
  readonly hostBitsPerSecond: number;
  /** Homa's algorithms (homa-config.ts); default homamodule. */
  readonly config?: HomaConfigName;
  /** homa-sw: host software time per packet, ps (default 0). */
  readonly softwarePacketPs?: number;
}

export interface StackChoice {
  readonly description: string;
  create(ctx: StackContext): Stack;
}

const CONFIG_DESCRIPTION: Record<HomaConfigName, string> = {
  homamodule: 'HomaModule\'s algorithms: 10,000 unscheduled bytes = grant window, an unscheduled packet\'s level from its message\'s length with cutoffs giving each unscheduled level equal bytes of message sizes, senders share the active set round by round',
  sigcomm2018: 'the SIGCOMM 2018 simulator\'s algorithms: 9,328 unscheduled bytes = grant window, an unscheduled packet\'s level from the bytes its message still has to send with cutoffs over that distribution, at most one granted message per sender, no pacer',
};
const PAPER_PARAMETERS = '8 priorities split per workload (W1 7+1, W2 5+3, W3 4+4, W4/W5 1+7), overcommitment = scheduled levels, no FIFO grants';

/** Report label: the stack's name, with the configuration when it is not the default. */
function label(name: string, ctx: StackContext): string {
  return ctx.config && ctx.config !== 'homamodule' ? `${name}-${ctx.config}` : name;
}

export const STACKS: Record<string, StackChoice> = {
  homa: {
    description: `the Homa reference model (sim/model), NIC-resident SRPT sender (the link pulls the best packet when it is idle); ${PAPER_PARAMETERS}`,
    create: (ctx) => homaStack({ name: label('Homa', ctx), description: CONFIG_DESCRIPTION[ctx.config ?? 'homamodule'], tuning: paperHomaTuning(ctx.workload, ctx.sampler, ctx.hostBitsPerSecond, false, ctx.config) }),
  },
  'homa-sw': {
    description: 'the same Homa with HomaModule\'s software sender: packets pushed into a FIFO NIC queue until the pacer\'s ~5 us backlog bound (long messages\' DATA beyond it waits, SRPT among the waiting); control packets and short messages queue behind it; host software time per packet --sw-packet-time',
    create: (ctx) => {
      const t = paperHomaTuning(ctx.workload, ctx.sampler, ctx.hostBitsPerSecond, false, ctx.config);
      // The software sender is defined by its pacer: always on here, at HomaModule's defaults.
      return homaStack({ name: label('Homa-SW', ctx), description: CONFIG_DESCRIPTION[ctx.config ?? 'homamodule'], tuning: { ...t, flags: 0, max_nic_est_backlog_usecs: 5, max_link_usage: 99 }, sender: 'software', softwarePacketPs: ctx.softwarePacketPs ?? 0 });
    },
  },
  basic: {
    description: 'the same Homa with priorities disabled (one level for everything), the paper\'s "Basic"',
    create: (ctx) => homaStack({ name: label('Basic', ctx), description: 'Homa, one priority level', tuning: paperHomaTuning(ctx.workload, ctx.sampler, ctx.hostBitsPerSecond, true, ctx.config) }),
  },
  raw: {
    description: 'no congestion control: every message blasted at line rate, SRPT sender, one priority (a test transport)',
    create: () => rawStack(),
  },
};

export { CONFIG_DESCRIPTION };
