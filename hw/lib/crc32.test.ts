import { expect, test } from 'vitest';
import { crc32, crc32Update } from './crc32.ts';
import { ethernetCrc32, packetBeats } from './models.ts';
import { bench, engines, Rng } from './testing.ts';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

test('CRC-32 references give the known answer for "123456789"', () => {
  expect(ethernetCrc32(ascii('123456789'))).toBe(0xcbf43926);
  expect((crc32Update(0xffffffff, ascii('123456789')) ^ 0xffffffff) >>> 0).toBe(0xcbf43926);
});

// "123456789" first, then every length 0..140 (every tail size at 8 and 64 bytes, twice),
// then random lengths up to 1600; random valid and back-pressure.
for (const engine of engines) {
  for (const bytes of [8, 64]) {
    test(`CRC-32 at ${bytes} bytes per cycle: known answer and random packets (${engine})`, async () => {
      const { sim, tb } = await bench(crc32({ bytes }), engine);
      const rng = new Rng(100 + bytes);
      const packets = [ascii('123456789')];
      for (let len = 0; len <= 140; len++) packets.push(Uint8Array.from({ length: len }, () => rng.int(256)));
      for (let i = 0; i < 60; i++) packets.push(Uint8Array.from({ length: rng.int(1600) }, () => rng.int(256)));
      tb.driver('in', { validProbability: 0.8, seed: 1 }).push(...packets.flatMap((p) => packetBeats(p, bytes)));
      const out = tb.monitor('crc', { readyProbability: 0.5, seed: 2 });
      await tb.until(() => out.received.length === packets.length, { timeout: 200_000 });
      expect(out.received[0]).toBe(0xcbf43926);
      expect(out.received).toEqual(packets.map(ethernetCrc32));
      sim.dispose();
    });
  }
}
