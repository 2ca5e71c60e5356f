// hw/homa/wire/icmp.test.ts — ICMP destination unreachable frames: what Linux's icmp_send and
// icmp6_send build about a Homa packet, and what the Homa error handler reads back.
import { describe, expect, test } from 'vitest';
import { dataPacket, encodeFrame, ETH_HLEN, IPPROTO_HOMA } from './index.ts';
import { decodeIcmpUnreachable, encodeIcmpUnreachable } from './icmp.ts';

const V4A = Uint8Array.of(10, 0, 0, 1);
const V4B = Uint8Array.of(10, 0, 0, 2);
const V6A = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i === 15 ? 1 : 0));
const V6B = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i === 15 ? 2 : 0));

function homaFrame(saddr: Uint8Array, daddr: Uint8Array, payload: number): Uint8Array {
  const pkt = dataPacket(32768, 4321, 2n, { message_length: payload, incoming: payload, offset: 0, payload: new Uint8Array(payload).fill(9) });
  return encodeFrame(2, 3, { version: saddr.length === 4 ? 4 : 6, priority: 6, flow: 0, ttl: 64, protocol: IPPROTO_HOMA, saddr, daddr }, pkt);
}

describe('ICMP destination unreachable', () => {
  for (const [name, a, b, max] of [['IPv4', V4A, V4B, 576], ['IPv6', V6A, V6B, 1280]] as const) {
    test(`${name}: port unreachable about a Homa packet names its destination, protocol and ports`, () => {
      const offending = homaFrame(a, b, 1400).subarray(ETH_HLEN);
      const f = encodeIcmpUnreachable({ dstMac: 2, srcMac: 3, saddr: b, offending, why: 'port' });
      expect(f.length - ETH_HLEN).toBeLessThanOrEqual(max);               // RFC 1812 / RFC 4443 size bounds
      const u = decodeIcmpUnreachable(f);
      expect(u).toEqual({ why: 'port', from: b, daddr: b, protocol: IPPROTO_HOMA, sport: 32768, dport: 4321 });
      const bad = f.slice();
      bad[f.length - 1] ^= 1;                                              // checksum covers the quoted bytes
      expect(decodeIcmpUnreachable(bad)).toBeNull();
    });
  }

  test('host unreachable decodes as such; a Homa frame is not ICMP', () => {
    const offending = homaFrame(V4A, V4B, 100).subarray(ETH_HLEN);
    expect(decodeIcmpUnreachable(encodeIcmpUnreachable({ dstMac: 2, srcMac: 3, saddr: V4B, offending, why: 'host' }))?.why).toBe('host');
    expect(decodeIcmpUnreachable(homaFrame(V4A, V4B, 100))).toBeNull();
  });
});
