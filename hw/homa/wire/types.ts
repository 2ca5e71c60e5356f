// hw/homa/wire/types.ts — the decoded form of Homa packets, with the spec's field names
// (homa-protocol.md §1.2-§1.4) so a decoded packet reads like the C structs.

/** Packet type codes (spec §1.3, enum homa_packet_type). */
export const HomaType = {
  DATA: 0x10,
  GRANT: 0x11,
  RESEND: 0x12,
  RPC_UNKNOWN: 0x13,
  BUSY: 0x14,
  CUTOFFS: 0x15,
  FREEZE: 0x16,
  NEED_ACK: 0x17,
  ACK: 0x18,
} as const;
export type HomaTypeName = keyof typeof HomaType;
export type HomaTypeCode = (typeof HomaType)[HomaTypeName];

export const IPPROTO_HOMA = 146;
export const IPPROTO_TCP = 6;
/** Markers every Homa packet carries (spec §1.6): SYN|RST flags and the urgent value. */
export const HOMA_FLAGS = 0x06;
export const HOMA_URGENT = 0xb97d;
/** doff values (spec §1.2): high nibble = header words. */
export const DOFF_CONTROL = 5 << 4;
export const DOFF_DATA = 14 << 4;
export const DOFF_DATA_GSO = 13 << 4;
export const HOMA_MAX_MESSAGE_LENGTH = 1_000_000;
export const HOMA_MAX_ACKS_PER_PKT = 5;
export const HOMA_MAX_PRIORITIES = 8;
/** RESEND length meaning "everything you have sent" (spec §1.3). */
export const RESEND_ALL = 0xffffffff;
/** seg.offset meaning "take the offset from common.sequence" (spec §1.4). */
export const SEG_OFFSET_FROM_SEQUENCE = 0xffffffff;

/** Fields every packet starts with; `sender_id` is the sender's RPC id (spec §1.2). */
export interface CommonFields {
  sport: number;
  dport: number;
  sequence: number;
  doff: number;
  flags: number;
  checksum: number;
  urgent: number;
  sender_id: bigint;
}

export interface HomaAck { client_id: bigint; server_port: number }

export interface DataPacket extends CommonFields {
  type: typeof HomaType.DATA;
  message_length: number;
  incoming: number;
  ack: HomaAck;
  cutoff_version: number;
  retransmit: number;
  /** Zero for HomaModule. Bit 0 is this project's incast hint (SIGCOMM'18 §3.6, model README). */
  pad: number;
  seg: { offset: number };
  /** The payload's message offset after the 0xFFFFFFFF rule of spec §1.4 (decode only). */
  offset: number;
  payload: Uint8Array;
}
export interface GrantPacket extends CommonFields { type: typeof HomaType.GRANT; offset: number; priority: number }
export interface ResendPacket extends CommonFields {
  type: typeof HomaType.RESEND; offset: number; length: number; priority: number;
}
export interface CutoffsPacket extends CommonFields {
  type: typeof HomaType.CUTOFFS; unsched_cutoffs: number[]; cutoff_version: number;
}
export interface AckPacket extends CommonFields { type: typeof HomaType.ACK; num_acks: number; acks: HomaAck[] }
export interface BareControlPacket extends CommonFields {
  type: typeof HomaType.RPC_UNKNOWN | typeof HomaType.BUSY | typeof HomaType.NEED_ACK | typeof HomaType.FREEZE;
}
export type HomaPacket = DataPacket | GrantPacket | ResendPacket | CutoffsPacket | AckPacket | BareControlPacket;

/** The IP header fields the codec reads and writes; addresses are 4 (v4) or 16 (v6) bytes. */
export interface IpFields {
  version: 4 | 6;
  /** Homa priority level on the wire: top 3 bits of TOS / traffic class (spec §1.5). */
  priority: number;
  /** IPv4 identification / IPv6 flow label (not interpreted by Homa). */
  flow: number;
  /** TTL / hop limit. */
  ttl: number;
  /** 146, or 6 for hijacked packets (spec §1.6). */
  protocol: number;
  saddr: Uint8Array;
  daddr: Uint8Array;
}

export type WireErrorKind = 'too_short' | 'bad_ip_header' | 'not_homa' | 'unknown_type' | 'bad_length';
export interface WireError { ok: false; kind: WireErrorKind; detail: string }
export interface Decoded { ok: true; ip: IpFields; packet: HomaPacket; checksumOk: boolean }
export type DecodeResult = Decoded | WireError;
