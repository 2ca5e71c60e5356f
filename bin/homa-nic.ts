#!/usr/bin/env -S npx tsx
// bin/homa-nic.ts — the homa-nic command. Subcommands: sim, conformance, stats, trace, wireshark,
// boards, build, flash.

import '../plugins/index.ts';
import { parseConformanceArgs, runConformance } from '../conformance/cli.ts';
import { SIM_HELP, UsageError, parseSimArgs } from '../sim/experiments/cli-args.ts';
import { runSimPlan, runSimSweep } from '../sim/experiments/sim-command.ts';
import { STACKS } from '../sim/experiments/stacks.ts';
import { parseStatsArgs, runStats } from '../tools/stats/cli.ts';
import { parseTraceArgs, runTrace } from '../tools/trace/cli.ts';
import { parseWiresharkArgs, runWireshark } from '../tools/wireshark/install.ts';
import { runBoards, runBuild, runFlash } from '../boards/cli.ts';

const USAGE = `homa-nic — an open Homa NIC

Usage: homa-nic <command> [flags]

Commands:
  sim           run a simulated datacenter experiment (homa-nic sim --help)
  conformance   run the NIC conformance suite on a NIC: model, rtl or rtl-verilator
                (homa-nic conformance --nic rtl [--group rx] [--list] [--vcd FILE]; --help for more)
  stats         the engine's counters from a device: sim, sim:N, pcie:/dev/homa_nic0
                (homa-nic stats sim [--watch] [--nic rtl --vcd FILE]; --help for more)
  trace         one RPC's packets from a capture, in order, with timing
                (homa-nic trace capture.pcap --id 1234)
  wireshark     the Homa dissector for Wireshark and tshark (homa-nic wireshark --install)
  boards        the dev boards and datacenter cards, with part, clock and engine configuration
  build         a board's flow: homa-nic build --board icebreaker [--out DIR] (iCE40 bitstream,
                Vivado project for Xilinx boards)
  flash         program a built board: homa-nic flash --board icebreaker [--out DIR]
`;

type Command = (args: string[]) => Promise<number> | number;

const COMMANDS: Record<string, Command> = {
  sim: (args) => {
    const plan = parseSimArgs(args, Object.keys(STACKS));
    if (plan.help) {
      process.stdout.write(SIM_HELP);
      return 0;
    }
    const command = `homa-nic sim ${args.join(' ')}`.trim();
    if (plan.seeds > 1 || plan.jobs > 1 || plan.cacheDir) return runSimSweep(plan, command).then(() => 0);
    runSimPlan(plan, command);
    return 0;
  },
  conformance: (args) => runConformance(parseConformanceArgs(args)),
  stats: (args) => runStats(parseStatsArgs(args)),
  trace: (args) => runTrace(parseTraceArgs(args)),
  wireshark: (args) => runWireshark(parseWiresharkArgs(args)),
  boards: (args) => runBoards(args),
  build: (args) => runBuild(args),
  flash: (args) => runFlash(args),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`homa-nic: unknown command "${command}"; accepted: ${Object.keys(COMMANDS).join(', ')}\n`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`homa-nic ${command}: ${e.message} (homa-nic ${command} --help lists the flags)\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
