// sim/model/types.ts — the model's host-facing types. They mirror the ABI's send descriptors
// and completion entries (hw/homa/abi/records.ts) field for field, so what the host library
// does against the model holds for the hardware. Ids and cookies are JS numbers here (exact
// up to 2^53; client ids count up from 2, spec §1.2); the ABI carries them as 64 bits.

import { CompletionType, type HostCompletion } from '../../hw/homa/abi.ts';

export { CompletionType };
export type CompletionTypeCode = (typeof CompletionType)[keyof typeof CompletionType];

/** A send descriptor of opcode REQUEST (spec §2.2 sendmsg with id 0). */
export interface RequestArgs {
  /** Server address: 4 bytes (IPv4) or 16 (IPv6), the same family as the NIC's. */
  peer: Uint8Array;
  dport: number;
  /** The message; or `length` alone when the NIC runs without payload copies. */
  payload?: Uint8Array;
  length?: number;
  cookie?: number;
  /** HOMA_SENDMSG_PRIVATE (§2.1): the response completes only for a wait on this id. */
  private?: boolean;
  /** Post an ACCEPTED completion with the id (ABI flag NOTIFY_ID). */
  notifyId?: boolean;
  /** Post a TX_DONE completion once the NIC will never read `payload` again (ABI flag NOTIFY_TX_DONE). */
  notifyTxDone?: boolean;
}

/**
 * A send descriptor of opcode REPLY: `id` and `peer` from the REQUEST completion. Server ids
 * are unique per client host only (§1.2), so the client's address is part of the name, as
 * msg_name is for sendmsg (§2.2). Without `peer` the queue pair's first server RPC with that
 * id is answered, which is only safe with a single client host.
 */
export interface ReplyArgs {
  id: number;
  peer?: Uint8Array;
  /** The client's port (the REPLY descriptor's dport); absent or 0: any port of that peer. */
  dport?: number;
  payload?: Uint8Array;
  length?: number;
  /** Post a TX_DONE completion once the NIC will never read `payload` again (ABI flag NOTIFY_TX_DONE). */
  notifyTxDone?: boolean;
}

/**
 * One completion (ABI completionEntry, plus its CONTINUATION entry when there are more than
 * COMPLETION_INLINE_BPAGES bpage offsets: the two entries are one completion): the ABI's
 * HostCompletion (hw/homa/abi/records.ts), with JS-number ids.
 */
export interface Completion extends HostCompletion<number> {
  type: CompletionTypeCode;
}

export const ETIMEDOUT = 110;
export const ENOTCONN = 107;
export const EHOSTUNREACH = 113;
export const EPROTONOSUPPORT = 93;
export const EINVAL = 22;
