// hw/homa/abi/memory.ts — read and write ABI records in host memory (the convention in
// records.ts: declaration order, little-endian fields, 128-bit addresses as network-order
// bytes, vec element i at increasing addresses). Offsets come from the records themselves.

import { byteFields } from '../../hdl/layout.ts';
import type { RecordLayout } from '../../hdl/layout.ts';

export type MemValue = number | bigint | Uint8Array | number[];

/** Receive regions are split into bpages of 64 KiB (spec §4). */
export const BPAGE_SHIFT = 16;
export const BPAGE_SIZE = 1 << BPAGE_SHIFT;

/**
 * A received message's bytes, copied out of its bpages in `region`: every offset but the
 * last starts a whole bpage, the last holds the remainder (spec §4).
 */
export function gatherBpages(region: Uint8Array, bpageOffsets: readonly number[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  for (const off of bpageOffsets) {
    const n = Math.min(BPAGE_SIZE, length - done);
    out.set(region.subarray(off, off + n), done);
    done += n;
  }
  return out;
}
export type MemRecord = Record<string, MemValue>;

interface Slot { name: string; offset: number; bytes: number; kind: 'int' | 'wide' | 'bytes' | 'array'; elem: number; count: number }

const slotsCache = new WeakMap<RecordLayout, Slot[]>();
function slots(layout: RecordLayout): Slot[] {
  let s = slotsCache.get(layout);
  if (s) return s;
  s = byteFields(layout).map((f): Slot => {
    if (f.layout.kind === 'vec') {
      const elem = f.layout.element.width / 8;
      return { name: f.name, offset: f.offset, bytes: f.bytes, kind: 'array', elem, count: f.layout.length };
    }
    if (f.bytes === 16) return { name: f.name, offset: f.offset, bytes: 16, kind: 'bytes', elem: 1, count: 16 };
    if (f.bytes === 8) return { name: f.name, offset: f.offset, bytes: 8, kind: 'wide', elem: 8, count: 1 };
    return { name: f.name, offset: f.offset, bytes: f.bytes, kind: 'int', elem: f.bytes, count: 1 };
  });
  slotsCache.set(layout, s);
  return s;
}

function writeLE(dv: DataView, off: number, bytes: number, v: number): void {
  if (bytes === 1) dv.setUint8(off, v);
  else if (bytes === 2) dv.setUint16(off, v, true);
  else dv.setUint32(off, v >>> 0, true);
}
function readLE(dv: DataView, off: number, bytes: number): number {
  return bytes === 1 ? dv.getUint8(off) : bytes === 2 ? dv.getUint16(off, true) : dv.getUint32(off, true);
}

/** Write `value` (missing fields = 0) as `layout` at `off` of `buf`. */
export function writeRecord(layout: RecordLayout, buf: Uint8Array, off: number, value: Partial<MemRecord>): void {
  const dv = new DataView(buf.buffer, buf.byteOffset + off, layout.width / 8);
  for (const s of slots(layout)) {
    const v = value[s.name];
    switch (s.kind) {
      case 'int': writeLE(dv, s.offset, s.bytes, typeof v === 'number' ? v : 0); break;
      case 'wide': dv.setBigUint64(s.offset, typeof v === 'bigint' ? v : BigInt(typeof v === 'number' ? v : 0), true); break;
      case 'bytes': buf.fill(0, off + s.offset, off + s.offset + 16); if (v instanceof Uint8Array) buf.set(v.subarray(0, 16), off + s.offset); break;
      case 'array': for (let i = 0; i < s.count; i++) writeLE(dv, s.offset + i * s.elem, s.elem, Array.isArray(v) ? v[i] ?? 0 : 0); break;
    }
  }
}

/** Read `layout` at `off` of `buf`: numbers, bigints for 64-bit fields, bytes, arrays. */
export function readRecord(layout: RecordLayout, buf: Uint8Array, off: number): MemRecord {
  const dv = new DataView(buf.buffer, buf.byteOffset + off, layout.width / 8);
  const out: MemRecord = {};
  for (const s of slots(layout)) {
    switch (s.kind) {
      case 'int': out[s.name] = readLE(dv, s.offset, s.bytes); break;
      case 'wide': out[s.name] = dv.getBigUint64(s.offset, true); break;
      case 'bytes': out[s.name] = buf.slice(off + s.offset, off + s.offset + 16); break;
      case 'array': out[s.name] = Array.from({ length: s.count }, (_, i) => readLE(dv, s.offset + i * s.elem, s.elem)); break;
    }
  }
  return out;
}

/** IPv4 address as the 16-byte v4-mapped form the ABI stores (spec §1.1). */
export function v4Mapped(a: Uint8Array): Uint8Array {
  if (a.length === 16) return a;
  const out = new Uint8Array(16);
  out[10] = 0xff; out[11] = 0xff; out.set(a, 12);
  return out;
}
