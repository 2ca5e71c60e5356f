// hw/homa/wire/codec.ts — encode and decode Homa packets (IPv4/IPv6, optional Ethernet).
//
// Every offset comes from the records in layouts.ts. Decoding never throws on bad bytes: it
// returns a WireError naming what was wrong. The payload of a decoded DATA packet is a view
// into the input (no copy).

import { ackHeader, commonHeader, cutoffsHeader, dataHeader, ethernetHeader, grantHeader, ipv4Header, ipv6Header, resendHeader, byteSize } from './layouts.ts';
import * as F from './fields.ts';
import * as Sum from './checksum.ts';
import { HOMA_FLAGS, HOMA_MAX_ACKS_PER_PKT, HOMA_MAX_MESSAGE_LENGTH, HOMA_URGENT, HomaType, IPPROTO_HOMA, IPPROTO_TCP, SEG_OFFSET_FROM_SEQUENCE } from './types.ts';
import type { DecodeResult, HomaAck, HomaPacket, IpFields, WireError, WireErrorKind } from './types.ts';

// Local copies of the accessors: module loaders that turn imports into property getters (tsx,
// vitest) would otherwise pay a getter call per field on the per-packet path.
const { homaChecksum, ipv4HeaderChecksum } = Sum;
const { byteOffset, field, rd16, rd24, rd32, rd64, rd8, rdBits, wr16, wr24, wr32, wr64, wr8, wrBits } = F;

// Sizes (spec §1.3 header_lengths).
export const ETH_HLEN = byteSize(ethernetHeader);
export const IPV4_HLEN = byteSize(ipv4Header);
export const IPV6_HLEN = byteSize(ipv6Header);
export const COMMON_HLEN = byteSize(commonHeader);
export const DATA_HLEN = byteSize(dataHeader);
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Minimum Ethernet frame without FCS; shorter frames are padded, as a MAC does. */
export const ETH_MIN_FRAME = 60;

const HEADER_BYTES: Readonly<Record<number, number>> = {
  [HomaType.DATA]: DATA_HLEN,
  [HomaType.GRANT]: byteSize(grantHeader),
  [HomaType.RESEND]: byteSize(resendHeader),
  [HomaType.RPC_UNKNOWN]: COMMON_HLEN,
  [HomaType.BUSY]: COMMON_HLEN,
  [HomaType.CUTOFFS]: byteSize(cutoffsHeader),
  [HomaType.FREEZE]: COMMON_HLEN,
  [HomaType.NEED_ACK]: COMMON_HLEN,
  [HomaType.ACK]: byteSize(ackHeader),
};
/** Bytes of Homa header a packet of `type` occupies (DATA: before the payload). */
export function headerBytes(type: number): number { return HEADER_BYTES[type] ?? 0; }

const c = (p: string): number => byteOffset(commonHeader, p);
const C = {
  sport: c('sport'), dport: c('dport'), sequence: c('sequence'), ack: c('ack'), type: c('type'),
  doff: c('doff'), flags: c('flags'), window: c('window'), checksum: c('checksum'), urgent: c('urgent'),
  sender_id: c('sender_id'),
};
const d = (p: string): number => byteOffset(dataHeader, p);
const D = {
  message_length: d('message_length'), incoming: d('incoming'), ack_client_id: d('ack.client_id'),
  ack_server_port: d('ack.server_port'), cutoff_version: d('cutoff_version'), retransmit: d('retransmit'),
  pad: d('pad'), seg_offset: d('seg.offset'),
};
const G = { offset: byteOffset(grantHeader, 'offset'), priority: byteOffset(grantHeader, 'priority') };
const R = {
  offset: byteOffset(resendHeader, 'offset'), length: byteOffset(resendHeader, 'length'),
  priority: byteOffset(resendHeader, 'priority'),
};
const K = {
  cutoff0: byteOffset(cutoffsHeader, 'unsched_cutoffs.e0'), cutoff_version: byteOffset(cutoffsHeader, 'cutoff_version'),
};
const A = {
  num_acks: byteOffset(ackHeader, 'num_acks'), ack0: byteOffset(ackHeader, 'acks.e0.client_id'),
  port0: byteOffset(ackHeader, 'acks.e0.server_port'), stride: byteOffset(ackHeader, 'acks.e1.client_id') - byteOffset(ackHeader, 'acks.e0.client_id'),
};
const V4 = {
  version: field(ipv4Header, 'version'), ihl: field(ipv4Header, 'ihl'), tos: byteOffset(ipv4Header, 'tos'),
  total_length: byteOffset(ipv4Header, 'total_length'), identification: byteOffset(ipv4Header, 'identification'),
  ip_flags: field(ipv4Header, 'ip_flags'), fragment_offset: field(ipv4Header, 'fragment_offset'),
  ttl: byteOffset(ipv4Header, 'ttl'), protocol: byteOffset(ipv4Header, 'protocol'),
  header_checksum: byteOffset(ipv4Header, 'header_checksum'), saddr: byteOffset(ipv4Header, 'saddr'),
  daddr: byteOffset(ipv4Header, 'daddr'),
};
const V6 = {
  version: field(ipv6Header, 'version'), traffic_class: field(ipv6Header, 'traffic_class'),
  flow_label: field(ipv6Header, 'flow_label'), payload_length: byteOffset(ipv6Header, 'payload_length'),
  next_header: byteOffset(ipv6Header, 'next_header'), hop_limit: byteOffset(ipv6Header, 'hop_limit'),
  saddr: byteOffset(ipv6Header, 'saddr'), daddr: byteOffset(ipv6Header, 'daddr'),
};
if (V4.ip_flags.byte !== V4.fragment_offset.byte || V4.ip_flags.width + V4.fragment_offset.width !== 16) {
  throw new Error('ipv4Header: ip_flags and fragment_offset must share one 16-bit word');
}
const E = { dst: byteOffset(ethernetHeader, 'dst'), src: byteOffset(ethernetHeader, 'src'), ethertype: byteOffset(ethernetHeader, 'ethertype') };

/** Homa header + payload bytes of `pkt` when encoded. */
export function homaBytes(pkt: HomaPacket): number {
  return pkt.type === HomaType.DATA ? DATA_HLEN + pkt.payload.length : headerBytes(pkt.type);
}
/** IP datagram bytes of `pkt` on an IP of `version`. */
export function ipBytes(version: 4 | 6, pkt: HomaPacket): number {
  return (version === 4 ? IPV4_HLEN : IPV6_HLEN) + homaBytes(pkt);
}

export interface EncodeOptions {
  /** 'compute' (default) writes the TCP-style checksum; 'keep' writes `pkt.checksum`. */
  checksum?: 'compute' | 'keep';
  /** false: leave DATA payload bytes zero (lengths stay exact; for runs that don't check bytes). */
  copyPayload?: boolean;
  /** Where frames come from (default: a new zeroed Uint8Array per frame). */
  alloc?: (bytes: number) => Uint8Array;
}

/** Write the IP datagram for `pkt` at `off` of `buf`; returns the bytes written. */
export function encodeInto(buf: Uint8Array, off: number, ip: IpFields, pkt: HomaPacket, opt: EncodeOptions = {}): number {
  const hlen = homaBytes(pkt);
  const ipLen = ip.version === 4 ? IPV4_HLEN : IPV6_HLEN;
  const h = off + ipLen;
  const tos = (ip.priority & 7) << 5;                  // spec §1.5: priority in the top 3 bits
  if (ip.version === 4) {
    // Written at offsets from `off` (no view per packet: this runs once per frame).
    wrBitsAt(buf, off, V4.version, 4); wrBitsAt(buf, off, V4.ihl, IPV4_HLEN / 4);
    wr8(buf, off + V4.tos, tos); wr16(buf, off + V4.total_length, ipLen + hlen); wr16(buf, off + V4.identification, ip.flow);
    wr16(buf, off + V4.ip_flags.byte, 0);               // flags and fragment offset: never fragmented (§1.1)
    wr8(buf, off + V4.ttl, ip.ttl); wr8(buf, off + V4.protocol, ip.protocol);
    wr16(buf, off + V4.header_checksum, 0); copy4(buf, off, h, V4.saddr, ip.saddr); copy4(buf, off, h, V4.daddr, ip.daddr);
    wr16(buf, off + V4.header_checksum, ipv4HeaderChecksum(buf, off, IPV4_HLEN));
  } else {
    const v = buf.subarray(off, h);
    wrBits(v, V6.version, 6); wrBits(v, V6.traffic_class, tos); wrBits(v, V6.flow_label, ip.flow);
    wr16(v, V6.payload_length, hlen); wr8(v, V6.next_header, ip.protocol); wr8(v, V6.hop_limit, ip.ttl);
    v.set(ip.saddr, V6.saddr); v.set(ip.daddr, V6.daddr);
  }
  const b = buf;
  wr16(b, h + C.sport, pkt.sport); wr16(b, h + C.dport, pkt.dport); wr32(b, h + C.sequence, pkt.sequence);
  wr24(b, h + C.ack, 0); wr8(b, h + C.type, pkt.type); wr8(b, h + C.doff, pkt.doff); wr8(b, h + C.flags, pkt.flags);
  wr16(b, h + C.window, 0); wr16(b, h + C.checksum, 0); wr16(b, h + C.urgent, pkt.urgent);
  wr64(b, h + C.sender_id, pkt.sender_id);
  switch (pkt.type) {
    case HomaType.DATA:
      wr32(b, h + D.message_length, pkt.message_length); wr32(b, h + D.incoming, pkt.incoming);
      wr64(b, h + D.ack_client_id, pkt.ack.client_id); wr16(b, h + D.ack_server_port, pkt.ack.server_port);
      wr16(b, h + D.cutoff_version, pkt.cutoff_version); wr8(b, h + D.retransmit, pkt.retransmit);
      wr24(b, h + D.pad, pkt.pad); wr32(b, h + D.seg_offset, pkt.seg.offset);
      if (opt.copyPayload !== false) b.set(pkt.payload, h + DATA_HLEN);
      break;
    case HomaType.GRANT:
      wr32(b, h + G.offset, pkt.offset); wr8(b, h + G.priority, pkt.priority);
      break;
    case HomaType.RESEND:
      wr32(b, h + R.offset, pkt.offset); wr32(b, h + R.length, pkt.length); wr8(b, h + R.priority, pkt.priority);
      break;
    case HomaType.CUTOFFS:
      for (let i = 0; i < 8; i++) wr32(b, h + K.cutoff0 + 4 * i, pkt.unsched_cutoffs[i] ?? 0);
      wr16(b, h + K.cutoff_version, pkt.cutoff_version);
      break;
    case HomaType.ACK:
      wr16(b, h + A.num_acks, pkt.num_acks);
      for (let i = 0; i < HOMA_MAX_ACKS_PER_PKT; i++) {
        const a = pkt.acks[i];
        wr64(b, h + A.ack0 + A.stride * i, a ? a.client_id : 0n);
        wr16(b, h + A.port0 + A.stride * i, a ? a.server_port : 0);
      }
      break;
    default:
      break;
  }
  const sum = opt.checksum === 'keep' ? pkt.checksum
    : homaChecksum(b, h, hlen, ip.saddr, ip.daddr);
  wr16(b, h + C.checksum, sum);
  return ipLen + hlen;
}

/** wrBits for a field of a header that starts at `base` of `b`. */
function wrBitsAt(b: Uint8Array, base: number, f: F.WireField, value: number): void {
  if (f.width + f.shift <= 8) {
    const mask = ((1 << f.width) - 1) << f.shift;
    b[base + f.byte] = (b[base + f.byte]! & ~mask) | ((value << f.shift) & mask);
  } else wrBits(b.subarray(base), f, value);
}

/** An IPv4 address at `at` of the header [start, end) of `b` (a byte loop: TypedArray.set costs more for 4 bytes). */
function copy4(b: Uint8Array, start: number, end: number, at: number, a: Uint8Array): void {
  if (a.length !== 4) { b.subarray(start, end).set(a, at); return; }
  const o = start + at;
  b[o] = a[0]!; b[o + 1] = a[1]!; b[o + 2] = a[2]!; b[o + 3] = a[3]!;
}

/** The IP datagram (from the IP header on) for `pkt`. */
export function encodeIp(ip: IpFields, pkt: HomaPacket, opt?: EncodeOptions): Uint8Array {
  const buf = new Uint8Array(ipBytes(ip.version, pkt));
  encodeInto(buf, 0, ip, pkt, opt);
  return buf;
}

/** A whole Ethernet frame (no FCS), padded to 60 bytes; MACs are 48-bit numbers. */
export function encodeFrame(dstMac: number, srcMac: number, ip: IpFields, pkt: HomaPacket, opt?: EncodeOptions): Uint8Array {
  const len = ETH_HLEN + ipBytes(ip.version, pkt);
  const n = len < ETH_MIN_FRAME ? ETH_MIN_FRAME : len;
  const buf = opt?.alloc ? opt.alloc(n) : new Uint8Array(n);
  writeMac(buf, E.dst, dstMac); writeMac(buf, E.src, srcMac);
  wr16(buf, E.ethertype, ip.version === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
  encodeInto(buf, ETH_HLEN, ip, pkt, opt);
  return buf;
}

function writeMac(b: Uint8Array, o: number, mac: number): void {
  wr16(b, o, Math.floor(mac / 0x100000000)); wr32(b, o + 2, mac % 0x100000000);
}
export function readMac(b: Uint8Array, o: number): number { return rd16(b, o) * 0x100000000 + rd32(b, o + 2); }

function fail(kind: WireErrorKind, detail: string): WireError { return { ok: false, kind, detail }; }

export interface DecodeOptions {
  /** Verify the TCP-style checksum into `checksumOk` (default true; receivers may skip it, §1.7). */
  checksum?: boolean;
}

/** Decode an Ethernet frame carrying a Homa packet. */
export function decodeFrame(frame: Uint8Array, opt?: DecodeOptions): DecodeResult {
  if (frame.length < ETH_HLEN) return fail('too_short', `frame of ${frame.length} bytes has no Ethernet header`);
  const et = rd16(frame, E.ethertype);
  if (et !== ETHERTYPE_IPV4 && et !== ETHERTYPE_IPV6) return fail('not_homa', `ethertype 0x${et.toString(16)} is not IP`);
  // The ethertype says which IP this is; a version nibble that disagrees is a bad header.
  return decodeIpAs(frame.subarray(ETH_HLEN), et === ETHERTYPE_IPV4 ? 4 : 6, opt);
}

/** Decode an IP datagram (from the IP header on; trailing Ethernet padding is ignored). */
export function decodeIp(b: Uint8Array, opt?: DecodeOptions): DecodeResult {
  if (b.length < 1) return fail('too_short', 'empty datagram');
  return decodeIpAs(b, b[0]! >> 4, opt);
}

/**
 * Decode `b` as IP version `version` (from the link layer, or from the nibble itself).
 * The checks and their order are the ones the receive parser in RTL makes
 * (hw/homa/engine/rx_parser.ts), so both count every bad frame under the same reason.
 */
function decodeIpAs(b: Uint8Array, version: number, opt?: DecodeOptions): DecodeResult {
  let h: number;
  let end: number;
  let ip: IpFields;
  if (version === 4) {
    if (b.length < IPV4_HLEN) return fail('too_short', `${b.length} bytes is shorter than an IPv4 header`);
    const nibble = rdBits(b, V4.version);
    if (nibble !== 4) return fail('bad_ip_header', `IP version ${nibble} in an IPv4 packet`);
    const ihl = rdBits(b, V4.ihl) * 4;
    const total = rd16(b, V4.total_length);
    // Homa never sends IP options (§1.1), and the receive parser knows where the Homa header
    // is only for a 20-byte IPv4 header.
    if (ihl !== IPV4_HLEN) return fail('bad_ip_header', `IPv4 header length ${ihl} (options are not accepted)`);
    if (total < ihl || total > b.length) return fail('bad_ip_header', `IPv4 total length ${total} with ${b.length} bytes present`);
    if ((rdBits(b, V4.ip_flags) & 1) !== 0 || rdBits(b, V4.fragment_offset) !== 0) return fail('bad_ip_header', 'IPv4 fragment');
    if (ipv4HeaderChecksum(b, 0, ihl) !== rd16(b, V4.header_checksum)) return fail('bad_ip_header', 'IPv4 header checksum');
    h = ihl; end = total;
    ip = { version: 4, priority: rd8(b, V4.tos) >> 5, flow: rd16(b, V4.identification), ttl: rd8(b, V4.ttl),
      protocol: rd8(b, V4.protocol), saddr: b.subarray(V4.saddr, V4.saddr + 4), daddr: b.subarray(V4.daddr, V4.daddr + 4) };
  } else if (version === 6) {
    if (b.length < IPV6_HLEN) return fail('too_short', `${b.length} bytes is shorter than an IPv6 header`);
    const nibble = rdBits(b, V6.version);
    if (nibble !== 6) return fail('bad_ip_header', `IP version ${nibble} in an IPv6 packet`);
    const plen = rd16(b, V6.payload_length);
    if (IPV6_HLEN + plen > b.length) return fail('bad_ip_header', `IPv6 payload length ${plen} with ${b.length - IPV6_HLEN} bytes present`);
    h = IPV6_HLEN; end = IPV6_HLEN + plen;
    ip = { version: 6, priority: rdBits(b, V6.traffic_class) >> 5, flow: rdBits(b, V6.flow_label), ttl: rd8(b, V6.hop_limit),
      protocol: rd8(b, V6.next_header), saddr: b.subarray(V6.saddr, V6.saddr + 16), daddr: b.subarray(V6.daddr, V6.daddr + 16) };
  } else {
    return fail('bad_ip_header', `IP version ${version}`);
  }
  const len = end - h;
  if (ip.protocol !== IPPROTO_HOMA && ip.protocol !== IPPROTO_TCP) return fail('not_homa', `IP protocol ${ip.protocol}`);
  if (len < COMMON_HLEN) return fail('too_short', `${len} bytes is shorter than the Homa common header`);
  // A TCP segment is Homa only with both hijack markers (spec §1.6).
  if (ip.protocol === IPPROTO_TCP && (rd8(b, h + C.flags) !== HOMA_FLAGS || rd16(b, h + C.urgent) !== HOMA_URGENT)) {
    return fail('not_homa', 'TCP segment without Homa markers');
  }
  const type = rd8(b, h + C.type);
  const need = HEADER_BYTES[type];
  if (need === undefined) return fail('unknown_type', `packet type 0x${type.toString(16)}`);
  if (len < need) return fail('too_short', `type 0x${type.toString(16)} needs ${need} bytes, got ${len}`);
  let packet: HomaPacket;
  if (type === HomaType.DATA) {
    // The per-packet path: one object literal, no spreads.
    const sequence = rd32(b, h + C.sequence);
    const message_length = rd32(b, h + D.message_length);
    const segOffset = rd32(b, h + D.seg_offset);
    const offset = segOffset === SEG_OFFSET_FROM_SEQUENCE ? sequence : segOffset;  // §1.4
    const payload = b.subarray(h + DATA_HLEN, end);
    if (message_length === 0 || message_length > HOMA_MAX_MESSAGE_LENGTH) return fail('bad_length', `message_length ${message_length}`);
    if (offset + payload.length > message_length) return fail('bad_length', `payload [${offset}, ${offset + payload.length}) beyond message_length ${message_length}`);
    packet = { sport: rd16(b, h + C.sport), dport: rd16(b, h + C.dport), sequence, doff: rd8(b, h + C.doff),
      flags: rd8(b, h + C.flags), checksum: rd16(b, h + C.checksum), urgent: rd16(b, h + C.urgent),
      sender_id: rd64(b, h + C.sender_id), type, message_length, incoming: rd32(b, h + D.incoming),
      ack: { client_id: rd64(b, h + D.ack_client_id), server_port: rd16(b, h + D.ack_server_port) },
      cutoff_version: rd16(b, h + D.cutoff_version), retransmit: rd8(b, h + D.retransmit), pad: rd24(b, h + D.pad),
      seg: { offset: segOffset }, offset, payload };
  } else {
    const control = decodeControl(b, h, type);
    if ('ok' in control) return control;
    packet = control;
  }
  const checksumOk = opt?.checksum === false ? true : homaChecksum(b, h, len, ip.saddr, ip.daddr) === packet.checksum;
  return { ok: true, ip, packet, checksumOk };
}

function decodeControl(b: Uint8Array, h: number, type: number): HomaPacket | WireError {
  const common = {
    sport: rd16(b, h + C.sport), dport: rd16(b, h + C.dport), sequence: rd32(b, h + C.sequence),
    doff: rd8(b, h + C.doff), flags: rd8(b, h + C.flags), checksum: rd16(b, h + C.checksum),
    urgent: rd16(b, h + C.urgent), sender_id: rd64(b, h + C.sender_id),
  };
  let packet: HomaPacket;
  switch (type) {
    case HomaType.GRANT:                                 // the common control packet: no spread
      packet = { sport: common.sport, dport: common.dport, sequence: common.sequence, doff: common.doff, flags: common.flags,
        checksum: common.checksum, urgent: common.urgent, sender_id: common.sender_id, type,
        offset: rd32(b, h + G.offset), priority: rd8(b, h + G.priority) };
      break;
    case HomaType.RESEND:
      packet = { ...common, type, offset: rd32(b, h + R.offset), length: rd32(b, h + R.length), priority: rd8(b, h + R.priority) };
      break;
    case HomaType.CUTOFFS: {
      const unsched_cutoffs: number[] = [];
      for (let i = 0; i < 8; i++) unsched_cutoffs.push(rd32(b, h + K.cutoff0 + 4 * i));
      packet = { ...common, type, unsched_cutoffs, cutoff_version: rd16(b, h + K.cutoff_version) };
      break;
    }
    case HomaType.ACK: {
      const num_acks = rd16(b, h + A.num_acks);
      if (num_acks > HOMA_MAX_ACKS_PER_PKT) return fail('bad_length', `num_acks ${num_acks} > ${HOMA_MAX_ACKS_PER_PKT}`);
      const acks: HomaAck[] = [];
      for (let i = 0; i < num_acks; i++) {
        acks.push({ client_id: rd64(b, h + A.ack0 + A.stride * i), server_port: rd16(b, h + A.port0 + A.stride * i) });
      }
      packet = { ...common, type, num_acks, acks };
      break;
    }
    default:
      packet = { ...common, type: type as 0x13 | 0x14 | 0x16 | 0x17 };
  }
  return packet;
}
