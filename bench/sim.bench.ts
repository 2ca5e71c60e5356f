// bench/sim.bench.ts — `npm run bench:sim`: one mid-size design (bench/designs/lanes.ts)
// simulated in the js engine, in Icarus (from the emitted Verilog) and, when the engine is
// there, in Verilator; all three must end with the same checksum.
//
// Rates are cycles per second of CPU time (this machine is shared; wall-clock rates are
// printed too). The js and Verilator engines are warmed up first (V8 optimises the generated
// functions only after some thousands of cycles). Icarus is timed on two run lengths and the
// difference taken, so its start-up (reading and elaborating the netlist) is not counted.
// Then `verilator-build: cold=<s> warm=<ms>` (a build from an empty model cache, and a first
// load of the cached addon), and as the last line
// `sim-speed: design=<name> js=<c/s> iverilog=<c/s> verilator=<c/s|n/a> js/iverilog=<x> js/verilator=<y|n/a>`.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { elaborate, toVerilog } from '../hw/hdl/index.ts';
import type { Expr } from '../hw/hdl/ir.ts';
import { availableEngines, simulate, simulateJs, type Simulator } from '../hw/hdl/sim/index.ts';
import { lanes } from './designs/lanes.ts';

const { values } = parseArgs({ options: { lanes: { type: 'string', default: '48' }, seconds: { type: 'string', default: '3' } } });
const count = Number(values.lanes), seconds = Number(values.seconds);
const def = lanes(count);
const name = `lanes${count}`;
const CHECK = 2000; // cycles after reset compared between engines

// --- the design --------------------------------------------------------------------------
const t0 = performance.now();
const flat = elaborate(def).flat;
const flops = flat.regs.reduce((a, r) => a + r.signal.width, 0) + flat.memReads.reduce((a, r) => a + r.mem.width, 0);
const ops = new Set<Expr>();
const widths = new Map<number, number>();
const walk = (e: Expr) => {
  if (ops.has(e)) return;
  if (e.kind === 'unary' || e.kind === 'binary' || e.kind === 'mux' || e.kind === 'concat' || e.kind === 'ext' || e.kind === 'slice') {
    ops.add(e);
    const w = e.kind === 'binary' ? e.a.width : e.width;
    widths.set(w, (widths.get(w) ?? 0) + 1);
  }
  if ('a' in e) walk(e.a);
  if (e.kind === 'binary') walk(e.b);
  if (e.kind === 'mux') { walk(e.sel); walk(e.then); walk(e.else); }
  if (e.kind === 'concat') e.parts.forEach(walk);
};
for (const c of flat.comb) walk(c.expr);
for (const r of flat.regs) walk(r.next);
for (const w of flat.memWrites) { walk(w.enable); walk(w.addr); walk(w.data); }
for (const r of flat.memReads) { walk(r.enable); walk(r.addr); }
const band = (lo: number, hi: number) => [...widths].filter(([w]) => w >= lo && w <= hi).reduce((a, [, n]) => a + n, 0);
console.log(`design ${name}: ${flops} flip-flops, ${ops.size} operators (1-16 bits: ${band(1, 16)}, 17-32: ${band(17, 32)}, 33-64: ${band(33, 64)}, >64: ${band(65, 1e9)}), ${flat.memories.length} memories; elaborated in ${(performance.now() - t0).toFixed(0)} ms`);

// --- in-process engines --------------------------------------------------------------------
interface Rate { cpu: number; wall: number; checksum: bigint }

function start(sim: Simulator): void {
  sim.reset();
  sim.poke('enable', 1);
  sim.poke('seed', 0);
}

/** Warm up, then step in slices until `seconds` of wall time; cycles per CPU and wall second. */
function measure(sim: Simulator, label: string): Rate {
  start(sim);
  sim.step(CHECK);
  const checksum = BigInt(sim.peek('checksum'));
  const w0 = performance.now();
  sim.step(50_000);
  console.log(`${label}: warm-up 50000 cycles in ${((performance.now() - w0) / 1000).toFixed(2)} s`);
  const c0 = process.cpuUsage(), t = performance.now();
  let cycles = 0, slice = 2000;
  while (performance.now() - t < seconds * 1000) {
    const s0 = performance.now();
    sim.step(slice);
    cycles += slice;
    if (performance.now() - s0 < 50) slice *= 2;
  }
  const cpu = process.cpuUsage(c0), wall = (performance.now() - t) / 1000;
  const r = { cpu: cycles / ((cpu.user + cpu.system) / 1e6), wall: cycles / wall, checksum };
  console.log(`${label}: ${cycles} cycles, ${Math.round(r.cpu)} cycles/s CPU, ${Math.round(r.wall)} cycles/s wall`);
  return r;
}

const c1 = performance.now();
const jsSim = simulateJs(def);
console.log(`js: generated and compiled in ${((performance.now() - c1) / 1000).toFixed(2)} s (${jsSim.program.comb.length + jsSim.program.edge.length} functions, ${jsSim.program.layout.words} state words)`);
const js = measure(jsSim, 'js');

let verilator: Rate | null = null;
let build: { coldBuildSeconds: number; warmLoadMs: number } | null = null;
const verilatorIndex = fileURLToPath(new URL('../sim/verilator/index.ts', import.meta.url));
if (existsSync(verilatorIndex)) {
  try {
    await import(fileURLToPath(new URL('../plugins/engines.ts', import.meta.url)));
    if (availableEngines().includes('verilator')) {
      const b0 = performance.now();
      const sim = await simulate(def, { engine: 'verilator' });
      console.log(`verilator: model ready in ${((performance.now() - b0) / 1000).toFixed(1)} s (cached builds are reused)`);
      verilator = measure(sim, 'verilator');
      sim.dispose();
      const { measureVerilator } = await import(fileURLToPath(new URL('../sim/verilator/bench.ts', import.meta.url))) as typeof import('../sim/verilator/bench.ts');
      build = await measureVerilator(def, { seconds: 0.2 });
    }
  } catch (e) {
    console.log(`verilator: not measured (${(e as Error).message.split('\n')[0]})`);
  }
}

// --- Icarus ------------------------------------------------------------------------------------
function icarus(): { rate: number; checksums: Map<number, bigint> } | null {
  if (spawnSync('sh', ['-c', 'command -v iverilog && command -v vvp'], { stdio: 'ignore' }).status !== 0) {
    console.log('iverilog: not installed (apt-get install iverilog)');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'homa-bench-'));
  try {
    const v = toVerilog(def, { simInit: true });
    // Same protocol as start(): one reset edge, then enable=1, seed=0 for N cycles.
    writeFileSync(join(dir, 'bench.v'), `${v.text}
module bench_tb;
  reg clk = 1'b0, rst = 1'b1, enable = 1'b0;
  reg [31:0] seed = 32'd0;
  wire [31:0] checksum;
  wire [7:0] flags;
  integer i, n;
  ${v.top} dut (.clk(clk), .rst(rst), .enable(enable), .seed(seed), .checksum(checksum), .flags(flags));
  initial begin
    if (!$value$plusargs("cycles=%d", n)) n = 100;
    #1 clk = 1'b1; #1 clk = 1'b0; rst = 1'b0; enable = 1'b1;
    for (i = 0; i < n; i = i + 1) begin #1 clk = 1'b1; #1 clk = 1'b0; end
    #1 $display("checksum %0d", checksum);
    $finish;
  end
endmodule
`);
    const comp = spawnSync('iverilog', ['-g2005', '-o', join(dir, 'bench.vvp'), join(dir, 'bench.v')], { encoding: 'utf8' });
    if (comp.status !== 0) throw new Error(`iverilog failed: ${comp.stderr}`);
    const run = (n: number) => {
      const r = spawnSync('bash', ['-c', `TIMEFORMAT='%3U %3S %3R'; time vvp -n ${join(dir, 'bench.vvp')} +cycles=${n}`], { encoding: 'utf8' });
      const [u, s, wall] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
      const sum = /checksum (\d+)/.exec(r.stdout);
      if (!sum) throw new Error(`vvp printed no checksum:\n${r.stdout}\n${r.stderr}`);
      return { cpu: u! + s!, wall: wall!, checksum: BigInt(sum[1]!) };
    };
    const short = run(200), long = run(CHECK);
    const rate = (CHECK - 200) / Math.max(1e-3, long.cpu - short.cpu);
    console.log(`iverilog: ${CHECK} cycles in ${long.cpu.toFixed(2)} s CPU (${long.wall.toFixed(2)} s wall), 200 in ${short.cpu.toFixed(2)} s: ${Math.round(rate)} cycles/s CPU without start-up`);
    return { rate, checksums: new Map([[CHECK, long.checksum]]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const iv = icarus();
const agree = [['js', js.checksum], ['verilator', verilator?.checksum], ['iverilog', iv?.checksums.get(CHECK)]] as const;
const present = agree.filter(([, c]) => c !== undefined);
const same = present.every(([, c]) => c === present[0]![1]);
console.log(`checksum after ${CHECK} cycles: ${present.map(([n, c]) => `${n}=${c}`).join(' ')} ${same ? '(all equal)' : 'DIFFER'}`);
if (!same) process.exitCode = 1;
const fmt = (r: number | undefined) => (r === undefined ? 'n/a' : String(Math.round(r)));
console.log(build ? `verilator-build: cold=${build.coldBuildSeconds.toFixed(2)} warm=${build.warmLoadMs.toFixed(0)}` : 'verilator-build: n/a (Verilator not available: apt-get install verilator g++ make)');
console.log(`sim-speed: design=${name} js=${fmt(js.cpu)} iverilog=${fmt(iv?.rate)} verilator=${fmt(verilator?.cpu)} js/iverilog=${iv ? (js.cpu / iv.rate).toFixed(0) : 'n/a'} js/verilator=${verilator ? (js.cpu / verilator.cpu).toFixed(2) : 'n/a'}`);
