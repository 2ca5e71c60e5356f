#!/usr/bin/env -S npx tsx
// bin/homa-nic.ts — the homa-nic command. Subcommands: sim, conformance.

import { parseConformanceArgs, runConformance } from '../conformance/cli.ts';
import { SIM_HELP, UsageError, parseSimArgs } from '../sim/experiments/cli-args.ts';
import { runSimPlan } from '../sim/experiments/sim-command.ts';
import { STACKS } from '../sim/experiments/stacks.ts';

const USAGE = `homa-nic — an open Homa NIC

Usage: homa-nic <command> [flags]

Commands:
  sim           run a simulated datacenter experiment (homa-nic sim --help)
  conformance   run the NIC conformance suite on a NIC: model, rtl or rtl-verilator
                (homa-nic conformance --nic rtl [--group rx] [--list]; --help for more)
`;

const COMMANDS = ['sim', 'conformance'];

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!COMMANDS.includes(command)) {
    process.stderr.write(`homa-nic: unknown command "${command}"; accepted: ${COMMANDS.join(', ')}\n`);
    return 2;
  }
  try {
    if (command === 'conformance') return await runConformance(parseConformanceArgs(rest));
    const plan = parseSimArgs(rest, Object.keys(STACKS));
    if (plan.help) {
      process.stdout.write(SIM_HELP);
      return 0;
    }
    runSimPlan(plan, `homa-nic sim ${rest.join(' ')}`.trim());
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`homa-nic ${command}: ${e.message} (homa-nic ${command} --help lists the flags)\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
