// hw/homa/engine/mem_image.ts — an ABI record as the bytes host memory holds (the memory
// convention of hw/homa/abi/records.ts: fields in order, little-endian, 128-bit addresses in
// network order, vec element i at increasing addresses), as one value whose byte k (bits
// 8k+7..8k) is the record's byte k. Offsets come from the record, never from this file.

import { byteFields, cat, lit, type Bits, type RecordLayout, type UInt, type VecValue } from '../../hdl/index.ts';

export type ImageValues = Readonly<Record<string, Bits | VecValue>>;

export function memoryImage(layout: RecordLayout, values: ImageValues): UInt<number> {
  const bytes: Bits[] = Array.from({ length: layout.width / 8 }, () => lit(8, 0));
  for (const f of byteFields(layout)) {
    const v = values[f.name];
    if (v === undefined) continue;
    if (f.layout.kind === 'vec') {
      const eb = f.layout.element.width / 8;
      const items = (v as VecValue).items as readonly Bits[];
      items.forEach((x, i) => { for (let j = 0; j < eb; j++) bytes[f.offset + i * eb + j] = (x as UInt<number>).bits(8 * j + 7, 8 * j); });
    } else if (f.bytes === 16) {
      for (let j = 0; j < 16; j++) bytes[f.offset + j] = (v as UInt<number>).bits(127 - 8 * j, 120 - 8 * j);
    } else {
      const x = v as UInt<number>;
      if (x.width !== f.bytes * 8) throw new RangeError(`memoryImage: field '${f.name}' is ${f.bytes * 8} bits, the value ${x.width}`);
      for (let j = 0; j < f.bytes; j++) bytes[f.offset + j] = x.bits(8 * j + 7, 8 * j);
    }
  }
  return cat(...[...bytes].reverse());
}

/**
 * The fields of an ABI record read from `image`, the bytes host memory holds (byte k at bits
 * 8k+7..8k, as memoryImage builds them): scalars as UInts of their width, 128-bit addresses
 * first byte most significant. Vec fields are not read (no record read by the engine has one).
 */
export function imageFields(layout: RecordLayout, image: UInt<number>): Record<string, UInt<number>> {
  if (image.width !== layout.width) throw new RangeError(`imageFields: a ${layout.width}-bit record from a ${image.width}-bit image`);
  const out: Record<string, UInt<number>> = {};
  const byte = (k: number): UInt<number> => image.bits(8 * k + 7, 8 * k);
  for (const f of byteFields(layout)) {
    if (f.layout.kind === 'vec') continue;
    const idx = Array.from({ length: f.bytes }, (_, j) => f.offset + j);
    // Little-endian: the last byte is the most significant; addresses: the first is.
    out[f.name] = cat(...(f.bytes === 16 ? idx : idx.reverse()).map(byte));
  }
  return out;
}
