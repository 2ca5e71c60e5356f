#!/usr/bin/env -S npx tsx
// bin/homa-nic.ts — the homa-nic command. Subcommands: sim.

import { SIM_HELP, UsageError, parseSimArgs } from '../sim/experiments/cli-args.ts';
import { runSimPlan } from '../sim/experiments/sim-command.ts';
import { STACKS } from '../sim/experiments/stacks.ts';

const USAGE = `homa-nic — an open Homa NIC

Usage: homa-nic <command> [flags]

Commands:
  sim     run a simulated datacenter experiment (homa-nic sim --help)
`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'sim') {
    process.stderr.write(`homa-nic: unknown command "${command}"; accepted: sim\n`);
    return 2;
  }
  try {
    const plan = parseSimArgs(rest, Object.keys(STACKS));
    if (plan.help) {
      process.stdout.write(SIM_HELP);
      return 0;
    }
    runSimPlan(plan, `homa-nic sim ${rest.join(' ')}`.trim());
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`homa-nic sim: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
