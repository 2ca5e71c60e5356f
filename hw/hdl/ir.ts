// hw/hdl/ir.ts — the netlist IR: what elaboration produces and what the emitter and the
// simulators consume.
//
// Two levels live here:
//  - the structured form (statements with if/switch inside combinational and clocked blocks),
//    which the Verilog emitter prints so the output reads like hand-written RTL;
//  - the lowered form (one expression per driven signal, see lower.ts), which the simulators
//    and the elaboration checks use: every comb signal is a pure function of other signals,
//    every register has one next-state expression, every memory port is a set of expressions.
//
// Every value is a plain bit vector of a fixed width (1..any). Signedness only changes the
// meaning of comparisons, arithmetic right shift and sign extension; add/sub/mul wrap at the
// operand width exactly as Verilog does when both sides have that width.

import type { SourceLoc } from './loc.ts';

export type SignalKind = 'input' | 'output' | 'wire' | 'reg';

/** A named net or register inside one module. */
export interface Signal {
  /** Index in ModuleIR.signals. */
  readonly id: number;
  /** Verilog name (unique in the module). */
  name: string;
  readonly width: number;
  readonly kind: SignalKind;
  /** Registers: value after reset (also the initial value). Bigint of `width` bits. */
  readonly reset?: bigint;
  /** Enum type whose constants this signal holds (for localparams and waveforms). */
  readonly enumType?: EnumInfo;
  readonly loc: SourceLoc;
  /** Hierarchical grouping for waveforms: the interface path of ports, e.g. ['in', 'valid']. */
  readonly path?: readonly string[];
}

export interface EnumInfo {
  readonly name: string;
  readonly width: number;
  readonly names: readonly string[];
  readonly values: readonly bigint[];
}

export type UnaryOp = 'not' | 'neg' | 'redand' | 'redor' | 'redxor';
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
  | 'shl' | 'shr' | 'sra';

/**
 * An expression. `width` is the result width. Operand widths obey:
 *  - add/sub/mul/and/or/xor: a.width === b.width === width
 *  - eq/ne/lt/le/gt/ge: a.width === b.width, width 1; `signed` selects signed compare
 *  - shl/shr/sra: width === a.width, b is any width (amount, unsigned); amounts >= width
 *    give 0 (shl, shr) or all sign bits (sra)
 *  - not/neg: width === a.width; reductions: width 1
 */
export type Expr =
  | { readonly kind: 'const'; readonly width: number; readonly value: bigint }
  | { readonly kind: 'ref'; readonly width: number; readonly signal: Signal }
  | { readonly kind: 'memread'; readonly width: number; readonly mem: Memory; readonly port: number }
  | { readonly kind: 'unary'; readonly width: number; readonly op: UnaryOp; readonly a: Expr }
  | { readonly kind: 'binary'; readonly width: number; readonly op: BinaryOp; readonly signed: boolean; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'mux'; readonly width: number; readonly sel: Expr; readonly then: Expr; readonly else: Expr }
  | { readonly kind: 'slice'; readonly width: number; readonly a: Expr; readonly lo: number }
  | { readonly kind: 'concat'; readonly width: number; readonly parts: readonly Expr[] } // most significant first
  | { readonly kind: 'ext'; readonly width: number; readonly signed: boolean; readonly a: Expr };

/** Structured statements inside a block. */
export type Stmt =
  | { readonly kind: 'assign'; readonly target: Signal; readonly value: Expr; readonly loc: SourceLoc }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: Stmt[]; else: Stmt[]; readonly loc: SourceLoc; /** true when `else` holds one nested if written as elsewhen */ elseIf: boolean }
  | { readonly kind: 'switch'; readonly subject: Expr; readonly cases: SwitchCase[]; default: Stmt[] | null; readonly loc: SourceLoc }
  | { readonly kind: 'memwrite'; readonly mem: Memory; readonly port: number; readonly addr: Expr; readonly data: Expr; /** one bit per byte lane, or null for whole-word writes */ readonly mask: Expr | null; readonly loc: SourceLoc }
  | { readonly kind: 'memread'; readonly mem: Memory; readonly port: number; readonly addr: Expr; readonly loc: SourceLoc };

export interface SwitchCase { readonly values: readonly bigint[]; readonly body: Stmt[]; readonly loc: SourceLoc }

export interface Block {
  readonly kind: 'comb' | 'seq';
  readonly body: Stmt[];
  readonly loc: SourceLoc;
  /** Optional label; the emitter prints it as a comment. */
  readonly label?: string;
}

/**
 * A synchronous memory. Each port may read (registered: the data appears the cycle after the
 * address, held until the next read) and/or write (with optional byte-lane mask).
 */
export interface Memory {
  readonly id: number;
  name: string;
  readonly width: number;
  readonly depth: number;
  readonly addrWidth: number;
  /** Byte-lane width for masked writes (8), when the memory has byte enables. */
  readonly laneWidth: number | null;
  readonly ports: readonly MemPortInfo[];
  /** Initial contents (missing entries are zero). */
  readonly init: readonly bigint[] | null;
  readonly loc: SourceLoc;
}

export interface MemPortInfo { readonly read: boolean; readonly write: boolean; readonly name: string }

/** A submodule instance: each of the child's ports connects to a parent signal. */
export interface Instance {
  name: string;
  readonly module: ModuleIR;
  /** child port name -> parent expression (inputs) or parent signal (outputs). */
  readonly inputs: ReadonlyMap<string, Expr>;
  readonly outputs: ReadonlyMap<string, Signal>;
  readonly loc: SourceLoc;
}

export interface ModuleIR {
  /** Verilog module name (unique within one design once deduplicated). */
  name: string;
  /** The name the designer gave, before deduplication suffixes. */
  readonly baseName: string;
  /** Ports in declaration order (clk and rst first when the module is clocked). */
  readonly ports: readonly Signal[];
  readonly signals: readonly Signal[];
  readonly memories: readonly Memory[];
  readonly blocks: readonly Block[];
  readonly instances: readonly Instance[];
  /** Whether the module (or any child) holds state, and so has clk and rst ports. */
  readonly clocked: boolean;
  readonly loc: SourceLoc;
  /** Parameters the generator was called with, printed in the header comment. */
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

// ---------------------------------------------------------------------------------------
// Lowered (flattened, per-signal) form, produced by lower.ts for simulators and checks.

/** One combinational driver: `signal = expr`. */
export interface CombAssign { readonly signal: Signal; readonly expr: Expr }
/** One register: `signal <= next` on every clock; `reset` on reset. */
export interface RegUpdate { readonly signal: Signal; readonly next: Expr; readonly reset: bigint }
/** One memory write port, evaluated at the clock edge. */
export interface MemWrite { readonly mem: Memory; readonly port: number; readonly enable: Expr; readonly addr: Expr; readonly data: Expr; readonly mask: Expr | null }
/** One memory read port: when `enable`, the port's data register takes mem[addr]. */
export interface MemRead { readonly mem: Memory; readonly port: number; readonly enable: Expr; readonly addr: Expr }

/**
 * A whole design flattened to one level. Signal names are hierarchical with '.' between
 * instance names (e.g. 'tx.fifo.count'); `scope` gives the instance path for waveforms.
 * `comb` is in dependency order (each expression only reads inputs, registers, memory read
 * data, or signals assigned earlier in the list).
 */
export interface FlatDesign {
  readonly top: ModuleIR;
  readonly signals: readonly FlatSignal[];
  readonly inputs: readonly FlatSignal[];
  readonly outputs: readonly FlatSignal[];
  readonly memories: readonly FlatMemory[];
  readonly comb: readonly CombAssign[];
  readonly regs: readonly RegUpdate[];
  readonly memWrites: readonly MemWrite[];
  readonly memReads: readonly MemRead[];
}

export interface FlatSignal extends Signal { readonly scope: readonly string[]; readonly local: string }
export interface FlatMemory extends Memory { readonly scope: readonly string[]; readonly local: string }
