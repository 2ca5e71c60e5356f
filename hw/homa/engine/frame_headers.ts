// hw/homa/engine/frame_headers.ts — the pieces of an outgoing frame's headers that every
// sender in the engine shares (ctl_tx for control packets, tx_builder for DATA): the common
// Homa header's fixed fields (spec §7: flags 0x06, urgent 0xB97D), the Ethernet and IP headers
// as HomaModule fills them (IPv4: IHL 5, TTL 64, id 0, never fragmented; IPv6: hop limit 64,
// flow 0; protocol 146; the traffic class from priority_map), and the checksum arithmetic
// (ones' complement sums of 16-bit words, the TCP-style pseudo-header with protocol 6, spec
// §1.7). Frames are values whose first byte is most significant, as the wire layouts pack.

import { lit, mux, packAs, type Bool, type UInt } from '../../hdl/index.ts';
import { HOMA_FLAGS, HOMA_URGENT, IPPROTO_HOMA, commonHeader, ethernetHeader, ipv4Header, ipv6Header } from '../wire/index.ts';
import { addLevel } from './rx_parser_sum.ts';

/** The TCP-style checksum's pseudo-header protocol (spec §1.7). */
const PSEUDO_PROTOCOL = 6;

/** The common header's fields for a packet of `type` (checksum 0, filled in later). */
export function commonFields(type: number, doff: number, sport: UInt<16>, dport: UInt<16>, senderId: UInt<64>, sequence: UInt<32>): Record<string, UInt<number>> {
  const bits = packAs(commonHeader, {
    sport, dport, sequence, ack: lit(24, 0), type: lit(8, type), doff: lit(8, doff),
    flags: lit(8, HOMA_FLAGS), window: lit(16, 0), checksum: lit(16, 0), urgent: lit(16, HOMA_URGENT), sender_id: senderId,
  });
  const o: Record<string, UInt<number>> = {};
  let at = commonHeader.width;
  for (const [k, l] of Object.entries(commonHeader.fields)) { o[k] = bits.bits(at - 1, at - l.width) as UInt<number>; at -= l.width; }
  return o;
}

/** Ethernet + IPv4 header (header checksum 0) for `homaBytes` bytes of Homa header and payload. */
export function ipv4Frame(dmac: UInt<48>, smac: UInt<number>, tos: UInt<number>, saddr: UInt<number>, daddr: UInt<number>, homaBytes: UInt<16>, ethertype: number): UInt<number> {
  const eth = packAs(ethernetHeader, { dst: dmac, src: smac, ethertype: lit(16, ethertype) });
  const ip = packAs(ipv4Header, {
    version: lit(4, 4), ihl: lit(4, 5), tos, total_length: homaBytes.add(20), identification: lit(16, 0), ip_flags: lit(3, 0),
    fragment_offset: lit(13, 0), ttl: lit(8, 64), protocol: lit(8, IPPROTO_HOMA), header_checksum: lit(16, 0),
    saddr: saddr.bits(31, 0), daddr: daddr.bits(31, 0),
  });
  return eth.cat(ip) as UInt<number>;
}

/** Ethernet + IPv6 header for `homaBytes` bytes of Homa header and payload. */
export function ipv6Frame(dmac: UInt<48>, smac: UInt<number>, tos: UInt<number>, saddr: UInt<number>, daddr: UInt<number>, homaBytes: UInt<16>, ethertype: number): UInt<number> {
  const eth = packAs(ethernetHeader, { dst: dmac, src: smac, ethertype: lit(16, ethertype) });
  const ip = packAs(ipv6Header, {
    version: lit(4, 6), traffic_class: tos, flow_label: lit(20, 0), payload_length: homaBytes, next_header: lit(8, IPPROTO_HOMA),
    hop_limit: lit(8, 64), saddr, daddr,
  });
  return eth.cat(ip) as UInt<number>;
}

/** The 16-bit words of `x`, first (most significant) first. */
export function words16(x: UInt<number>): UInt<number>[] {
  return Array.from({ length: x.width / 16 }, (_, i) => x.bits(x.width - 1 - 16 * i, x.width - 16 - 16 * i) as UInt<number>);
}

/** Ones' complement sum, not folded, of `terms` (an adder tree), as 32 bits. */
export function sum32(terms: UInt<number>[]): UInt<number> {
  let t = terms;
  while (t.length > 1) t = addLevel(t);
  return t[0]!.zext(32) as UInt<number>;
}

/** The pseudo-header's words (spec §1.7): addresses (IPv4: the low 32 bits), protocol 6, length. */
export function pseudoWords(saddr: UInt<number>, daddr: UInt<number>, ipv6: Bool, homaBytes: UInt<16>): UInt<number>[] {
  const addr = (a: UInt<number>): UInt<number>[] => words16(a).map((x, i) => (i < 6 ? mux(ipv6, x, lit(16, 0)) : x));
  return [...addr(saddr), ...addr(daddr), lit(16, PSEUDO_PROTOCOL), homaBytes];
}

/** The checksum field's value for an unfolded sum: folded to 16 bits and inverted. */
export function foldSum(s: UInt<number>): UInt<16> {
  const a = s.bits(15, 0).addW(s.bits(31, 16));
  const b = a.bits(15, 0).add(a.bit(16).asUInt().zext(16));
  return b.not() as UInt<16>;
}

/** `bytes` (a frame of `frameBytes` bytes) with the 16-bit `v` written at byte `at`. */
export function placeWord(bytes: UInt<number>, frameBytes: number, at: number, v: UInt<16>): UInt<number> {
  const hi = 8 * frameBytes - 8 * at;
  return bytes.bits(8 * frameBytes - 1, hi).cat(v).cat(bytes.bits(hi - 17, 0)) as UInt<number>;
}

/** keep bits for `left` bytes remaining at B bytes per beat: bit j set when j < left. */
export function keepMask(left: UInt<number>, B: number): UInt<number> {
  let keep: UInt<number> = lit(B, 0);
  for (let j = 0; j < B; j++) keep = mux(lit(left.width, j).lt(left), keep.or(lit(B, 1n << BigInt(j))), keep);
  return keep;
}

/** The traffic class (IPv4 TOS / IPv6 class) for a 3-bit priority map entry: the priority in its top bits. */
export function trafficClass(prio: UInt<number>): UInt<number> {
  return prio.bits(2, 0).cat(lit(5, 0)) as UInt<number>;
}
