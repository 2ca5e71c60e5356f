// boards/cli.ts — `homa-nic boards`, `homa-nic build --board <name> [--out DIR]` and
// `homa-nic flash --board <name> [--out DIR]`.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../sim/experiments/cli-args.ts';
import { BOARDS, findBoard } from './index.ts';
import type { Board } from './flows/board.ts';
import { buildIce40, type BuildResult } from './flows/ice40.ts';
import { buildXilinx } from './flows/xilinx.ts';
import { FlowError } from './flows/run.ts';

export const BOARDS_HELP = `homa-nic boards                                  the boards, their parts, clocks and engine configurations
homa-nic build --board <name> [--out DIR]        the board's flow (iCE40: a .bin bitstream; Xilinx: a Vivado project)
               [--shell]                         (iCE40) without the engine: MAC loopback and UART bridge only
               [--estimate]                      (Xilinx) also yosys synth_xilinx cell counts (slow)
homa-nic flash --board <name> [--out DIR]        program the bitstream built in DIR (iceprog / openFPGALoader)
`;

export function runBoards(args: string[]): number {
  if (args.includes('--help')) { process.stdout.write(BOARDS_HELP); return 0; }
  if (args.length) throw new UsageError(`unknown argument "${args[0]}"`);
  const rows = BOARDS.map((b) => [b.name, b.part, `${b.targetMhz} MHz`, b.engine.name, b.flow === 'ice40' ? 'bitstream (.bin): yosys, nextpnr-ice40, icepack' : 'Vivado project (build.tcl, XDC); yosys estimate']);
  const head = ['board', 'part', 'clock', 'engine', 'the flow produces'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
  for (const b of BOARDS) console.log(`\n${b.name}: ${b.title}\n  clock:    ${b.clock}\n  ethernet: ${b.ethernet}\n  host:     ${b.host}`);
  return 0;
}

interface BoardArgs { board: Board; out: string; shell: boolean; estimate: boolean }

function parseBoardArgs(args: string[], command: string): BoardArgs | null {
  let name: string | undefined, out: string | undefined, shell = false, estimate = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help') { process.stdout.write(BOARDS_HELP); return null; }
    if (a === '--board') name = args[++i];
    else if (a === '--out') out = args[++i];
    else if (a === '--shell' && command === 'build') shell = true;
    else if (a === '--estimate' && command === 'build') estimate = true;
    else throw new UsageError(`unknown flag "${a}"`);
  }
  if (!name) throw new UsageError(`--board is required (one of ${BOARDS.map((b) => b.name).join(', ')})`);
  const board = findBoard(name);
  if (!board) throw new UsageError(`no board "${name}" (known: ${BOARDS.map((b) => b.name).join(', ')})`);
  if (shell && board.flow !== 'ice40') throw new UsageError('--shell is for the iCE40 boards');
  return { board, out: resolve(out ?? join('build', 'boards', board.name)), shell, estimate };
}

/** The last line of a build, in one fixed shape. */
export function buildLine(r: BuildResult): string {
  return `build: board=${r.board} luts=${r.luts ?? 'none'}/${r.lutsTotal} brams=${r.brams ?? 'none'} fmax=${r.fmaxMhz === null ? 'none' : r.fmaxMhz.toFixed(1)} target=${r.targetMhz}`;
}

export async function runBuild(args: string[]): Promise<number> {
  const a = parseBoardArgs(args, 'build');
  if (!a) return 0;
  const started = Date.now();
  const progress = (l: string) => console.log(`${l}`);
  console.log(`build: ${a.board.title} into ${a.out}`);
  let r: BuildResult;
  try {
    r = a.board.flow === 'ice40' ? await buildIce40(a.board, a.out, progress, { shell: a.shell }) : await buildXilinx(a.board, a.out, progress, { estimate: a.estimate });
  } catch (e) {
    if (e instanceof FlowError) { console.error(`build: ${e.message}`); return 1; }
    throw e;
  }
  if (r.bitstream) console.log(`bitstream: ${r.bitstream}`);
  if (r.problem) console.log(`problem: ${r.problem}`);
  console.log(`time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(buildLine(r));
  const ok = a.board.flow === 'ice40' ? r.bitstream !== null && r.fmaxMhz !== null && r.fmaxMhz >= r.targetMhz : true;
  return ok ? 0 : 1;
}

export function runFlash(args: string[]): number {
  const a = parseBoardArgs(args, 'flash');
  if (!a) return 0;
  const b = a.board;
  if (b.flow !== 'ice40') {
    console.log(`flash: the ${b.title} is programmed from Vivado: in ${a.out}, run vivado -mode batch -source build.tcl, then open the hardware manager (or: ${b.flash.join(' ')})`);
    return 1;
  }
  const bin = join(a.out, `${b.name}.bin`);
  const command = [...b.flash, bin];
  if (!existsSync(bin)) { console.log(`flash: no bitstream at ${bin}: run homa-nic build --board ${b.name} --out ${a.out} first\nthen: ${command.join(' ')}`); return 1; }
  // iceprog finds the board's FTDI chip by USB ID (0403:6010); without one it would fail anyway.
  let found = false;
  try { found = /0403/.test(execFileSync('sh', ['-c', 'for d in /sys/bus/usb/devices/*; do [ -f $d/idVendor ] && echo $(cat $d/idVendor):$(cat $d/idProduct); done'], { encoding: 'utf8' })); } catch { found = false; }
  if (!found) { console.log(`flash: no ${b.title} attached (no FTDI USB device, 0403:6010, found)\nto program it when attached: ${command.join(' ')}`); return 1; }
  console.log(`flash: ${command.join(' ')}`);
  const r = spawnSync(command[0]!, command.slice(1), { stdio: 'inherit' });
  if (r.error) { console.log(`flash: ${command[0]} could not run (${(r.error as NodeJS.ErrnoException).code}); apt-get install fpga-icestorm`); return 1; }
  return r.status ?? 1;
}
