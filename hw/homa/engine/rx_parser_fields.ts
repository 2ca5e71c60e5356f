// hw/homa/engine/rx_parser_fields.ts — where the receive parser finds things in a frame: byte
// positions of every field it reads, derived from the wire layouts (hw/homa/wire/layouts.ts),
// and the elaboration-time arithmetic that maps positions to beats and lanes.
//
// A frame is Ethernet (14 bytes), then IPv4 (20 bytes: Homa never sends options, §1.1) or
// IPv6 (40 bytes, no extension headers), then the Homa header at L4 offset 0 (spec §1.2).
// Positions below are frame byte offsets; Homa offsets are relative to the L4 start.

import { ackHeader, commonHeader, cutoffsHeader, dataHeader, ethernetHeader, grantHeader, ipv4Header, ipv6Header, resendHeader } from '../wire/layouts.ts';
import { byteOffset, field } from '../wire/fields.ts';
import { COMMON_HLEN, ETH_HLEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPV4_HLEN, IPV6_HLEN, headerBytes } from '../wire/codec.ts';
import { HomaType } from '../wire/types.ts';

export { ETHERTYPE_IPV4, ETHERTYPE_IPV6 };

/** Ethernet: the ethertype decides IPv4 or IPv6. */
export const ETHERTYPE_POS = byteOffset(ethernetHeader, 'ethertype');
/** The sender's MAC: where frames back to it go. */
export const ETH_SRC = byteOffset(ethernetHeader, 'src');
export const IP_POS = ETH_HLEN;

/** IPv4 fields (frame positions). */
export const V4 = {
  versionIhl: IP_POS + field(ipv4Header, 'version').byte,
  totalLength: IP_POS + byteOffset(ipv4Header, 'total_length'),
  flagsFragment: IP_POS + field(ipv4Header, 'ip_flags').byte,
  protocol: IP_POS + byteOffset(ipv4Header, 'protocol'),
  headerChecksum: IP_POS + byteOffset(ipv4Header, 'header_checksum'),
  saddr: IP_POS + byteOffset(ipv4Header, 'saddr'),
  daddr: IP_POS + byteOffset(ipv4Header, 'daddr'),
  l4: IP_POS + IPV4_HLEN,
} as const;

/** IPv6 fields (frame positions). */
export const V6 = {
  version: IP_POS + field(ipv6Header, 'version').byte,
  payloadLength: IP_POS + byteOffset(ipv6Header, 'payload_length'),
  nextHeader: IP_POS + byteOffset(ipv6Header, 'next_header'),
  saddr: IP_POS + byteOffset(ipv6Header, 'saddr'),
  daddr: IP_POS + byteOffset(ipv6Header, 'daddr'),
  l4: IP_POS + IPV6_HLEN,
} as const;

/** The IP header bytes the parser keeps whatever the version: frame bytes 14..25 (IPv4's up to its addresses). */
export const IP_KEPT_BYTES = V4.saddr - IP_POS;

/** Homa header fields the parser reads (L4 offsets; spec §1.2, §1.3, §1.4). */
export const HOMA = {
  sport: byteOffset(commonHeader, 'sport'),
  dport: byteOffset(commonHeader, 'dport'),
  sequence: byteOffset(commonHeader, 'sequence'),
  type: byteOffset(commonHeader, 'type'),
  flags: byteOffset(commonHeader, 'flags'),
  checksum: byteOffset(commonHeader, 'checksum'),
  urgent: byteOffset(commonHeader, 'urgent'),
  senderId: byteOffset(commonHeader, 'sender_id'),
  messageLength: byteOffset(dataHeader, 'message_length'),
  incoming: byteOffset(dataHeader, 'incoming'),
  ackClientId: byteOffset(dataHeader, 'ack.client_id'),
  ackServerPort: byteOffset(dataHeader, 'ack.server_port'),
  cutoffVersion: byteOffset(dataHeader, 'cutoff_version'),
  retransmit: byteOffset(dataHeader, 'retransmit'),
  /** The pad's last byte: its bit 0 is the incast mark. */
  padLow: byteOffset(dataHeader, 'pad') + 2,
  segOffset: byteOffset(dataHeader, 'seg.offset'),
  grantOffset: byteOffset(grantHeader, 'offset'),
  grantPriority: byteOffset(grantHeader, 'priority'),
  resendOffset: byteOffset(resendHeader, 'offset'),
  resendLength: byteOffset(resendHeader, 'length'),
  resendPriority: byteOffset(resendHeader, 'priority'),
  numAcks: byteOffset(ackHeader, 'num_acks'),
  /** CUTOFFS: unsched_cutoffs[0] (element i at + 4i) and the cutoff_version. */
  cutoffs: byteOffset(cutoffsHeader, 'unsched_cutoffs.e0'),
  cutoffsVersion: byteOffset(cutoffsHeader, 'cutoff_version'),
} as const;

/** [offset, bytes] of every Homa field above: the header bytes the parser captures. */
const HOMA_FIELDS: readonly (readonly [number, number])[] = [
  [HOMA.sport, 2], [HOMA.dport, 2], [HOMA.sequence, 4], [HOMA.type, 1], [HOMA.flags, 1], [HOMA.checksum, 2],
  [HOMA.urgent, 2], [HOMA.senderId, 8], [HOMA.messageLength, 4], [HOMA.incoming, 4], [HOMA.ackClientId, 8],
  [HOMA.ackServerPort, 2], [HOMA.cutoffVersion, 2], [HOMA.retransmit, 1], [HOMA.padLow, 1], [HOMA.segOffset, 4],
  [HOMA.grantOffset, 4], [HOMA.grantPriority, 1], [HOMA.resendOffset, 4], [HOMA.resendLength, 4],
  [HOMA.resendPriority, 1], [HOMA.numAcks, 2], [HOMA.cutoffs, 32], [HOMA.cutoffsVersion, 2],
];
export const HOMA_CAPTURED: readonly number[] = [...new Set(HOMA_FIELDS.flatMap(([o, n]) => Array.from({ length: n }, (_, i) => o + i)))].sort((a, b) => a - b);

/** Minimum L4 bytes per packet type (spec §1.3 header_lengths), 0x10..0x18. */
export const TYPE_FIRST = HomaType.DATA;
export const TYPE_LAST = HomaType.ACK;
export const HEADER_SIZES: readonly { type: number; bytes: number }[] =
  Array.from({ length: TYPE_LAST - TYPE_FIRST + 1 }, (_, i) => ({ type: TYPE_FIRST + i, bytes: headerBytes(TYPE_FIRST + i) }));
export const DATA_HEADER_BYTES = headerBytes(HomaType.DATA);

/**
 * The smallest IP end (frame position) of a frame whose TCP-style checksum decides anything:
 * a shorter datagram fails 'short' (L4 < 28 bytes) or 'bad_ip' first. Bytes before it never
 * need masking by the IP end.
 */
export const MIN_CHECKED_IP_END = V4.l4 + COMMON_HLEN;

/**
 * The checksum window (spec §1.7): the TCP pseudo-header is saddr, daddr, zero, protocol 6 and
 * the L4 length; in a frame, the addresses sit right before the L4 start in both IP versions.
 * So the parser sums one window of the frame, [addresses, IP end), plus the IP length word
 * itself, and accounts for the rest of the pseudo-header (protocol 6, and for IPv4 the 20
 * bytes of IP header inside total_length) with a constant: see checksumTarget.
 * What a byte at `pos` contributes, by IP version.
 */
export function checksumWindow(pos: number): 'all' | 'ipv4' | 'ipv6' | 'none' {
  if (pos >= V4.saddr) return 'all';                                      // v4 addresses; inside v6's
  if (pos >= V6.saddr) return 'ipv6';
  if (pos === V6.payloadLength || pos === V6.payloadLength + 1) return 'ipv6';
  if (pos === V4.totalLength || pos === V4.totalLength + 1) return 'ipv4';
  return 'none';
}

/**
 * What the folded window sum (fold(S), ones' complement, 1..0xFFFF) must be for the checksum
 * to verify. The pseudo-header adds 6 + L4 length; the window holds the IP length word, which
 * is the L4 length for IPv6 and L4 length + 20 for IPv4 (and x - 20 = x + 0xFFEB in ones'
 * complement). So the whole sum is S + K with K = 6 (IPv6) or 6 + 0xFFEB (IPv4), and it
 * verifies when S + K = 0 (mod 0xFFFF), i.e. fold(S) = 0xFFFF - K.
 */
export function checksumTarget(ipv6: boolean): number {
  const k = ipv6 ? 6 : 6 + 0xffff - IPV4_HLEN;
  return 0xffff - (k % 0xffff);
}

/**
 * The two values the first fold (low half + high half of a 32-bit sum, 17 bits) can take
 * when the full fold equals `target` (1..0xFFFF): target itself, or target + 0xFFFF (a carry
 * out of the first fold, added back by the second).
 */
export function firstFoldValues(target: number): readonly [number, number] {
  return [target, target + 0xffff];
}

/** Beat index and lane of frame position `pos` at `B` bytes per beat. */
export function beatOf(pos: number, B: number): number { return Math.floor(pos / B); }
export function laneOf(pos: number, B: number): number { return pos % B; }

/** The beat after which the IP length fields (IPv4 total length, IPv6 payload length) are known. */
export function lengthBeat(B: number): number { return beatOf(V6.payloadLength + 1, B); }

/** Consecutive runs of equal keys: [first, last, key] for keys(0..n-1). */
export function runs<K>(n: number, key: (i: number) => K): [number, number, K][] {
  const out: [number, number, K][] = [];
  for (let i = 0; i < n; i++) {
    const k = key(i);
    const last = out[out.length - 1];
    if (last && last[2] === k && last[1] === i - 1) last[1] = i;
    else out.push([i, i, k]);
  }
  return out;
}
