// hw/homa/wire/fields.ts — byte positions of header fields, derived from the DSL records.
//
// The codec never writes an offset by hand: it asks for `field(layout, 'path.to.field')`
// once at load time and gets the byte offset (and, for sub-byte fields such as IPv4's
// version, the bit position). Nested records and wire arrays are reached by dotted paths.

import { byteFields, leaves } from '../../hdl/layout.ts';
import type { RecordLayout } from '../../hdl/layout.ts';

export interface WireField {
  /** Byte offset of the field's most significant byte. */
  readonly byte: number;
  /** Width in bits. */
  readonly width: number;
  /** Bits between the field's least significant bit and the end of its last byte. */
  readonly shift: number;
}

const cache = new WeakMap<RecordLayout, Map<string, WireField>>();

/** Every leaf field of `layout` by dotted path, in wire order. */
export function wireFields(layout: RecordLayout): Map<string, WireField> {
  let map = cache.get(layout);
  if (map) return map;
  map = new Map();
  // byteFields rejects records whose top-level fields are not whole bytes; the IP headers
  // have sub-byte fields (version, ihl, flags), which are positioned through leaves below.
  const total = layout.width;
  for (const leaf of leaves(layout)) {
    const msbBit = total - leaf.lsb - leaf.layout.width;
    const byte = Math.floor(msbBit / 8);
    const endBit = msbBit + leaf.layout.width;
    const shift = (8 - (endBit % 8)) % 8;
    map.set(leaf.path.join('.'), { byte, width: leaf.layout.width, shift });
  }
  cache.set(layout, map);
  return map;
}

/** The field at `path`; throws at load time if the layout has no such field. */
export function field(layout: RecordLayout, path: string): WireField {
  const f = wireFields(layout).get(path);
  if (!f) throw new Error(`layout '${layout.name ?? '?'}' has no field '${path}'`);
  return f;
}

/** Byte offset of a whole-byte field (throws if the field is not byte aligned). */
export function byteOffset(layout: RecordLayout, path: string): number {
  const f = field(layout, path);
  if (f.shift !== 0 || f.width % 8 !== 0) {
    throw new Error(`field '${path}' of '${layout.name ?? '?'}' is not whole bytes`);
  }
  return f.byte;
}

/** Byte offset of a top-level field, through the DSL's own byteFields (whole-byte records). */
export function topOffset(layout: RecordLayout, name: string): number {
  const f = byteFields(layout).find((x) => x.name === name);
  if (!f) throw new Error(`layout '${layout.name ?? '?'}' has no field '${name}'`);
  return f.offset;
}

// Plain big-endian accessors used by the codec on the hot path.

export function rd8(b: Uint8Array, o: number): number { return b[o]!; }
export function rd16(b: Uint8Array, o: number): number { return (b[o]! << 8) | b[o + 1]!; }
export function rd24(b: Uint8Array, o: number): number { return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!; }
export function rd32(b: Uint8Array, o: number): number {
  return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}
export function rd64(b: Uint8Array, o: number): bigint {
  const hi = rd32(b, o);
  const lo = rd32(b, o + 4);
  if (hi < 0x200000) return BigInt(hi * 0x100000000 + lo);   // exact below 2^53: one BigInt, not four
  return (BigInt(hi) << 32n) | BigInt(lo);
}
export function wr8(b: Uint8Array, o: number, v: number): void { b[o] = v & 0xff; }
export function wr16(b: Uint8Array, o: number, v: number): void { b[o] = (v >>> 8) & 0xff; b[o + 1] = v & 0xff; }
export function wr24(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 16) & 0xff; b[o + 1] = (v >>> 8) & 0xff; b[o + 2] = v & 0xff;
}
export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff;
}
export function wr64(b: Uint8Array, o: number, v: bigint): void {
  const n = Number(v);                                         // exact below 2^53; rounds above
  if (n >= 0 && n < 0x20000000000000) {                         // below 2^53: plain number arithmetic
    wr32(b, o, Math.floor(n / 0x100000000));
    wr32(b, o + 4, n % 0x100000000);
    return;
  }
  wr32(b, o, Number((v >> 32n) & 0xffffffffn));
  wr32(b, o + 4, Number(v & 0xffffffffn));
}
/** Read a sub-byte or odd-width field (<= 32 bits) positioned by `f`. */
export function rdBits(b: Uint8Array, f: WireField): number {
  if (f.width + f.shift <= 8) return (b[f.byte]! >> f.shift) & ((1 << f.width) - 1);
  const nbytes = Math.ceil((f.width + f.shift) / 8);
  let v = 0;
  for (let i = 0; i < nbytes; i++) v = v * 256 + b[f.byte + i]!;
  return Math.floor(v / 2 ** f.shift) % 2 ** f.width;
}
/** Write a sub-byte or odd-width field (<= 32 bits), keeping the neighbouring bits. */
export function wrBits(b: Uint8Array, f: WireField, value: number): void {
  if (f.width + f.shift <= 8) {                      // within one byte: the common case (IPv4 version/ihl)
    const mask = ((1 << f.width) - 1) << f.shift;
    b[f.byte] = (b[f.byte]! & ~mask) | ((value << f.shift) & mask);
    return;
  }
  const nbytes = Math.ceil((f.width + f.shift) / 8);
  let v = 0;
  for (let i = 0; i < nbytes; i++) v = v * 256 + b[f.byte + i]!;
  const unit = 2 ** f.shift;
  const span = 2 ** f.width;
  const old = Math.floor(v / unit) % span;
  v += ((value % span) - old) * unit;
  for (let i = nbytes - 1; i >= 0; i--) { b[f.byte + i] = v % 256; v = Math.floor(v / 256); }
}
