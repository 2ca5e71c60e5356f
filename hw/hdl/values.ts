// hw/hdl/values.ts — hardware values with their width in the type: Bool, UInt<N>, SInt<N>.
//
// No operator changes a width implicitly: `add`/`sub`/`mul` wrap at the operand width,
// `addW`/`subW`/`mulW` widen, and `zext`/`sext`/`trunc`/`as` say what happens. Operands of a
// binary operator must have the same width: with literal widths `u8.add(u16)` fails `tsc`;
// with computed widths (`UInt<number>`) the same check runs at elaboration and throws with
// the designer's file:line. Plain numbers are accepted as operands and range-checked.

import type { BinaryOp, Expr, Signal, UnaryOp } from './ir.ts';
import { ElaborationError, here } from './loc.ts';
import type { Add, SliceWidth } from './widths.ts';
import { currentBlockKind, currentBuilder, emitStmt } from './context.ts';

declare const WIDTH: unique symbol;

export type Literal = number | bigint;

/** The common part of every bit-vector value. */
export abstract class Bits {
  constructor(readonly expr: Expr) {}
  get width(): number { return this.expr.width; }
  /** True for SInt. */
  abstract readonly signed: boolean;

  /** Drives this signal (a wire or output inside m.comb or at top level; a register inside m.seq). */
  set(value: this | Literal | boolean): void {
    const loc = here();
    const sig = assignableSignal(this.expr, loc);
    const v = operand(value, this.width, this.signed, 'set', loc);
    const kind = currentBlockKind();
    const builder = currentBuilder(loc, 'set');
    if (!builder.owns(sig)) {
      throw new ElaborationError(`'${sig.name}' cannot be driven from module '${builder.moduleName}' (it is an input here, or belongs to another module)`, loc);
    }
    if (sig.kind === 'reg' && kind !== 'seq') {
      throw new ElaborationError(`register '${sig.name}' can only be assigned inside m.seq(...)`, loc);
    }
    if (sig.kind !== 'reg' && kind === 'seq') {
      throw new ElaborationError(`'${sig.name}' is combinational (${sig.kind}); assign it in m.comb(...), not m.seq(...)`, loc);
    }
    emitStmt({ kind: 'assign', target: sig, value: v, loc }, loc, 'set');
  }

  /** The same bits as unsigned. */
  asUInt(): UInt<number> { return new UInt(this.expr); }
  /** The same bits as signed (two's complement). */
  asSInt(): SInt<number> { return new SInt(this.expr); }
  /** Reduction AND / OR / XOR over all bits. */
  andR(): Bool { return new Bool(unary('redand', this.expr, 1)); }
  orR(): Bool { return new Bool(unary('redor', this.expr, 1)); }
  xorR(): Bool { return new Bool(unary('redxor', this.expr, 1)); }
  /** Bit `i` (0 = least significant). */
  bit(i: number): Bool { return new Bool(slice(this.expr, i, 1, here)); }
}

/** An unsigned bit vector of width N. */
export class UInt<N extends number = number> extends Bits {
  declare readonly [WIDTH]: N;
  readonly signed = false;

  add(b: UInt<N> | Literal): UInt<N> { return new UInt(bin('add', this, b)); }
  sub(b: UInt<N> | Literal): UInt<N> { return new UInt(bin('sub', this, b)); }
  mul(b: UInt<N> | Literal): UInt<N> { return new UInt(bin('mul', this, b)); }
  /** Widening add: the carry is the top bit. */
  addW(b: UInt<N> | Literal): UInt<Add<N, 1>> { return new UInt(binW('add', this, b, 1)); }
  /** Widening subtract: the top bit is the borrow (set when this < b). */
  subW(b: UInt<N> | Literal): UInt<Add<N, 1>> { return new UInt(binW('sub', this, b, 1)); }
  /** Full product. */
  mulW(b: UInt<N> | Literal): UInt<Add<N, N>> { return new UInt(binW('mul', this, b, this.width)); }
  and(b: UInt<N> | Literal): UInt<N> { return new UInt(bin('and', this, b)); }
  or(b: UInt<N> | Literal): UInt<N> { return new UInt(bin('or', this, b)); }
  xor(b: UInt<N> | Literal): UInt<N> { return new UInt(bin('xor', this, b)); }
  not(): UInt<N> { return new UInt(unary('not', this.expr, this.width)); }
  eq(b: UInt<N> | Literal): Bool { return new Bool(cmp('eq', this, b)); }
  ne(b: UInt<N> | Literal): Bool { return new Bool(cmp('ne', this, b)); }
  lt(b: UInt<N> | Literal): Bool { return new Bool(cmp('lt', this, b)); }
  le(b: UInt<N> | Literal): Bool { return new Bool(cmp('le', this, b)); }
  gt(b: UInt<N> | Literal): Bool { return new Bool(cmp('gt', this, b)); }
  ge(b: UInt<N> | Literal): Bool { return new Bool(cmp('ge', this, b)); }
  /** Shift left by a constant or by an unsigned amount; bits shifted out are lost. */
  shl(n: number | UInt<number>): UInt<N> { return new UInt(shift('shl', this, n)); }
  /** Logical shift right. */
  shr(n: number | UInt<number>): UInt<N> { return new UInt(shift('shr', this, n)); }
  /** Bits hi..lo inclusive. */
  bits<const H extends number, const L extends number>(hi: H, lo: L): UInt<SliceWidth<H, L>> {
    if (hi < lo) throw new ElaborationError(`bits(${hi}, ${lo}): hi must be >= lo`, here());
    return new UInt(slice(this.expr, lo, hi - lo + 1, here));
  }
  /** This value in the high bits, `low` in the low bits. */
  cat<M extends number>(low: UInt<M> | Bool): UInt<Add<N, M>> { return new UInt(concat([this.expr, low.expr])); }
  /** Zero-extends to `w` bits (w >= width). */
  zext<const M extends number>(w: M): UInt<M> { return new UInt(extend(this.expr, w, false)); }
  /** Keeps the low `w` bits (w <= width). */
  trunc<const M extends number>(w: M): UInt<M> { return new UInt(truncate(this.expr, w)); }
  /** Asserts the width is `w` (for computed widths); throws at elaboration otherwise. */
  as<const M extends number>(w: M): UInt<M> { checkAs(this.width, w); return this as unknown as UInt<M>; }
  /** A one-bit value as a condition. */
  asBool(): Bool { checkAs(this.width, 1); return new Bool(this.expr); }
}

/** A signed (two's complement) bit vector of width N. */
export class SInt<N extends number = number> extends Bits {
  declare readonly [WIDTH]: N;
  readonly signed = true;

  add(b: SInt<N> | Literal): SInt<N> { return new SInt(bin('add', this, b)); }
  sub(b: SInt<N> | Literal): SInt<N> { return new SInt(bin('sub', this, b)); }
  mul(b: SInt<N> | Literal): SInt<N> { return new SInt(bin('mul', this, b)); }
  addW(b: SInt<N> | Literal): SInt<Add<N, 1>> { return new SInt(binW('add', this, b, 1)); }
  subW(b: SInt<N> | Literal): SInt<Add<N, 1>> { return new SInt(binW('sub', this, b, 1)); }
  mulW(b: SInt<N> | Literal): SInt<Add<N, N>> { return new SInt(binW('mul', this, b, this.width)); }
  neg(): SInt<N> { return new SInt(unary('neg', this.expr, this.width)); }
  and(b: SInt<N> | Literal): SInt<N> { return new SInt(bin('and', this, b)); }
  or(b: SInt<N> | Literal): SInt<N> { return new SInt(bin('or', this, b)); }
  xor(b: SInt<N> | Literal): SInt<N> { return new SInt(bin('xor', this, b)); }
  not(): SInt<N> { return new SInt(unary('not', this.expr, this.width)); }
  eq(b: SInt<N> | Literal): Bool { return new Bool(cmp('eq', this, b)); }
  ne(b: SInt<N> | Literal): Bool { return new Bool(cmp('ne', this, b)); }
  lt(b: SInt<N> | Literal): Bool { return new Bool(cmp('lt', this, b)); }
  le(b: SInt<N> | Literal): Bool { return new Bool(cmp('le', this, b)); }
  gt(b: SInt<N> | Literal): Bool { return new Bool(cmp('gt', this, b)); }
  ge(b: SInt<N> | Literal): Bool { return new Bool(cmp('ge', this, b)); }
  shl(n: number | UInt<number>): SInt<N> { return new SInt(shift('shl', this, n)); }
  /** Arithmetic shift right (sign bits shift in). */
  shr(n: number | UInt<number>): SInt<N> { return new SInt(shift('sra', this, n)); }
  /** Sign-extends to `w` bits (w >= width). */
  sext<const M extends number>(w: M): SInt<M> { return new SInt(extend(this.expr, w, true)); }
  trunc<const M extends number>(w: M): SInt<M> { return new SInt(truncate(this.expr, w)); }
  as<const M extends number>(w: M): SInt<M> { checkAs(this.width, w); return this as unknown as SInt<M>; }
}

/** One bit used as a condition. */
export class Bool extends Bits {
  declare readonly [WIDTH]: 1;
  readonly signed = false;
  and(b: Bool | boolean): Bool { return new Bool(bin('and', this, b)); }
  or(b: Bool | boolean): Bool { return new Bool(bin('or', this, b)); }
  xor(b: Bool | boolean): Bool { return new Bool(bin('xor', this, b)); }
  not(): Bool { return new Bool(unary('not', this.expr, 1)); }
  eq(b: Bool | boolean): Bool { return new Bool(cmp('eq', this, b)); }
  ne(b: Bool | boolean): Bool { return new Bool(cmp('ne', this, b)); }
  /** As a one-bit unsigned number. */
  override asUInt(): UInt<1> { return new UInt(this.expr); }
}

// ---------------------------------------------------------------------------------------
// Constants

/** An unsigned constant; `lit(8, 200)`. Range-checked. */
export function lit<const N extends number>(width: N, value: Literal): UInt<N> {
  return new UInt(constExpr(value, width, false, 'lit', here));
}
/** A signed constant; `slit(8, -3)`. Range-checked. */
export function slit<const N extends number>(width: N, value: Literal): SInt<N> {
  return new SInt(constExpr(value, width, true, 'slit', here));
}
export const True: Bool = new Bool({ kind: 'const', width: 1, value: 1n });
export const False: Bool = new Bool({ kind: 'const', width: 1, value: 0n });

export function constExpr(value: Literal | boolean, width: number, signed: boolean, what: string, where: () => ReturnType<typeof here>): Expr {
  let v: bigint;
  if (typeof value === 'boolean') v = value ? 1n : 0n;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new ElaborationError(`${what}: ${value} is not an integer`, where());
    v = BigInt(value);
  } else v = value;
  const min = signed ? -(1n << BigInt(width - 1)) : 0n;
  const max = signed ? (1n << BigInt(width - 1)) - 1n : (1n << BigInt(width)) - 1n;
  if (v < min || v > max) {
    throw new ElaborationError(`${what}: literal ${v} does not fit in ${signed ? 'SInt' : 'UInt'}<${width}> (${min}..${max})`, where());
  }
  return { kind: 'const', width, value: BigInt.asUintN(width, v) };
}

// ---------------------------------------------------------------------------------------
// Expression building with the width rules

function operand(b: Bits | Literal | boolean, width: number, signed: boolean, op: string, loc: ReturnType<typeof here> | null): Expr {
  if (b instanceof Bits) {
    if (b.width !== width) {
      throw new ElaborationError(`width mismatch in ${op}: ${width} bits vs ${b.width} bits (use zext/sext/trunc to make them equal)`, loc ?? here());
    }
    if (b.signed !== signed && !(b instanceof Bool)) {
      throw new ElaborationError(`${op} mixes signed and unsigned operands (use asSInt/asUInt)`, loc ?? here());
    }
    return b.expr;
  }
  return constExpr(b, width, signed, op, () => loc ?? here());
}

function bin(op: BinaryOp, a: Bits, b: Bits | Literal | boolean): Expr {
  return { kind: 'binary', op, signed: a.signed, width: a.width, a: a.expr, b: operand(b, a.width, a.signed, op, null) };
}

function binW(op: BinaryOp, a: Bits, b: Bits | Literal, extra: number): Expr {
  const w = a.width + extra;
  const be = operand(b, a.width, a.signed, op + 'W', null);
  return { kind: 'binary', op, signed: a.signed, width: w, a: extend(a.expr, w, a.signed), b: extend(be, w, a.signed) };
}

function cmp(op: BinaryOp, a: Bits, b: Bits | Literal | boolean): Expr {
  return { kind: 'binary', op, signed: a.signed, width: 1, a: a.expr, b: operand(b, a.width, a.signed, op, null) };
}

function unary(op: UnaryOp, a: Expr, width: number): Expr { return { kind: 'unary', op, width, a }; }

function shift(op: 'shl' | 'shr' | 'sra', a: Bits, n: number | UInt<number>): Expr {
  if (typeof n === 'number') {
    if (!Number.isInteger(n) || n < 0) throw new ElaborationError(`${op}: shift amount ${n} must be a non-negative integer`, here());
    if (n === 0) return a.expr;
    if (n >= a.width) {
      if (op !== 'sra') return { kind: 'const', width: a.width, value: 0n };
      return extend(slice(a.expr, a.width - 1, 1, here), a.width, true);
    }
    // Constant shifts are wiring: emit them as slices and concatenations.
    if (op === 'shl') return concat([slice(a.expr, 0, a.width - n, here), { kind: 'const', width: n, value: 0n }]);
    const top = slice(a.expr, n, a.width - n, here);
    return extend(top, a.width, op === 'sra');
  }
  return { kind: 'binary', op, signed: a.signed, width: a.width, a: a.expr, b: n.expr };
}

export function slice(a: Expr, lo: number, width: number, where: () => ReturnType<typeof here>): Expr {
  if (!Number.isInteger(lo) || !Number.isInteger(width) || lo < 0 || width < 1 || lo + width > a.width) {
    throw new ElaborationError(`bit range [${lo + width - 1}:${lo}] is outside a ${a.width}-bit value`, where());
  }
  if (lo === 0 && width === a.width) return a;
  if (a.kind === 'const') return { kind: 'const', width, value: BigInt.asUintN(width, a.value >> BigInt(lo)) };
  if (a.kind === 'slice') return { kind: 'slice', width, a: a.a, lo: a.lo + lo };
  if (a.kind === 'concat') {
    // Bits of a concatenation are bits of its parts: take them from the parts directly, so
    // unpack(pack(x)) is x again rather than slices of a temporary.
    const picked: Expr[] = [];
    let partLo = a.width;
    for (const p of a.parts) {
      partLo -= p.width;
      const from = Math.max(lo, partLo), to = Math.min(lo + width, partLo + p.width);
      if (from < to) picked.push(slice(p, from - partLo, to - from, where));
    }
    return concat(picked);
  }
  return { kind: 'slice', width, a, lo };
}

export function concat(parts: readonly Expr[]): Expr {
  // Flatten nested concatenations and merge neighbouring slices of one value.
  const flat: Expr[] = [];
  for (const p of parts) {
    for (const q of p.kind === 'concat' ? p.parts : [p]) {
      const prev = flat[flat.length - 1];
      if (prev && prev.kind === 'slice' && q.kind === 'slice' && prev.a === q.a && q.lo + q.width === prev.lo) {
        flat[flat.length - 1] = slice(q.a, q.lo, prev.width + q.width, here);
      } else flat.push(q);
    }
  }
  if (flat.length === 1) return flat[0]!;
  let width = 0;
  for (const p of flat) width += p.width;
  return { kind: 'concat', width, parts: flat };
}

export function extend(a: Expr, width: number, signed: boolean): Expr {
  if (!Number.isInteger(width) || width < a.width) {
    throw new ElaborationError(`${signed ? 'sext' : 'zext'} to ${width} bits: narrower than the ${a.width}-bit value (use trunc)`, here());
  }
  if (width === a.width) return a;
  if (a.kind === 'const' && !signed) return { kind: 'const', width, value: a.value };
  return { kind: 'ext', width, signed, a };
}

function truncate(a: Expr, width: number): Expr {
  if (!Number.isInteger(width) || width > a.width || width < 1) {
    throw new ElaborationError(`trunc to ${width} bits: must be 1..${a.width} (use zext/sext to widen)`, here());
  }
  return slice(a, 0, width, here);
}

function checkAs(actual: number, wanted: number): void {
  if (actual !== wanted) throw new ElaborationError(`as(${wanted}): the value is ${actual} bits wide`, here());
}

function assignableSignal(e: Expr, loc: ReturnType<typeof here>): Signal {
  if (e.kind !== 'ref') throw new ElaborationError(`only a signal (port, wire or register) can be assigned, not an expression (${e.kind})`, loc);
  return e.signal;
}

/** Concatenation of any values, first argument most significant. */
export function cat(...parts: readonly Bits[]): UInt<number> {
  if (parts.length === 0) throw new ElaborationError('cat() needs at least one value', here());
  return new UInt(concat(parts.map((p) => p.expr)));
}

/** A value for a signal reference (used by the module builder). */
export function valueOf(sig: Signal, kind: 'uint' | 'sint' | 'bool'): Bits {
  const e: Expr = { kind: 'ref', width: sig.width, signal: sig };
  return kind === 'sint' ? new SInt(e) : kind === 'bool' ? new Bool(e) : new UInt(e);
}
