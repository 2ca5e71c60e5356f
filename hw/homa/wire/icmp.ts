// hw/homa/wire/icmp.ts — the one ICMP message Homa uses: destination unreachable. HomaModule
// answers a packet for a port with no socket (or a request to a socket that is not a server)
// with ICMP port unreachable (homa_dispatch_pkts, spec §2, §3.5), and its ICMP error handler
// (homa_err_handler_v4/v6) ends the client RPCs to that address and port with ENOTCONN
// (EHOSTUNREACH for other unreachable codes, EPROTONOSUPPORT for protocol unreachable).
//
// The frame is what Linux's icmp_send / icmp6_send builds: an IP header from the host that
// refused the packet to the packet's sender, an 8-byte ICMP header (type, code, checksum,
// 4 unused bytes), then the offending datagram from its IP header on, cut so the ICMP datagram
// stays within 576 bytes (IPv4, RFC 1812) or 1280 bytes (IPv6, RFC 4443). Precedence bits of
// the TOS are cleared (RT_TOS), so it travels at priority 0.

import { ipv4HeaderChecksum, sum16, fold } from './checksum.ts';
import { ETH_HLEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPV4_HLEN, IPV6_HLEN } from './codec.ts';

export const IPPROTO_ICMP = 1;
export const IPPROTO_ICMPV6 = 58;
const ICMP_HLEN = 8;
/** ICMPv4 type 3 / ICMPv6 type 1: destination unreachable. */
const ICMP_DEST_UNREACH = 3;
const ICMPV6_DEST_UNREACH = 1;
/** Largest ICMP error datagrams (IP header included). */
const MAX_V4 = 576;
const MAX_V6 = 1280;

/** Why the destination was unreachable, as the Homa error handler maps it to an errno. */
export type Unreachable = 'port' | 'protocol' | 'host';

const V4_CODE: Record<Unreachable, number> = { host: 1, protocol: 2, port: 3 };
// ICMPv6 has no protocol-unreachable code in destination unreachable (that is a parameter problem).
const V6_CODE: Record<Unreachable, number> = { host: 3, protocol: 3, port: 4 };

export interface IcmpUnreachableArgs {
  dstMac: number;
  srcMac: number;
  /** The refusing host's address (the offending packet's destination). */
  saddr: Uint8Array;
  /** The offending datagram, from its IP header on (Ethernet padding may follow). */
  offending: Uint8Array;
  why: Unreachable;
}

function writeMac(b: Uint8Array, o: number, mac: number): void {
  const hi = Math.floor(mac / 0x100000000);
  const lo = mac % 0x100000000;
  b[o] = hi >>> 8; b[o + 1] = hi & 0xff;
  b[o + 2] = lo >>> 24; b[o + 3] = (lo >>> 16) & 0xff; b[o + 4] = (lo >>> 8) & 0xff; b[o + 5] = lo & 0xff;
}

/** The offending datagram's length from its own IP header (without Ethernet padding). */
function datagramLength(d: Uint8Array): number {
  const v = d[0]! >> 4;
  const n = v === 4 ? (d[2]! << 8) | d[3]! : IPV6_HLEN + ((d[4]! << 8) | d[5]!);
  return Math.min(n, d.length);
}

/** An Ethernet frame carrying ICMP (v4 or v6 by the address's length) destination unreachable. */
export function encodeIcmpUnreachable(a: IcmpUnreachableArgs): Uint8Array {
  const v4 = a.saddr.length === 4;
  const off = a.offending;
  const daddr = v4 ? off.subarray(12, 16) : off.subarray(8, 24);          // the offending packet's source
  const ipHlen = v4 ? IPV4_HLEN : IPV6_HLEN;
  const quoted = Math.min(datagramLength(off), (v4 ? MAX_V4 : MAX_V6) - ipHlen - ICMP_HLEN);
  const icmpLen = ICMP_HLEN + quoted;
  const frame = new Uint8Array(Math.max(60, ETH_HLEN + ipHlen + icmpLen));
  writeMac(frame, 0, a.dstMac);
  writeMac(frame, 6, a.srcMac);
  const et = v4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
  frame[12] = et >> 8; frame[13] = et & 0xff;
  const ip = ETH_HLEN;
  const icmp = ip + ipHlen;
  if (v4) {
    const total = ipHlen + icmpLen;
    frame[ip] = 0x45; frame[ip + 1] = 0;                                   // TOS 0 (RT_TOS clears precedence)
    frame[ip + 2] = total >> 8; frame[ip + 3] = total & 0xff;
    frame[ip + 8] = 64; frame[ip + 9] = IPPROTO_ICMP;
    frame.set(a.saddr, ip + 12);
    frame.set(daddr, ip + 16);
    const c = ipv4HeaderChecksum(frame, ip, ipHlen);
    frame[ip + 10] = c >> 8; frame[ip + 11] = c & 0xff;
  } else {
    frame[ip] = 0x60;
    frame[ip + 4] = icmpLen >> 8; frame[ip + 5] = icmpLen & 0xff;
    frame[ip + 6] = IPPROTO_ICMPV6; frame[ip + 7] = 64;
    frame.set(a.saddr, ip + 8);
    frame.set(daddr, ip + 24);
  }
  frame[icmp] = v4 ? ICMP_DEST_UNREACH : ICMPV6_DEST_UNREACH;
  frame[icmp + 1] = (v4 ? V4_CODE : V6_CODE)[a.why];
  frame.set(off.subarray(0, quoted), icmp + ICMP_HLEN);
  const c = icmpChecksum(frame, icmp, icmpLen, v4 ? null : { saddr: a.saddr, daddr });
  frame[icmp + 2] = c >> 8; frame[icmp + 3] = c & 0xff;
  return frame;
}

/** ICMP checksum over the message (ICMPv6: with the pseudo-header, RFC 4443 §2.3); the field counts as 0. */
function icmpChecksum(b: Uint8Array, off: number, len: number, v6: { saddr: Uint8Array; daddr: Uint8Array } | null): number {
  let s = 0;
  if (v6) {
    s = sum16(v6.saddr, 0, 16, s);
    s = sum16(v6.daddr, 0, 16, s);
    s += Math.floor(len / 0x10000) + (len & 0xffff) + IPPROTO_ICMPV6;
  }
  s = sum16(b, off, len, s) - ((b[off + 2]! << 8) | b[off + 3]!);
  while (s < 0) s += 0xffff;
  return (~fold(s)) & 0xffff;
}

/** What a host learns from an ICMP destination unreachable about a packet it sent. */
export interface IcmpUnreachable {
  why: Unreachable;
  /** Who sent the ICMP message. */
  from: Uint8Array;
  /** The offending packet's destination address and IP protocol, and its first 4 transport bytes as ports. */
  daddr: Uint8Array;
  protocol: number;
  sport: number;
  dport: number;
}

/**
 * Decode a frame as ICMP destination unreachable quoting one of our packets; null for any
 * other frame (not ICMP, another ICMP type, a bad checksum, or too little quoted to say which
 * port was refused — the 8 bytes RFC 792 guarantees hold Homa's sport and dport).
 */
export function decodeIcmpUnreachable(frame: Uint8Array): IcmpUnreachable | null {
  if (frame.length < ETH_HLEN + IPV4_HLEN) return null;
  const et = (frame[12]! << 8) | frame[13]!;
  const ip = ETH_HLEN;
  let icmp: number;
  let end: number;
  let from: Uint8Array;
  if (et === ETHERTYPE_IPV4) {
    if (frame[ip] !== 0x45 || frame[ip + 9] !== IPPROTO_ICMP) return null;
    end = ip + ((frame[ip + 2]! << 8) | frame[ip + 3]!);
    icmp = ip + IPV4_HLEN;
    from = frame.subarray(ip + 12, ip + 16);
  } else if (et === ETHERTYPE_IPV6) {
    if (frame.length < ETH_HLEN + IPV6_HLEN || frame[ip]! >> 4 !== 6 || frame[ip + 6] !== IPPROTO_ICMPV6) return null;
    end = ip + IPV6_HLEN + ((frame[ip + 4]! << 8) | frame[ip + 5]!);
    icmp = ip + IPV6_HLEN;
    from = frame.subarray(ip + 8, ip + 24);
  } else {
    return null;
  }
  const v4 = et === ETHERTYPE_IPV4;
  if (end > frame.length || end - icmp < ICMP_HLEN) return null;
  const v6 = v4 ? null : { saddr: from, daddr: frame.subarray(ip + 24, ip + 40) };
  if (icmpChecksum(frame, icmp, end - icmp, v6) !== ((frame[icmp + 2]! << 8) | frame[icmp + 3]!)) return null;
  if (frame[icmp] !== (v4 ? ICMP_DEST_UNREACH : ICMPV6_DEST_UNREACH)) return null;
  const code = frame[icmp + 1]!;
  const why: Unreachable = v4 ? (code === 3 ? 'port' : code === 2 ? 'protocol' : 'host') : code === 4 ? 'port' : 'host';
  const q = icmp + ICMP_HLEN;
  const qHlen = v4 ? (frame[q]! & 0x0f) * 4 : IPV6_HLEN;
  if (end - q < qHlen + 4) return null;
  const daddr = v4 ? frame.slice(q + 16, q + 20) : frame.slice(q + 24, q + 40);
  const protocol = v4 ? frame[q + 9]! : frame[q + 6]!;
  const t = q + qHlen;
  return { why, from: from.slice(), daddr, protocol, sport: (frame[t]! << 8) | frame[t + 1]!, dport: (frame[t + 2]! << 8) | frame[t + 3]! };
}
