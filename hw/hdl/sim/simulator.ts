// hw/hdl/sim/simulator.ts — seam 2: the one API every simulation engine implements.
//
// Engines: 'js' (the netlist compiled to JavaScript, in process) and 'verilator' (the emitted
// Verilog built into a native addon, sim/verilator). A lock-step wrapper runs two engines and
// compares every output every cycle.
//
// Cycle semantics (identical in every engine, and identical to the emitted Verilog):
//  - Values poked into inputs are visible at once: a peek settles the combinational logic.
//  - step(n) runs n clock cycles. Each cycle: settle the combinational logic; run the cycle
//    hooks (testbench drivers and monitors: they may peek anything and poke inputs, after
//    which the logic settles again); then the rising clock edge (registers take their next
//    values, memories write and read); the cycle counter advances.
//  - While `rst` is 1 at an edge, registers take their reset values and memories neither
//    write nor read. reset(n) holds rst high for n cycles (default 1), then lowers it.
//  - Values up to 32 bits are numbers; wider values are bigints.

import type { VcdOptions } from './vcd.ts';

export type PortValue = number | bigint;

export interface PortInfo {
  /** Verilog name (e.g. 'in_valid'). */
  readonly name: string;
  /** Interface path (e.g. ['in', 'valid']); `port()` accepts it joined with '.'. */
  readonly path: readonly string[];
  readonly width: number;
  readonly dir: 'in' | 'out';
}

export interface MemoryInfo {
  /** Hierarchical name ('tx.fifo.ram'). */
  readonly name: string;
  readonly width: number;
  readonly depth: number;
}

/** A fast handle on one port or internal signal (no name lookup per access). */
export interface PortHandle {
  readonly name: string;
  readonly width: number;
  get(): PortValue;
  /** Inputs only. */
  set(value: PortValue | boolean): void;
}

/** Called once per cycle inside the cycle loop, before the clock edge. */
export type CycleHook = (cycle: number) => void;

export interface Simulator {
  /** 'js', 'verilator', or 'lockstep(a,b)'. */
  readonly engine: string;
  readonly ports: readonly PortInfo[];
  readonly memories: readonly MemoryInfo[];
  /** Cycles run since creation. */
  readonly cycle: number;

  /** A handle by Verilog name, interface path ('in.valid'), or hierarchical internal signal name ('fifo.used'). */
  port(name: string): PortHandle;
  poke(name: string, value: PortValue | boolean): void;
  peek(name: string): PortValue;
  peekMem(memory: string, address: number): PortValue;
  pokeMem(memory: string, address: number, value: PortValue): void;

  reset(cycles?: number): void;
  step(cycles?: number): void;

  /** Adds a hook run every cycle before the edge; returns a function that removes it. */
  onCycle(hook: CycleHook): () => void;

  /**
   * Starts writing a VCD waveform to `path` (every signal, hierarchy and enum names kept);
   * `options` stamp cycles in the caller's time and limit the dump to a window of it.
   */
  traceVcd(path: string, options?: VcdOptions): void;
  /** Flushes and closes any trace; releases native resources. */
  dispose(): void;
}

export interface SimulateOptions {
  /** Engine name: 'js' (default) or 'verilator'. */
  readonly engine?: string;
  /** Write a VCD of the run to this path. */
  readonly vcd?: string;
}
