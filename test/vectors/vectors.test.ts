// test/vectors/vectors.test.ts — every committed wire vector decodes to its .json, re-encodes
// from the .json to the same bytes, and the set covers every packet type on IPv4 and IPv6.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { HomaType, decodeIp, encodeIp, packetFromJson, packetToJson } from '../../hw/homa/wire/index.ts';
import { goldenVectors } from '../../hw/homa/wire/vectors.ts';

const dir = fileURLToPath(new URL('./', import.meta.url));
const names = readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4)).sort();

describe('golden wire vectors', () => {
  test('there is a vector for every packet type on IPv4 and on IPv6', () => {
    for (const version of [4, 6]) {
      const seen = new Set<number>();
      for (const n of names) {
        const d = decodeIp(new Uint8Array(readFileSync(`${dir}${n}.bin`)));
        if (d.ok && d.ip.version === version) seen.add(d.packet.type);
      }
      expect([...seen].sort()).toEqual(Object.values(HomaType).sort());
    }
  });
  for (const n of names) {
    test(`${n}: decode matches .json, re-encode matches .bin`, () => {
      const bin = new Uint8Array(readFileSync(`${dir}${n}.bin`));
      const json = readFileSync(`${dir}${n}.json`, 'utf8');
      const d = decodeIp(bin);
      if (!d.ok) throw new Error(`${n}: ${d.kind}: ${d.detail}`);
      expect(d.checksumOk).toBe(true);
      expect(packetToJson(d.ip, d.packet)).toBe(json);
      const parsed = packetFromJson(json);
      expect(Buffer.from(encodeIp(parsed.ip, parsed.packet)).toString('hex')).toBe(Buffer.from(bin).toString('hex'));
    });
  }
  test('the committed files are what scripts/gen-vectors.ts writes today', () => {
    expect(goldenVectors().map((v) => v.name).sort()).toEqual(names);
    for (const v of goldenVectors()) {
      const bin = readFileSync(`${dir}${v.name}.bin`);
      expect(Buffer.from(encodeIp(v.ip, v.packet)).equals(bin), v.name).toBe(true);
    }
  });
});
