// hw/hdl/layout.ts — the shapes of hardware data: bit vectors, records, vectors, enums.
//
// A layout is plain data (no hardware is made by declaring one), so packet headers and
// descriptors can be declared once here and used by the hardware, the software codecs and
// the generated C headers alike. Records are packed with the first field in the most
// significant bits, which is network (big-endian) order when fields are whole bytes.

import { ElaborationError, here } from './loc.ts';

export interface UIntLayout<N extends number = number> { readonly kind: 'uint'; readonly width: N }
export interface SIntLayout<N extends number = number> { readonly kind: 'sint'; readonly width: N }
export interface BoolLayout { readonly kind: 'bool'; readonly width: 1 }
export interface EnumLayout<K extends string = string> {
  readonly kind: 'enum';
  readonly name: string;
  readonly width: number;
  readonly names: readonly K[];
  readonly values: Readonly<Record<K, bigint>>;
}
export interface RecordLayout<F extends Fields = Fields> { readonly kind: 'record'; readonly name: string | null; readonly fields: F; readonly width: number }
export interface VecLayout<E extends Layout = Layout, N extends number = number> { readonly kind: 'vec'; readonly element: E; readonly length: N; readonly width: number }

export type Layout = UIntLayout | SIntLayout | BoolLayout | EnumLayout | RecordLayout | VecLayout;
export type Fields = { readonly [name: string]: Layout };

/** Unsigned bit vector. `u(8)` has the type `UIntLayout<8>`. */
export function u<const N extends number>(width: N): UIntLayout<N> {
  checkWidth(width, 'u');
  return { kind: 'uint', width };
}
/** Signed (two's complement) bit vector. */
export function s<const N extends number>(width: N): SIntLayout<N> {
  checkWidth(width, 's');
  return { kind: 'sint', width };
}
/** A single bit used as a condition. */
export const bool: BoolLayout = { kind: 'bool', width: 1 };

/** A packed record; the first field is the most significant. */
export function record<const F extends Fields>(fields: F, name: string | null = null): RecordLayout<F> {
  let width = 0;
  for (const [key, f] of Object.entries(fields)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new ElaborationError(`record field name '${key}' is not a valid identifier`, here());
    }
    width += f.width;
  }
  return { kind: 'record', name, fields, width };
}

/** A fixed-length vector; element 0 is the least significant when packed. */
export function vec<E extends Layout, const N extends number>(element: E, length: N): VecLayout<E, N> {
  if (!Number.isInteger(length) || length < 1) {
    throw new ElaborationError(`vec length must be a positive integer, got ${length}`, here());
  }
  return { kind: 'vec', element, length, width: element.width * length };
}

/** An enumeration with named values 0, 1, 2, ... (or given values), for FSM states and opcodes. */
export function enumType<const K extends string>(name: string, names: readonly K[], values?: Readonly<Record<K, number>>): EnumLayout<K> {
  if (names.length === 0) throw new ElaborationError(`enum '${name}' needs at least one name`, here());
  const vals = {} as Record<K, bigint>;
  let max = 0n;
  names.forEach((n, i) => {
    const v = BigInt(values ? values[n] : i);
    if (v < 0n) throw new ElaborationError(`enum '${name}': value of '${n}' is negative`, here());
    vals[n] = v;
    if (v > max) max = v;
  });
  const seen = new Set<bigint>();
  for (const n of names) {
    if (seen.has(vals[n])) throw new ElaborationError(`enum '${name}': two names share the value ${vals[n]}`, here());
    seen.add(vals[n]);
  }
  return { kind: 'enum', name, width: Math.max(1, bitsFor(max)), names, values: vals };
}

/** Number of bits needed to hold the unsigned value `v` (0 for 0). */
export function bitsFor(v: bigint | number): number {
  let b = BigInt(v);
  let n = 0;
  while (b > 0n) { b >>= 1n; n++; }
  return n;
}

/** Address width for a table of `depth` entries (at least 1). */
export function clog2(depth: number): number {
  return Math.max(1, bitsFor(depth - 1));
}

function checkWidth(width: number, fn: string): void {
  if (!Number.isInteger(width) || width < 1) {
    throw new ElaborationError(`${fn}(${width}): a width must be a positive integer`, here());
  }
}

/** Leaves of a layout with their paths and bit offsets (LSB offset), most significant first. */
export function leaves(layout: Layout, path: string[] = [], lsb = 0, out: LayoutLeaf[] = []): LayoutLeaf[] {
  switch (layout.kind) {
    case 'record': {
      let off = lsb + layout.width;
      for (const [k, f] of Object.entries(layout.fields)) {
        off -= f.width;
        leaves(f, [...path, k], off, out);
      }
      return out;
    }
    case 'vec': {
      for (let i = layout.length - 1; i >= 0; i--) leaves(layout.element, [...path, String(i)], lsb + i * layout.element.width, out);
      return out;
    }
    default:
      out.push({ path, lsb, layout });
      return out;
  }
}

export interface LayoutLeaf { readonly path: readonly string[]; readonly lsb: number; readonly layout: Layout }

/** Byte offset and size of each whole-byte field of a record, in declaration order. */
export function byteFields(layout: RecordLayout): { name: string; offset: number; bytes: number; layout: Layout }[] {
  const out: { name: string; offset: number; bytes: number; layout: Layout }[] = [];
  let bit = 0;
  for (const [name, f] of Object.entries(layout.fields)) {
    if (bit % 8 !== 0 || f.width % 8 !== 0) {
      throw new ElaborationError(`record field '${name}' is not byte aligned (bit ${bit}, width ${f.width})`, here());
    }
    out.push({ name, offset: bit / 8, bytes: f.width / 8, layout: f });
    bit += f.width;
  }
  return out;
}
