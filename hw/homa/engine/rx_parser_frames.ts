// hw/homa/engine/rx_parser_frames.ts — frames to test the receive parser with, and what it
// must do with each (the reference: hw/homa/wire's decodeFrame with the checksum verified,
// plus the FCS flag and the destination address).
//
// Frames are built with the wire codec and then broken on purpose, each kind aimed at one
// check (the other checksums are repaired after the damage so exactly that check fails);
// the reference decides what the parser must say, so a kind whose damage happens to trip an
// earlier check is still judged correctly.

import { Rng } from '../../hdl/sim/fuzz/random.ts';
import {
  ackPacket, bareControl, cutoffsPacket, dataPacket, decodeFrame, DOFF_DATA_GSO, encodeFrame, grantPacket, homaChecksum,
  HomaType, ipv4HeaderChecksum, resendPacket, RESEND_ALL, SEG_OFFSET_FROM_SEQUENCE,
  type Decoded, type HomaPacket, type IpFields,
} from '../wire/index.ts';
import type { rxDrop } from './types.ts';
import { ETH_SRC as ETH_SRC_POS } from './rx_parser_fields.ts';
import { readMac } from '../wire/codec.ts';

export type DropName = (typeof rxDrop.names)[number];

/** An rxHeader as the simulator shows it (numbers up to 32 bits, bigints above, bools 0/1), without the buffer pointers. */
export interface RxHeaderValues {
  ipv6: number; saddr: bigint; smac: bigint; type: number; sport: number; dport: number; sender_id: bigint;
  message_length: number; incoming: number; offset: number; payload_bytes: number;
  ack_client_id: bigint; ack_server_port: number; cutoff_version: number; retransmit: number; incast: number;
  ctl_offset: number; ctl_length: number; ctl_priority: number;
  /** CUTOFFS' unsched_cutoffs as the port carries the vector: entry i in bits 32i+31..32i. */
  cutoffs: bigint;
}

export type Outcome = { readonly reason: 'none'; readonly header: RxHeaderValues } | { readonly reason: Exclude<DropName, 'none'> };

export interface TestFrame {
  readonly bytes: Uint8Array;
  /** Bad FCS, flagged by the MAC on the last beat. */
  readonly error: boolean;
  /** What was done to it (for failure messages). */
  readonly kind: string;
}

/** An address as the parser holds it: IPv6 form, IPv4 as ::ffff:a.b.c.d, first byte most significant. */
export function addr128(a: Uint8Array): bigint {
  const bytes = a.length === 4 ? [...new Uint8Array(10), 0xff, 0xff, ...a] : [...a];
  return bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
}

/** What the parser must do with `frame` when its own address is `ipAddr` (16 bytes). */
export function rxReference(frame: TestFrame, ipAddr: Uint8Array): Outcome {
  if (frame.error) return { reason: 'frame_error' };
  const d = decodeFrame(frame.bytes, { checksum: true });
  if (!d.ok) {
    const kinds = { too_short: 'short', not_homa: 'non_homa', bad_ip_header: 'bad_ip', unknown_type: 'unknown_type', bad_length: 'bad_length' } as const;
    return { reason: kinds[d.kind] };
  }
  if (!d.checksumOk) return { reason: 'bad_checksum' };
  if (addr128(d.ip.daddr) !== addr128(ipAddr)) return { reason: 'not_for_us' };
  return { reason: 'none', header: { ...headerOf(d), smac: BigInt(readMac(frame.bytes, ETH_SRC_POS)) } };
}

function headerOf(d: Decoded): RxHeaderValues {
  const p = d.packet;
  const h: RxHeaderValues = {
    ipv6: d.ip.version === 6 ? 1 : 0, saddr: addr128(d.ip.saddr), smac: 0n, type: p.type, sport: p.sport, dport: p.dport, sender_id: p.sender_id,
    message_length: 0, incoming: 0, offset: 0, payload_bytes: 0, ack_client_id: 0n, ack_server_port: 0, cutoff_version: 0,
    retransmit: 0, incast: 0, ctl_offset: 0, ctl_length: 0, ctl_priority: 0, cutoffs: 0n,
  };
  switch (p.type) {
    case HomaType.DATA:
      Object.assign(h, {
        message_length: p.message_length, incoming: p.incoming, offset: p.offset, payload_bytes: p.payload.length,
        ack_client_id: p.ack.client_id, ack_server_port: p.ack.server_port, cutoff_version: p.cutoff_version,
        retransmit: p.retransmit !== 0 ? 1 : 0, incast: p.pad & 1,
      });
      break;
    case HomaType.GRANT: Object.assign(h, { ctl_offset: p.offset, ctl_priority: p.priority }); break;
    case HomaType.RESEND: Object.assign(h, { ctl_offset: p.offset, ctl_length: p.length, ctl_priority: p.priority }); break;
    case HomaType.CUTOFFS: Object.assign(h, { cutoffs: p.unsched_cutoffs.reduceRight((a, x) => (a << 32n) | BigInt(x >>> 0), 0n), cutoff_version: p.cutoff_version }); break;
    default: break;
  }
  return h;
}

// ---- frame surgery ------------------------------------------------------------------------

const isV6 = (f: Uint8Array): boolean => f[12] === 0x86 && f[13] === 0xdd;
const l4Start = (f: Uint8Array): number => (isV6(f) ? 54 : 34);
const rd16 = (f: Uint8Array, o: number): number => (f[o]! << 8) | f[o + 1]!;
const wr16 = (f: Uint8Array, o: number, v: number): void => { f[o] = (v >> 8) & 0xff; f[o + 1] = v & 0xff; };
const l4Length = (f: Uint8Array): number => (isV6(f) ? rd16(f, 18) : rd16(f, 16) - 20);

/** Recomputes the IPv4 header checksum (after the header was changed on purpose). */
function fixIpHeader(f: Uint8Array): void {
  if (!isV6(f) && f.length >= 34) { wr16(f, 24, 0); wr16(f, 24, ipv4HeaderChecksum(f, 14, 20)); }
}
/** Recomputes the TCP-style checksum over the L4 bytes the IP header claims (if present). */
function fixChecksum(f: Uint8Array): void {
  const h = l4Start(f), len = l4Length(f);
  if (len < 18 || h + len > f.length) return;
  const [sa, da] = isV6(f) ? [f.subarray(22, 38), f.subarray(38, 54)] : [f.subarray(26, 30), f.subarray(30, 34)];
  wr16(f, h + 16, homaChecksum(f, h, len, sa, da));
}
/** Sets the IP length so the L4 part is `l4` bytes, cuts the frame there and pads it to 60 bytes. */
function cutL4(f: Uint8Array, l4: number): Uint8Array {
  const h = l4Start(f);
  if (isV6(f)) wr16(f, 18, l4); else wr16(f, 16, l4 + 20);
  fixIpHeader(f);
  const out = new Uint8Array(Math.max(60, h + l4));
  out.set(f.subarray(0, Math.min(f.length, h + l4)));
  return out;
}
/**
 * Makes the correct checksum 0 by choosing a free 16-bit word (`at`, an even offset in the
 * summed range) and then stores `stored` (0: valid; 0xFFFF: the same value in ones'
 * complement, which a receiver comparing exactly must refuse).
 */
function checksumZero(f: Uint8Array, at: number, field: number, stored: number, compute: () => number): void {
  wr16(f, at, 0);
  wr16(f, at, compute());                 // adding c to the sum makes the new checksum 0
  wr16(f, field, stored);
}

// ---- random frames ------------------------------------------------------------------------

export interface FrameGenOptions {
  /** This NIC's address (16 bytes; v4-mapped when IPv4 frames should be for it). */
  ipAddr: Uint8Array;
  /** Chance that a DATA payload is drawn from the whole MTU rather than kept short (default 0.4). */
  longPayloads?: number;
}

const MTU = 1500;

export class FrameGen {
  private serial = 0;
  constructor(private readonly rng: Rng, public options: FrameGenOptions) {}

  /** A sender id no other frame of this generator carries (frames are told apart by it). */
  private uniqueId(): bigint { return (BigInt(this.rng.next()) << 32n) | BigInt(this.serial++); }
  private big64(): bigint { return (BigInt(this.rng.next()) << 32n) | BigInt(this.rng.next()); }

  private ip(version: 4 | 6, protocol = this.rng.chance(0.3) ? 6 : 146): IpFields {
    const r = this.rng;
    const ours = this.options.ipAddr;
    const daddr = version === 6 ? ours.slice() : ours.slice(12);
    const saddr = Uint8Array.from({ length: version === 6 ? 16 : 4 }, () => r.int(256));
    return { version, priority: r.int(8), flow: r.int(version === 6 ? 1 << 20 : 1 << 16), ttl: r.range(1, 255), protocol, saddr, daddr };
  }

  /** A random packet of `type` (default: any) that a conforming sender could send. */
  packet(version: 4 | 6, type?: number): HomaPacket {
    const r = this.rng;
    const id = this.uniqueId(), sport = r.int(65536), dport = r.int(65536);
    const t = type ?? r.pick([0x10, 0x10, 0x10, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]);
    switch (t) {
      case HomaType.DATA: {
        const maxPayload = MTU - (version === 6 ? 40 : 20) - 56;
        const length = r.chance(0.3) ? r.range(1, 3000) : r.range(1, 1_000_000);
        const want = r.chance(0.05) ? maxPayload : r.chance(this.options.longPayloads ?? 0.4) ? r.int(maxPayload + 1) : r.int(48);
        const n = Math.min(want, length);
        const offset = r.chance(0.2) ? length - n : r.int(length - n + 1);
        const p = dataPacket(sport, dport, id, {
          message_length: length, incoming: r.int(length + 1), offset, payload: Uint8Array.from({ length: n }, () => r.int(256)),
          ack: { client_id: r.chance(0.5) ? 0n : this.big64(), server_port: r.int(65536) }, cutoff_version: r.int(65536),
          retransmit: r.chance(0.2) ? 1 : 0, pad: r.pick([0, 1, r.int(1 << 24)]),
        });
        const form = r.int(4);
        if (form === 1) return { ...p, doff: DOFF_DATA_GSO, sequence: r.next() };      // GSO: doff 13, stale sequence
        if (form === 2) return { ...p, seg: { offset: SEG_OFFSET_FROM_SEQUENCE } };    // hijacked TSO (§1.4)
        return p;
      }
      case HomaType.GRANT: return grantPacket(sport, dport, id, r.next(), r.int(8));
      case HomaType.RESEND: return resendPacket(sport, dport, id, r.next(), r.chance(0.3) ? RESEND_ALL : r.next(), r.int(8));
      case HomaType.CUTOFFS: return cutoffsPacket(sport, dport, id, Array.from({ length: 8 }, () => r.next()), r.int(65536));
      case HomaType.ACK: return ackPacket(sport, dport, id, Array.from({ length: r.int(6) }, () => ({ client_id: this.big64(), server_port: r.int(65536) })));
      default: return bareControl(t as 0x13 | 0x14 | 0x16 | 0x17, sport, dport, id);
    }
  }

  private encode(version: 4 | 6, pkt: HomaPacket, protocol?: number): Uint8Array {
    return encodeFrame(this.big48(), this.big48(), this.ip(version, protocol), pkt);
  }
  private big48(): number { return this.rng.int(1 << 24) * 2 ** 24 + this.rng.int(1 << 24); }
  private version(): 4 | 6 { return this.rng.chance(0.5) ? 4 : 6; }

  /** A frame every check passes. */
  good(): TestFrame {
    const v = this.version();
    let pkt = this.packet(v);
    // Protocol 146 does not look at the hijack markers (§1.6): sometimes send them wrong.
    const protocol = this.rng.chance(0.3) ? 6 : 146;
    if (protocol === 146 && this.rng.chance(0.1)) pkt = { ...pkt, flags: this.rng.int(256), urgent: this.rng.int(65536) };
    return { bytes: this.encode(v, pkt, protocol), error: false, kind: `good ${pkt.type.toString(16)} v${v}` };
  }

  /** The shortest frames: 62-byte IPv4 control packets, and 60-byte frames that are not Homa or too short. */
  minimum(): TestFrame {
    const r = this.rng;
    const pick = r.int(4);
    if (pick < 2) return { bytes: this.encode(4, this.packet(4, r.pick([0x13, 0x14, 0x16, 0x17]))), error: false, kind: 'minimum control' };
    if (pick === 2) {
      const f = new Uint8Array(60).map(() => r.int(256)); f[12] = 0x08; f[13] = 0x06;       // ARP
      return { bytes: f, error: false, kind: 'minimum arp' };
    }
    return { bytes: cutL4(this.encode(4, this.packet(4, 0x14)), r.int(26)), error: false, kind: 'minimum short' };
  }

  /** A random frame: good most of the time, else broken in one of many ways. */
  next(): TestFrame {
    const r = this.rng;
    const total = KINDS.reduce((s, [w]) => s + w, 0);
    let x = r.int(total);
    for (const [w, name, make] of KINDS) {
      if (x < w) return { ...make(this, r), kind: name };
      x -= w;
    }
    throw new Error('internal: no frame kind');
  }

  /** Internals the frame kinds use. */
  encodeFor(version: 4 | 6, pkt: HomaPacket, protocol?: number): Uint8Array { return this.encode(version, pkt, protocol); }
  randomVersion(): 4 | 6 { return this.version(); }
}

type Made = { bytes: Uint8Array; error: boolean };
const ok = (bytes: Uint8Array): Made => ({ bytes, error: false });

/** [weight, kind, how]: each kind aims at one check (the reference has the last word). */
const KINDS: readonly (readonly [number, string, (g: FrameGen, r: Rng) => Made])[] = [
  [40, 'good', (g) => g.good()],
  [4, 'good, bytes after the IP end', (g, r) => {
    const f = g.good().bytes;
    const out = new Uint8Array(f.length + r.range(1, 80)).map(() => r.int(256));
    out.set(f);
    return ok(out);
  }],
  [3, 'good, checksum 0 (or 0xFFFF: bad)', (g, r) => {
    const f = g.good().bytes, h = l4Start(f);
    checksumZero(f, h + 14, h + 16, r.chance(0.5) ? 0 : 0xffff, () => { wr16(f, h + 16, 0); fixChecksum(f); return rd16(f, h + 16); });
    return ok(f);
  }],
  [2, 'good IPv4, header checksum 0 (or 0xFFFF: bad)', (g, r) => {
    const f = g.encodeFor(4, g.packet(4));
    checksumZero(f, 18, 24, r.chance(0.5) ? 0 : 0xffff, () => { fixIpHeader(f); return rd16(f, 24); });
    return ok(f);
  }],
  [3, 'fcs error', (g) => ({ bytes: g.good().bytes, error: true })],
  [2, 'tiny', (_g, r) => ok(new Uint8Array(r.range(1, 13)).map(() => r.int(256)))],
  [4, 'truncated', (g, r) => { const f = g.good().bytes; return ok(f.slice(0, r.range(1, f.length - 1))); }],
  [2, 'ethertype', (g, r) => {
    const f = g.good().bytes;
    let et = r.int(65536);
    if (et === 0x0800 || et === 0x86dd) et ^= 1;
    wr16(f, 12, et);
    return ok(f);
  }],
  [2, 'IP version nibble', (g, r) => {
    const f = g.good().bytes;
    const want = isV6(f) ? 6 : 4;
    let v = r.chance(0.5) ? 10 - want : r.int(16);
    if (v === want) v ^= 1;
    f[14] = (v << 4) | (f[14]! & 15);
    fixIpHeader(f);
    return ok(f);
  }],
  [2, 'IPv4 options (IHL)', (g, r) => {
    const f = g.encodeFor(4, g.packet(4));
    let ihl = r.int(16);
    if (ihl === 5) ihl = 6;
    f[14] = 0x40 | ihl;
    fixIpHeader(f);
    return ok(f);
  }],
  [2, 'IP length beyond the frame or below the header', (g, r) => {
    const f = g.good().bytes;
    if (isV6(f)) wr16(f, 18, r.range(f.length - 54 + 1, 65535));
    else wr16(f, 16, r.chance(0.5) ? r.int(20) : r.range(f.length - 14 + 1, 65535));
    fixIpHeader(f);
    return ok(f);
  }],
  [2, 'IPv4 fragment', (g, r) => {
    const f = g.encodeFor(4, g.packet(4));
    wr16(f, 20, r.chance(0.5) ? 0x2000 | r.int(0x2000) : r.range(1, 0x1fff) | (r.int(2) << 14));
    fixIpHeader(f);
    return ok(f);
  }],
  [2, 'IPv4 header checksum', (g, r) => { const f = g.encodeFor(4, g.packet(4)); f[24 + r.int(2)] ^= 1 << r.int(8); return ok(f); }],
  [2, 'IP protocol', (g, r) => {
    const f = g.good().bytes;
    let p = r.int(256);
    if (p === 6 || p === 146) p = 17;
    f[isV6(f) ? 20 : 23] = p;
    fixIpHeader(f);
    return ok(f);
  }],
  [2, 'TCP without both hijack markers', (g, r) => {
    const v = g.randomVersion(), p = g.packet(v);
    const bad = r.int(3);
    const flags = bad !== 1 ? (r.int(255) + 7) % 256 : p.flags, urgent = bad !== 0 ? (0xb97d + r.range(1, 65535)) % 65536 : p.urgent;
    return ok(g.encodeFor(v, { ...p, flags, urgent }, 6));
  }],
  [2, 'unknown packet type', (g, r) => {
    const f = g.good().bytes, h = l4Start(f);
    f[h + 11] = r.chance(0.5) ? r.int(0x10) : r.range(0x19, 0xff);
    fixChecksum(f);
    return ok(f);
  }],
  [3, 'L4 shorter than the common header', (g, r) => ok(cutL4(g.good().bytes, r.int(28)))],
  [3, 'L4 shorter than its type\'s header', (g, r) => {
    const v = g.randomVersion();
    const [type, size] = r.pick([[0x10, 56], [0x11, 33], [0x12, 37], [0x15, 62], [0x18, 80]] as const);
    const f = cutL4(g.encodeFor(v, g.packet(v, type)), r.range(28, size - 1));
    fixChecksum(f);
    return ok(f);
  }],
  [3, 'bad lengths', (g, r) => {
    const v = g.randomVersion();
    if (r.chance(0.25)) return ok(g.encodeFor(v, { ...g.packet(v, 0x18), num_acks: r.range(6, 65535) } as HomaPacket));
    const p = g.packet(v, 0x10);
    if (p.type !== HomaType.DATA) throw new Error('internal');
    const n = p.payload.length;
    switch (r.int(4)) {
      case 0: return ok(g.encodeFor(v, { ...p, message_length: 0 }));
      case 1: return ok(g.encodeFor(v, { ...p, message_length: r.range(1_000_001, 0xffffffff) }));
      case 2: {
        const length = r.range(1, 100_000);
        return ok(g.encodeFor(v, { ...p, message_length: length, seg: { offset: Math.max(0, length - n) + r.range(1, 3000) } }));
      }
      default: return ok(g.encodeFor(v, { ...p, sequence: r.range(1 << 20, 0xffffffff), seg: { offset: SEG_OFFSET_FROM_SEQUENCE } }));
    }
  }],
  [3, 'checksum', (g, r) => {
    const f = g.good().bytes, h = l4Start(f);
    const end = h + l4Length(f);
    f[r.range(h, end - 1)] ^= 1 << r.int(8);
    return ok(f);
  }],
  [3, 'not for us', (g, r) => {
    const f = g.good().bytes;
    const [at, n] = isV6(f) ? [38, 16] : [30, 4];
    f[at + r.int(n)] ^= 1 << r.int(8);
    fixIpHeader(f);
    fixChecksum(f);
    return ok(f);
  }],
  [2, 'bytes changed at random', (g, r) => {
    const f = g.good().bytes;
    for (let k = r.range(1, 3); k > 0; k--) f[r.int(Math.min(f.length, 140))] = r.int(256);
    return ok(f);
  }],
];
