// hw/homa/wire/build.ts — packets with the fields a conforming sender always writes.
//
// Spec §7 item 1: flags 0x06, urgent 0xB97D, doff 5 for control packets and 14 for DATA;
// DATA carries its offset in both sequence and seg.offset (§1.4, §7 item 2); control packets
// carry sequence 0 (§1.2).

import { DOFF_CONTROL, DOFF_DATA, HOMA_FLAGS, HOMA_URGENT, HomaType } from './types.ts';
import type { AckPacket, BareControlPacket, CommonFields, CutoffsPacket, DataPacket, GrantPacket, HomaAck, ResendPacket } from './types.ts';

function common(sport: number, dport: number, senderId: bigint, doff: number, sequence = 0): CommonFields {
  return { sport, dport, sequence, doff, flags: HOMA_FLAGS, checksum: 0, urgent: HOMA_URGENT, sender_id: senderId };
}

export interface DataFields {
  message_length: number; incoming: number; offset: number; payload: Uint8Array;
  ack?: HomaAck; cutoff_version?: number; retransmit?: number; pad?: number;
}
/** The ack field of a DATA packet that carries none; packets are read-only, so one object serves all. */
const NO_ACK: HomaAck = Object.freeze({ client_id: 0n, server_port: 0 });

export function dataPacket(sport: number, dport: number, senderId: bigint, f: DataFields): DataPacket {
  // Written out field by field (no spread): this runs once per DATA packet in the model.
  return {
    sport, dport, sequence: f.offset, doff: DOFF_DATA, flags: HOMA_FLAGS, checksum: 0, urgent: HOMA_URGENT,
    sender_id: senderId, type: HomaType.DATA,
    message_length: f.message_length, incoming: f.incoming, ack: f.ack ?? NO_ACK,
    cutoff_version: f.cutoff_version ?? 0, retransmit: f.retransmit ?? 0, pad: f.pad ?? 0,
    seg: { offset: f.offset }, offset: f.offset, payload: f.payload,
  };
}
export function grantPacket(sport: number, dport: number, senderId: bigint, offset: number, priority: number): GrantPacket {
  return { sport, dport, sequence: 0, doff: DOFF_CONTROL, flags: HOMA_FLAGS, checksum: 0, urgent: HOMA_URGENT,
    sender_id: senderId, type: HomaType.GRANT, offset, priority };
}
export function resendPacket(sport: number, dport: number, senderId: bigint, offset: number, length: number, priority: number): ResendPacket {
  return { ...common(sport, dport, senderId, DOFF_CONTROL), type: HomaType.RESEND, offset, length, priority };
}
export function cutoffsPacket(sport: number, dport: number, senderId: bigint, cutoffs: readonly number[], version: number): CutoffsPacket {
  return { ...common(sport, dport, senderId, DOFF_CONTROL), type: HomaType.CUTOFFS, unsched_cutoffs: [...cutoffs], cutoff_version: version };
}
export function ackPacket(sport: number, dport: number, senderId: bigint, acks: readonly HomaAck[]): AckPacket {
  return { ...common(sport, dport, senderId, DOFF_CONTROL), type: HomaType.ACK, num_acks: acks.length, acks: [...acks] };
}
export function bareControl(type: BareControlPacket['type'], sport: number, dport: number, senderId: bigint): BareControlPacket {
  return { ...common(sport, dport, senderId, DOFF_CONTROL), type };
}
