import { expect, test } from 'vitest';
import { BeatCodec } from './beats.ts';

for (const bytes of [1, 4, 8, 64]) {
  test(`a ${bytes}-byte beat carries bytes lane by lane, lane 0 least significant`, () => {
    const codec = new BeatCodec(bytes);
    const src = Uint8Array.from({ length: 3 * bytes }, (_, i) => (i * 37 + 11) & 0xff);
    const v = codec.encode(src, bytes, bytes);
    // Lane j is data[8j+7:8j].
    for (let j = 0; j < bytes; j++) expect(Number((BigInt(v) >> BigInt(8 * j)) & 0xffn)).toBe(src[bytes + j]);
    const out = new Uint8Array(bytes);
    codec.decode(v, out, 0, bytes);
    expect([...out]).toEqual([...src.subarray(bytes, 2 * bytes)]);
    if (bytes > 1) {
      // A partial beat starting at a lane, the rest filled.
      const p = codec.encode(src, 0, bytes - 1, 1, 0xee);
      expect(Number(BigInt(p) & 0xffn)).toBe(0xee);
      const back = new Uint8Array(bytes - 1);
      codec.decode(p, back, 0, bytes - 1, 1);
      expect([...back]).toEqual([...src.subarray(0, bytes - 1)]);
    }
    expect(codec.keepCount(codec.keep(bytes))).toBe(bytes);
    expect(codec.keepCount(codec.keep(1))).toBe(1);
    expect(codec.keepCount(codec.keep(0))).toBe(0);
    if (bytes >= 4) expect(codec.keepCount(typeof codec.keep(2) === 'bigint' ? 0b101n : 0b101)).toBe(-1);
  });
}
