// hw/homa/wire/layouts.ts — every header Homa puts on the wire, declared once as DSL records.
//
// The hardware parser/builder and the software codec (codec.ts) both read these records:
// field order is wire order and the first field is the most significant, i.e. big-endian, as
// every multi-byte Homa field is (homa-protocol.md, "Conventions"). Wire arrays (CUTOFFS'
// unsched_cutoffs[8], ACK's acks[5]) are records of numbered fields rather than `vec`s,
// because a DSL vec packs element 0 in the least significant bits while the wire puts
// element 0 first.

import { record, u } from '../../hdl/layout.ts';
import type { Fields, Layout, RecordLayout } from '../../hdl/layout.ts';

/** Ethernet II header (no preamble, no FCS): what an Endpoint frame starts with. */
export const ethernetHeader = record({
  dst: u(48),
  src: u(48),
  ethertype: u(16),
}, 'eth_hdr');

/** IPv4 header without options (IHL 5); Homa never sends options. */
export const ipv4Header = record({
  version: u(4),
  ihl: u(4),
  tos: u(8),
  total_length: u(16),
  identification: u(16),
  ip_flags: u(3),
  fragment_offset: u(13),
  ttl: u(8),
  protocol: u(8),
  header_checksum: u(16),
  saddr: u(32),
  daddr: u(32),
}, 'ipv4_hdr');

/** IPv6 fixed header; Homa uses no extension headers. */
export const ipv6Header = record({
  version: u(4),
  traffic_class: u(8),
  flow_label: u(20),
  payload_length: u(16),
  next_header: u(8),
  hop_limit: u(8),
  saddr: u(128),
  daddr: u(128),
}, 'ipv6_hdr');

/** `struct homa_common_hdr`, 28 bytes, overlaying a TCP header (spec §1.2). */
export const commonHeader = record({
  sport: u(16),
  dport: u(16),
  sequence: u(32),
  ack: u(24),
  type: u(8),
  doff: u(8),
  flags: u(8),
  window: u(16),
  checksum: u(16),
  urgent: u(16),
  sender_id: u(64),
}, 'homa_common_hdr');

/** `struct homa_ack` (spec §1.3): a client id (even, 0 = empty) and the server's port. */
export const homaAck = record({
  client_id: u(64),
  server_port: u(16),
}, 'homa_ack');

/** `struct homa_data_hdr`, 56 bytes before the payload (spec §1.4). */
export const dataHeader = record({
  common: commonHeader,
  message_length: u(32),
  incoming: u(32),
  ack: homaAck,
  cutoff_version: u(16),
  retransmit: u(8),
  pad: u(24),
  seg: record({ offset: u(32) }, 'homa_seg_hdr'),
}, 'homa_data_hdr');

/** GRANT, 33 bytes (spec §1.3). */
export const grantHeader = record({
  common: commonHeader,
  offset: u(32),
  priority: u(8),
}, 'homa_grant_hdr');

/** RESEND, 37 bytes (spec §1.3). */
export const resendHeader = record({
  common: commonHeader,
  offset: u(32),
  length: u(32),
  priority: u(8),
}, 'homa_resend_hdr');

/** CUTOFFS, 62 bytes (spec §1.3): eight u32 cutoffs, element 0 first on the wire. */
export const cutoffsHeader = record({
  common: commonHeader,
  unsched_cutoffs: wireArray(u(32), 8, 'homa_cutoffs'),
  cutoff_version: u(16),
}, 'homa_cutoffs_hdr');

/** ACK, 80 bytes (spec §1.3): up to HOMA_MAX_ACKS_PER_PKT = 5 acks. */
export const ackHeader = record({
  common: commonHeader,
  num_acks: u(16),
  acks: wireArray(homaAck, 5, 'homa_acks'),
}, 'homa_ack_hdr');

/** A wire array as a record with fields e0, e1, ...: element 0 is the most significant. */
export function wireArray(element: Layout, length: number, name: string): RecordLayout {
  const fields: { [k: string]: Layout } = {};
  for (let i = 0; i < length; i++) fields[`e${i}`] = element;
  return record(fields as Fields, name);
}

/** Bytes a record occupies (records here are whole bytes by construction). */
export function byteSize(layout: RecordLayout): number {
  return layout.width / 8;
}
