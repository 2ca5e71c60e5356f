// hw/hdl/structs.ts — values of whole layouts: records, vectors, enums; and the operations
// that work on any layout (pack, unpack, eq, mux, assign, constants).

import type { Expr } from './ir.ts';
import type { BoolLayout, EnumLayout, Layout, RecordLayout, SIntLayout, UIntLayout, VecLayout, Fields } from './layout.ts';
import { leaves } from './layout.ts';
import { ElaborationError, here } from './loc.ts';
import { Bits, Bool, SInt, UInt, concat, constExpr, slice, type Literal } from './values.ts';

/** An enum-typed value: a UInt of the enum's width that knows its names. */
export class EnumValue<K extends string = string> extends UInt<number> {
  constructor(expr: Expr, readonly layout: EnumLayout<K>) { super(expr); }
  /** True when the value is the named constant. */
  is(name: K): Bool { return this.eq(this.layout.values[name]); }
  /** The named constant as a value. */
  static of<K extends string>(layout: EnumLayout<K>, name: K): EnumValue<K> {
    if (!(name in layout.values)) throw new ElaborationError(`'${name}' is not a member of enum '${layout.name}' (${layout.names.join(', ')})`, here());
    return new EnumValue({ kind: 'const', width: layout.width, value: layout.values[name] }, layout);
  }
  /** Drives this signal with the named constant (see Bits.set for where that is allowed). */
  setTo(name: K): void { this.set(EnumValue.of(this.layout, name) as this); }
}

export type RecordValue<F extends Fields> = { readonly [K in keyof F]: ValueOf<F[K]> };

/** A vector value: elements by constant index, or by a hardware index through a mux. */
export class VecValue<E extends Layout = Layout> {
  constructor(readonly layout: VecLayout<E>, readonly items: readonly ValueOf<E>[]) {}
  get length(): number { return this.items.length; }
  /** Element `i` (a constant index). */
  at(i: number): ValueOf<E> {
    const v = this.items[i];
    if (v === undefined) throw new ElaborationError(`index ${i} is outside a vector of ${this.items.length}`, here());
    return v;
  }
  /** Element selected by a hardware index (out-of-range indices read element 0). */
  get(index: UInt<number>): ValueOf<E> {
    let out = this.items[0] as unknown as AnyValue;
    for (let i = 1; i < this.items.length; i++) {
      if (index.width < 53 && i >= 2 ** index.width) break;
      out = mux(index.eq(i), this.items[i] as unknown as AnyValue, out);
    }
    return out as unknown as ValueOf<E>;
  }
}

export type ValueOf<L extends Layout> =
  L extends UIntLayout<infer N> ? UInt<N> :
  L extends SIntLayout<infer N> ? SInt<N> :
  L extends BoolLayout ? Bool :
  L extends EnumLayout<infer K> ? EnumValue<K> :
  L extends RecordLayout<infer F> ? RecordValue<F> :
  L extends VecLayout<infer E> ? VecValue<E> :
  never;

/** The layout of a value (records rebuilt field by field; enums and vectors carry theirs). */
export function layoutOf(v: AnyValue): Layout {
  if (v instanceof EnumValue) return v.layout;
  if (v instanceof VecValue) return v.layout;
  if (v instanceof Bool) return { kind: 'bool', width: 1 };
  if (v instanceof SInt) return { kind: 'sint', width: v.width };
  if (v instanceof Bits) return { kind: 'uint', width: v.width };
  const fields: Record<string, Layout> = {};
  let width = 0;
  for (const [k, f] of Object.entries(v)) { if (typeof f !== 'function') { fields[k] = layoutOf(f); width += fields[k].width; } }
  return { kind: 'record', name: null, fields, width };
}

/** Any value of some layout. */
export type AnyValue = Bits | VecValue | { readonly [k: string]: AnyValue };

/** Builds a value of `layout` whose leaves come from `leaf(path, leafLayout)`. */
export function build<L extends Layout>(layout: L, leaf: (path: readonly string[], l: Layout) => Expr, path: readonly string[] = []): ValueOf<L> {
  return buildAny(layout, leaf, path) as ValueOf<L>;
}

function buildAny(layout: Layout, leaf: (path: readonly string[], l: Layout) => Expr, path: readonly string[]): unknown {
  switch (layout.kind) {
    case 'uint': return new UInt(leaf(path, layout));
    case 'sint': return new SInt(leaf(path, layout));
    case 'bool': return new Bool(leaf(path, layout));
    case 'enum': return new EnumValue(leaf(path, layout), layout);
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const [k, f] of Object.entries(layout.fields)) out[k] = buildAny(f, leaf, [...path, k]);
      return Object.freeze(out);
    }
    case 'vec': {
      const items: unknown[] = [];
      for (let i = 0; i < layout.length; i++) items.push(buildAny(layout.element, leaf, [...path, String(i)]));
      return new VecValue(layout, items as never);
    }
  }
}

/** Leaf values of a value, most significant first (record order; vectors high index first). */
export function leafValues(v: AnyValue): Bits[] {
  if (v instanceof Bits) return [v];
  if (v instanceof VecValue) return [...v.items].reverse().flatMap((x) => leafValues(x as AnyValue));
  // Objects are records or interfaces; functions (a stream's fire()) are not data.
  return Object.values(v).flatMap((x) => (typeof x === 'function' ? [] : leafValues(x)));
}

/** All the bits of a value as one UInt (first record field most significant). */
export function pack(v: AnyValue): UInt<number> {
  return new UInt(concat(leafValues(v).map((b) => b.expr)));
}

/** Reads a value of `layout` out of a bit vector of the same width. */
export function unpack<L extends Layout>(layout: L, bits: Bits): ValueOf<L> {
  if (bits.width !== layout.width) {
    throw new ElaborationError(`unpack: the layout is ${layout.width} bits, the value ${bits.width}`, here());
  }
  // Each leaf's bit position as pack() lays it out (records: first field on top; vectors:
  // element 0 at the bottom). build() visits vector elements 0 first, so positions come from
  // leaves() rather than from the visiting order.
  const lsb = new Map(leaves(layout).map((x) => [x.path.join('.'), x.lsb]));
  return build(layout, (p, l) => slice(bits.expr, lsb.get(p.join('.'))!, l.width, here));
}

/** Equality of two values of the same layout (records compare every field). */
export function eq(a: AnyValue, b: AnyValue): Bool {
  const la = leafValues(a), lb = leafValues(b);
  if (la.length !== lb.length) throw new ElaborationError('eq: the two values have different layouts', here());
  let out: Bool | null = null;
  for (let i = 0; i < la.length; i++) {
    const x = la[i]!, y = lb[i]!;
    if (x.width !== y.width) throw new ElaborationError(`eq: field ${i} is ${x.width} bits on one side and ${y.width} on the other`, here());
    const e = new Bool({ kind: 'binary', op: 'eq', signed: false, width: 1, a: x.expr, b: y.expr });
    out = out ? out.and(e) : e;
  }
  return out!;
}

/** `sel ? a : b` for values of any layout. */
export function mux<T extends AnyValue>(sel: Bool, a: T, b: T): T {
  if (a instanceof Bits && b instanceof Bits) {
    if (a.width !== b.width) throw new ElaborationError(`mux: ${a.width} bits vs ${b.width} bits`, here());
    const e: Expr = { kind: 'mux', width: a.width, sel: sel.expr, then: a.expr, else: b.expr };
    return rewrap(a, e) as T;
  }
  if (a instanceof VecValue && b instanceof VecValue) {
    return new VecValue(a.layout, a.items.map((x, i) => mux(sel, x as unknown as AnyValue, b.items[i] as unknown as AnyValue)) as never) as unknown as T;
  }
  const out: Record<string, AnyValue> = {};
  for (const k of Object.keys(a)) {
    const bk = (b as Record<string, AnyValue>)[k];
    if (bk === undefined) throw new ElaborationError(`mux: field '${k}' is missing on one side`, here());
    out[k] = mux(sel, (a as Record<string, AnyValue>)[k]!, bk);
  }
  return Object.freeze(out) as T;
}

function rewrap(like: Bits, e: Expr): Bits {
  if (like instanceof EnumValue) return new EnumValue(e, like.layout);
  if (like instanceof Bool) return new Bool(e);
  if (like instanceof SInt) return new SInt(e);
  return new UInt(e);
}

/**
 * Drives every leaf of `target` from the matching leaf of `value`: record fields by name (so a
 * value written as an object literal in any key order lands right), vector elements by index.
 */
export function assign(target: AnyValue, value: AnyValue): void {
  if (target instanceof Bits) {
    if (!(value instanceof Bits)) throw new ElaborationError('assign: a bit vector cannot take a record or vector', here());
    (target.set as (v: Bits) => void)(value);
    return;
  }
  if (target instanceof VecValue) {
    if (!(value instanceof VecValue) || value.length !== target.length) throw new ElaborationError(`assign: a vector of ${target.length} needs a vector of ${target.length}`, here());
    target.items.forEach((x, i) => assign(x as unknown as AnyValue, value.items[i] as unknown as AnyValue));
    return;
  }
  if (value instanceof Bits || value instanceof VecValue) throw new ElaborationError('assign: a record needs a record', here());
  const t = target as Record<string, AnyValue | (() => unknown)>;
  const v = value as Record<string, AnyValue>;
  for (const k of Object.keys(t)) {
    if (typeof t[k] === 'function') continue;                 // a stream's fire()
    if (v[k] === undefined) throw new ElaborationError(`assign: field '${k}' is missing from the value`, here());
    assign(t[k] as AnyValue, v[k]!);
  }
  for (const k of Object.keys(v)) if (t[k] === undefined && typeof v[k] !== 'function') throw new ElaborationError(`assign: the target has no field '${k}'`, here());
}

/** All the bits of `value` laid out as `layout` (record fields taken by name, in the layout's order). */
export function packAs(layout: Layout, value: AnyValue): UInt<number> {
  if (layout.kind === 'record') {
    if (value instanceof Bits || value instanceof VecValue) throw new ElaborationError('packAs: a record layout needs a record value', here());
    const v = value as Record<string, AnyValue>;
    return new UInt(concat(Object.entries(layout.fields).map(([k, f]) => {
      if (v[k] === undefined) throw new ElaborationError(`packAs: field '${k}' is missing from the value`, here());
      return packAs(f, v[k]!).expr;
    })));
  }
  if (layout.kind === 'vec') {
    if (!(value instanceof VecValue) || value.length !== layout.length) throw new ElaborationError(`packAs: a vector of ${layout.length} needs a vector value of that length`, here());
    return new UInt(concat([...value.items].reverse().map((x) => packAs(layout.element, x as unknown as AnyValue).expr)));
  }
  if (!(value instanceof Bits) || value.width !== layout.width) throw new ElaborationError(`packAs: a ${layout.width}-bit field needs a ${layout.width}-bit value`, here());
  return new UInt(value.expr);
}

/** A constant of any layout from a JS value (numbers/bigints for leaves, objects for records, arrays for vectors, names for enums). */
export function constant<L extends Layout>(layout: L, value: unknown): ValueOf<L> {
  return build(layout, (path, l) => {
    let v: unknown = value;
    for (const p of path) v = (v as Record<string, unknown>)?.[p];
    if (l.kind === 'enum' && typeof v === 'string') {
      if (!(v in l.values)) throw new ElaborationError(`'${v}' is not a member of enum '${l.name}'`, here());
      v = l.values[v];
    }
    if (typeof v === 'boolean') v = v ? 1 : 0;
    if (typeof v !== 'number' && typeof v !== 'bigint') {
      throw new ElaborationError(`constant: no value given for '${path.join('.') || 'value'}'`, here());
    }
    return constExpr(v, l.width, l.kind === 'sint', 'constant', here);
  });
}
