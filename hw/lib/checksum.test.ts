import { expect, test } from 'vitest';
import { internetChecksum } from './checksum.ts';
import { packetBeats, rfc1071 } from './models.ts';
import { bench, engines, feed, Rng } from './testing.ts';

test('the RFC 1071 reference gives the RFC\'s own example', () => {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (ones' complement).
  expect(rfc1071(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]))).toBe(~0xddf2 & 0xffff);
  expect(rfc1071(new Uint8Array(0))).toBe(0xffff);
  expect(rfc1071(Uint8Array.from([0xff, 0xff]))).toBe(0);
  expect(rfc1071(Uint8Array.from([0x12]))).toBe(~0x1200 & 0xffff);
});

// Every packet length 0..2000 (a zero-length packet is one beat with no keep bits), random
// bytes, random valid and back-pressure; each checksum equals the RFC 1071 reference.
for (const engine of engines) {
  for (const bytes of [8, 64]) {
    test(`Internet checksum at ${bytes} bytes per cycle matches RFC 1071 for every length 0..2000 (${engine})`, async () => {
      const { sim, tb } = await bench(internetChecksum({ bytes }), engine);
      const rng = new Rng(bytes);
      const packets = Array.from({ length: 2001 }, (_, len) => {
        // Some packets sum to carries on every word (all 0xff), the case end-around carry is for.
        const fill = rng.chance(0.05) ? () => 0xff : () => rng.int(256);
        return Uint8Array.from({ length: len }, fill);
      });
      feed(sim, tb.driver('in', { validProbability: 0.9, seed: 1 }), packets.flatMap((p) => packetBeats(p, bytes)));
      const out = tb.monitor('sum', { readyProbability: 0.5, seed: 2 });
      await tb.until(() => out.received.length === packets.length, { timeout: 1_000_000 });
      expect(out.received).toEqual(packets.map(rfc1071));
      sim.dispose();
    });
  }
}
