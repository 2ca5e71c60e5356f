// hw/homa/wire/codec.test.ts — layouts match spec §1.2-§1.4, the codec round-trips every
// packet type on IPv4 and IPv6, and bad bytes give typed errors instead of exceptions.
import { describe, expect, test } from 'vitest';
import { ackHeader, commonHeader, cutoffsHeader, dataHeader, grantHeader, resendHeader, byteSize } from './layouts.ts';
import { byteOffset } from './fields.ts';
import { decodeFrame, decodeIp, encodeFrame, encodeIp, readMac } from './codec.ts';
import { ackPacket, bareControl, cutoffsPacket, dataPacket, grantPacket, resendPacket } from './build.ts';
import { sum16, fold } from './checksum.ts';
import { HOMA_FLAGS, HOMA_URGENT, HomaType } from './types.ts';
import type { HomaPacket, IpFields } from './types.ts';
import { seededRng } from '../../hdl/sim/rng.ts';

const rng = seededRng;

const v4: IpFields = { version: 4, priority: 7, flow: 0, ttl: 64, protocol: 146,
  saddr: new Uint8Array([10, 0, 0, 1]), daddr: new Uint8Array([10, 0, 0, 2]) };
const v6: IpFields = { version: 6, priority: 3, flow: 0x12345, ttl: 64, protocol: 146,
  saddr: new Uint8Array(16).map((_, i) => i), daddr: new Uint8Array(16).map((_, i) => 0xf0 | i) };

describe('layouts match spec §1.2-§1.4', () => {
  test('header sizes (§1.3 header_lengths)', () => {
    expect(byteSize(commonHeader)).toBe(28);
    expect(byteSize(dataHeader)).toBe(56);
    expect(byteSize(grantHeader)).toBe(33);
    expect(byteSize(resendHeader)).toBe(37);
    expect(byteSize(cutoffsHeader)).toBe(62);
    expect(byteSize(ackHeader)).toBe(80);
  });
  test('field offsets (§1.2 common header, §1.4 DATA, §1.3 bodies)', () => {
    const common: [string, number][] = [['sport', 0], ['dport', 2], ['sequence', 4], ['ack', 8], ['type', 11],
      ['doff', 12], ['flags', 13], ['window', 14], ['checksum', 16], ['urgent', 18], ['sender_id', 20]];
    for (const [f, o] of common) expect(byteOffset(commonHeader, f), f).toBe(o);
    const data: [string, number][] = [['message_length', 28], ['incoming', 32], ['ack.client_id', 36],
      ['ack.server_port', 44], ['cutoff_version', 46], ['retransmit', 48], ['pad', 49], ['seg.offset', 52]];
    for (const [f, o] of data) expect(byteOffset(dataHeader, f), f).toBe(o);
    expect(byteOffset(grantHeader, 'priority')).toBe(32);
    expect(byteOffset(resendHeader, 'priority')).toBe(36);
    expect(byteOffset(cutoffsHeader, 'unsched_cutoffs.e7')).toBe(56);
    expect(byteOffset(cutoffsHeader, 'cutoff_version')).toBe(60);
    expect(byteOffset(ackHeader, 'acks.e1.client_id')).toBe(40);
    expect(byteOffset(ackHeader, 'acks.e4.server_port')).toBe(78);
  });
});

function randomPacket(r: () => number): HomaPacket {
  const id = BigInt(Math.floor(r() * 2 ** 32)) << 31n | BigInt(Math.floor(r() * 2 ** 31));
  const sport = Math.floor(r() * 65536); const dport = Math.floor(r() * 65536);
  const pick = Math.floor(r() * 8);
  switch (pick) {
    case 0: {
      const len = 1 + Math.floor(r() * 1_000_000);
      const n = Math.min(len, Math.floor(r() * 1500));
      const offset = Math.floor(r() * (len - n + 1));
      const payload = new Uint8Array(n).map(() => Math.floor(r() * 256));
      return dataPacket(sport, dport, id, { message_length: len, incoming: Math.floor(r() * len), offset, payload,
        ack: { client_id: id ^ 1n, server_port: 7 }, cutoff_version: Math.floor(r() * 65536), retransmit: pick & 1 });
    }
    case 1: return grantPacket(sport, dport, id, Math.floor(r() * 2 ** 32), Math.floor(r() * 8));
    case 2: return resendPacket(sport, dport, id, Math.floor(r() * 2 ** 32), Math.floor(r() * 2 ** 32), Math.floor(r() * 8));
    case 3: return cutoffsPacket(sport, dport, id, Array.from({ length: 8 }, () => Math.floor(r() * 2 ** 32)), Math.floor(r() * 65536));
    case 4: return ackPacket(sport, dport, id, Array.from({ length: Math.floor(r() * 6) }, (_, i) => ({ client_id: id + BigInt(2 * i), server_port: i })));
    case 5: return bareControl(HomaType.BUSY, sport, dport, id);
    case 6: return bareControl(HomaType.NEED_ACK, sport, dport, id);
    default: return bareControl(HomaType.RPC_UNKNOWN, sport, dport, id);
  }
}

describe('round trip (property, seeded)', () => {
  test('decode(encode(p)) = p and encode(decode(b)) = b for 3000 random packets', () => {
    const r = rng(42);
    for (let i = 0; i < 3000; i++) {
      const p = randomPacket(r);
      const ip = i % 2 ? v4 : v6;
      const bytes = encodeIp(ip, p);
      const d = decodeIp(bytes);
      if (!d.ok) throw new Error(`${d.kind}: ${d.detail}`);
      expect(d.checksumOk).toBe(true);
      expect({ ...d.packet, checksum: 0 }).toEqual({ ...p, checksum: 0 });
      expect(d.ip.priority).toBe(ip.priority);
      expect(Array.from(d.ip.saddr)).toEqual(Array.from(ip.saddr));
      expect(encodeIp(d.ip, d.packet)).toEqual(bytes);
      const frame = encodeFrame(0x020000000002, 0x020000000001, ip, p);
      const f = decodeFrame(frame);
      expect(f.ok && f.packet.sender_id).toBe(p.sender_id);
    }
  });
});

describe('markers, priorities and checksums', () => {
  test('markers (§1.6) and doff (§1.2) on every packet', () => {
    const b = encodeIp(v4, grantPacket(1, 2, 4n, 100, 3));
    expect(b[20 + 13]).toBe(HOMA_FLAGS);
    expect((b[20 + 18]! << 8) | b[20 + 19]!).toBe(HOMA_URGENT);
    expect(b[20 + 12]).toBe(5 << 4);
    const dt = encodeIp(v4, dataPacket(1, 2, 4n, { message_length: 10, incoming: 10, offset: 0, payload: new Uint8Array(10) }));
    expect(dt[20 + 12]).toBe(14 << 4);
  });
  test('priority in the top 3 bits of TOS / traffic class (§1.5)', () => {
    for (let p = 0; p < 8; p++) {
      expect(encodeIp({ ...v4, priority: p }, bareControl(HomaType.BUSY, 1, 2, 2n))[1]).toBe(p << 5);
      const b6 = encodeIp({ ...v6, priority: p }, bareControl(HomaType.BUSY, 1, 2, 2n));
      expect(((b6[0]! & 0xf) << 4) | (b6[1]! >> 4)).toBe(p << 5);
    }
  });
  test('IPv4 header checksum matches a worked example', () => {
    // RFC 1071-style example header (Wikipedia "IPv4 header checksum"): checksum 0xb861.
    const h = Uint8Array.from(Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex'));
    const s = fold(sum16(h, 0, 20));
    expect((~s) & 0xffff).toBe(0xb861);
  });
  test('TCP-style checksum (§1.7): pseudo-header (protocol 6) + segment sums to 0xffff', () => {
    for (const ip of [v4, v6]) {
      const b = encodeIp(ip, dataPacket(9, 10, 6n, { message_length: 99, incoming: 99, offset: 0, payload: new Uint8Array(99).fill(0xab) }));
      const hl = ip.version === 4 ? 20 : 40;
      const len = b.length - hl;
      let s = sum16(ip.saddr, 0, ip.saddr.length); s = sum16(ip.daddr, 0, ip.daddr.length, s);
      s += 6 + len;
      s = sum16(b, hl, len, s);
      expect(fold(s)).toBe(0xffff);
    }
  });
  test('hijacked (protocol 6) packets decode only with both markers (§1.6)', () => {
    const b = encodeIp({ ...v4, protocol: 6 }, bareControl(HomaType.NEED_ACK, 1, 2, 2n));
    expect(decodeIp(b).ok).toBe(true);
    const bad = encodeIp({ ...v4, protocol: 6 }, { ...bareControl(HomaType.NEED_ACK, 1, 2, 2n), urgent: 0 });
    const d = decodeIp(bad);
    expect(!d.ok && d.kind).toBe('not_homa');
  });
  test('seg.offset 0xFFFFFFFF takes the offset from sequence (§1.4)', () => {
    const p = dataPacket(1, 2, 4n, { message_length: 5000, incoming: 5000, offset: 1400, payload: new Uint8Array(100) });
    const d = decodeIp(encodeIp(v4, { ...p, seg: { offset: 0xffffffff } }));
    expect(d.ok && d.packet.type === HomaType.DATA && d.packet.offset).toBe(1400);
  });
});

describe('bad bytes give typed errors (never throw)', () => {
  const good = encodeIp(v4, grantPacket(1, 2, 4n, 100, 3));
  const kind = (b: Uint8Array): string => { const d = decodeIp(b); return d.ok ? 'ok' : d.kind; };
  test('too short', () => {
    expect(kind(good.subarray(0, 10))).toBe('too_short');
    const t = good.slice(); t[3] = 20 + 30; t[10] = 0; t[11] = 0;
    const cs = (~fold(sum16(t, 0, 20) - 0)) & 0xffff; t[10] = cs >> 8; t[11] = cs & 0xff;
    expect(kind(t.subarray(0, 50))).toBe('too_short');      // GRANT needs 33 bytes (§1.3)
  });
  test('unknown type', () => {
    const t = good.slice(); t[20 + 11] = 0x19;
    expect(kind(t)).toBe('unknown_type');
  });
  test('bad lengths', () => {
    expect(kind(encodeIp(v4, { ...ackPacket(1, 2, 4n, []), num_acks: 6 }))).toBe('bad_length');
    const p = dataPacket(1, 2, 4n, { message_length: 50, incoming: 50, offset: 0, payload: new Uint8Array(60) });
    expect(kind(encodeIp(v4, p))).toBe('bad_length');
  });
  test('bad IP header', () => {
    const t = good.slice(); t[10] ^= 1;                      // header checksum
    expect(kind(t)).toBe('bad_ip_header');
    const u = good.slice(); u[0] = 0x75;
    expect(kind(u)).toBe('bad_ip_header');
    const w = good.slice(); w[2] = 0xff;
    expect(kind(w)).toBe('bad_ip_header');
  });
  test('IPv4 options are a bad header (IHL != 5), even with a good header checksum', () => {
    // A 24-byte header: one 4-byte option (NOP x4) before the Homa header.
    const opt = new Uint8Array(good.length + 4);
    opt.set(good.subarray(0, 20)); opt.set([1, 1, 1, 1], 20); opt.set(good.subarray(20), 24);
    opt[0] = 0x46; opt[2] = (opt.length >> 8) & 0xff; opt[3] = opt.length & 0xff;
    opt[10] = 0; opt[11] = 0;
    const cs = (~fold(sum16(opt, 0, 24))) & 0xffff; opt[10] = cs >> 8; opt[11] = cs & 0xff;
    expect(kind(opt)).toBe('bad_ip_header');
    const short = good.slice(); short[0] = 0x44;           // IHL 4: shorter than the fixed header
    expect(kind(short)).toBe('bad_ip_header');
  });
  test('a version nibble that disagrees with the ethertype is a bad header', () => {
    const frameKind = (f: Uint8Array): string => { const d = decodeFrame(f); return d.ok ? 'ok' : d.kind; };
    const f4 = encodeFrame(2, 1, v4, grantPacket(1, 2, 4n, 100, 3));
    const f6 = encodeFrame(2, 1, v6, grantPacket(1, 2, 4n, 100, 3));
    expect(frameKind(f4)).toBe('ok');
    expect(frameKind(f6)).toBe('ok');
    const swapped4 = f4.slice(); swapped4[12] = 0x86; swapped4[13] = 0xdd;    // IPv4 bytes under IPv6's ethertype
    expect(frameKind(swapped4)).toBe('bad_ip_header');
    const swapped6 = f6.slice(); swapped6[12] = 0x08; swapped6[13] = 0x00;    // and the other way round
    expect(frameKind(swapped6)).toBe('bad_ip_header');
    // Without a link layer the nibble still decides (decodeIp on a bare datagram).
    expect(decodeIp(f6.subarray(14)).ok).toBe(true);
  });
  test('random garbage never throws', () => {
    const r = rng(7);
    for (let i = 0; i < 20000; i++) {
      const b = encodeIp(i % 2 ? v4 : v6, randomPacket(r));
      const n = Math.floor(r() * 4);
      for (let k = 0; k < n; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      const cut = r() < 0.3 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      expect(() => decodeIp(cut)).not.toThrow();
      expect(() => decodeFrame(cut)).not.toThrow();
    }
  });
});

test('readMac reads back the addresses encodeFrame wrote', () => {
  const ip: IpFields = { version: 4, priority: 0, flow: 0, ttl: 64, protocol: 146, saddr: Uint8Array.of(10, 0, 0, 1), daddr: Uint8Array.of(10, 0, 0, 2) };
  const dst = 0x0123_4567_89ab, src = 0xfedc_ba98_7654;
  const f = encodeFrame(dst, src, ip, grantPacket(1, 2, 3n, 4, 5));
  expect([readMac(f, 0), readMac(f, 6)]).toEqual([dst, src]);
});
