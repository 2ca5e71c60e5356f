// hw/homa/abi/memory.ts — read and write ABI records in host memory (the convention in
// records.ts: declaration order, little-endian fields, 128-bit addresses as network-order
// bytes, vec element i at increasing addresses). Offsets come from the records themselves.

import { byteFields } from '../../hdl/layout.ts';
import type { Layout, RecordLayout, VecLayout } from '../../hdl/layout.ts';

export type MemValue = number | bigint | Uint8Array | number[];

/** How one field of a host-memory record reads in JS: vecs as arrays, 64-bit as bigint, 128-bit as bytes. */
export type JsField<L extends Layout> = L extends VecLayout ? number[] : L extends { readonly width: 128 } ? Uint8Array : L extends { readonly width: 64 } ? bigint : number;

/**
 * A host-memory record as JS sees it (readRecord's result, writeRecord's argument), derived
 * from its layout: every copy of an ABI record in the host software is this type or built from
 * its fields, so a field changed in records.ts changes them all.
 */
export type JsOf<L extends RecordLayout> = L extends RecordLayout<infer F> ? { -readonly [K in keyof F]: JsField<F[K]> } : never;

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

/**
 * A record's reader and writer, generated once per layout as straight-line code: the rings of
 * every queue pair read and write records per message, so there is no per-call dispatch on
 * field kinds and no per-call DataView. The generated code names only the layout's own field
 * names and offsets.
 */
interface Codec {
  read(dv: DataView, buf: Uint8Array, at: number): MemRecord;
  write(dv: DataView, buf: Uint8Array, at: number, value: Partial<MemRecord>, set16: typeof setBytes16): void;
}

function setBytes16(buf: Uint8Array, at: number, v: MemValue | undefined): void {
  const b = v instanceof Uint8Array ? v : null;
  const n = b ? Math.min(b.length, 16) : 0;
  for (let i = 0; i < n; i++) buf[at + i] = b![i]!;                 // (a loop beats set() at 16 bytes)
  for (let i = n; i < 16; i++) buf[at + i] = 0;
}

function intRead(bytes: number, at: string): string {
  return bytes === 1 ? `buf[${at}]` : bytes === 2 ? `dv.getUint16(${at}, true)` : `dv.getUint32(${at}, true)`;
}
function intWrite(bytes: number, at: string, v: string): string {
  const n = `(typeof ${v} === 'number' ? ${v} : 0)`;
  return bytes === 1 ? `buf[${at}] = ${n};` : bytes === 2 ? `dv.setUint16(${at}, ${n}, true);` : `dv.setUint32(${at}, ${n} >>> 0, true);`;
}

function makeCodec(layout: RecordLayout): Codec {
  const reads: string[] = [];
  const writes: string[] = [];
  byteFields(layout).forEach((f, k) => {
    const key = JSON.stringify(f.name);
    const at = `at + ${f.offset}`;
    const v = `v${k}`;
    writes.push(`const ${v} = value[${key}];`);
    if (f.layout.kind === 'vec') {
      const step = f.layout.element.width / 8;
      const n = f.layout.length;
      reads.push(`{ const a = new Array(${n}); for (let i = 0; i < ${n}; i++) a[i] = ${intRead(step, `${at} + i * ${step}`)}; out[${key}] = a; }`);
      writes.push(`{ const a = Array.isArray(${v}) ? ${v} : null; for (let i = 0; i < ${n}; i++) { const e = a ? a[i] : 0; ${intWrite(step, `${at} + i * ${step}`, 'e')} } }`);
    } else if (f.bytes === 16) {
      reads.push(`out[${key}] = buf.slice(${at}, ${at} + 16);`);
      writes.push(`set16(buf, ${at}, ${v});`);
    } else if (f.bytes === 8) {
      reads.push(`out[${key}] = dv.getBigUint64(${at}, true);`);
      writes.push(`dv.setBigUint64(${at}, typeof ${v} === 'bigint' ? ${v} : BigInt(typeof ${v} === 'number' ? ${v} : 0), true);`);
    } else {
      reads.push(`out[${key}] = ${intRead(f.bytes, at)};`);
      writes.push(intWrite(f.bytes, at, v));
    }
  });
  return {
    read: new Function('dv', 'buf', 'at', `const out = {};\n${reads.join('\n')}\nreturn out;`) as Codec['read'],
    write: new Function('dv', 'buf', 'at', 'value', 'set16', writes.join('\n')) as Codec['write'],
  };
}

const codecs = new WeakMap<RecordLayout, Codec>();
function codec(layout: RecordLayout): Codec {
  let c = codecs.get(layout);
  if (!c) { c = makeCodec(layout); codecs.set(layout, c); }
  return c;
}

/** One DataView per buffer, made on first use (rings are written thousands of times). */
const views = new WeakMap<Uint8Array, DataView>();
function viewOf(buf: Uint8Array): DataView {
  let dv = views.get(buf);
  if (!dv) { dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); views.set(buf, dv); }
  return dv;
}

function checkFits(layout: RecordLayout, buf: Uint8Array, off: number): void {
  if (off < 0 || off + layout.width / 8 > buf.length) throw new RangeError(`record of ${layout.width / 8} bytes at offset ${off} is outside a ${buf.length}-byte buffer`);
}

/** Write `value` (missing fields = 0) as `layout` at `off` of `buf`. */
export function writeRecord<L extends RecordLayout>(layout: L, buf: Uint8Array, off: number, value: Partial<JsOf<L>>): void {
  checkFits(layout, buf, off);
  codec(layout).write(viewOf(buf), buf, off, value as Partial<MemRecord>, setBytes16);
}

/** Read `layout` at `off` of `buf`: numbers, bigints for 64-bit fields, bytes, arrays. */
export function readRecord<L extends RecordLayout>(layout: L, buf: Uint8Array, off: number): JsOf<L> {
  checkFits(layout, buf, off);
  return codec(layout).read(viewOf(buf), buf, off) as JsOf<L>;
}

/** IPv4 address as the 16-byte v4-mapped form the ABI stores (spec §1.1). */
export function v4Mapped(a: Uint8Array): Uint8Array {
  if (a.length === 16) return a;
  const out = new Uint8Array(16);
  out[10] = 0xff; out[11] = 0xff; out.set(a, 12);
  return out;
}
