// hw/homa/abi/records.ts — what engine and host exchange through host memory (send
// descriptors, completion entries, bpage-return entries) and the two register pages of a
// queue pair.
//
// Memory convention (differs from the wire): a record's fields lie in declaration order from
// the lowest address, each multi-byte field little-endian (the host's order on every
// supported CPU), and vec element i at increasing addresses. The one exception is a 128-bit
// `*_addr` field, which is an IPv6 address (IPv4 as ::ffff:a.b.c.d, spec §1.1) stored in
// network byte order, i.e. a byte array. Every field is naturally aligned, so the C structs
// generated from these records need no packing attributes.
//
// Rings (send queue, completion queue, bpage returns) follow one convention on both sides:
// - head and tail are free-running 32-bit counters: they count entries and never wrap at the
//   ring size (only at 2^32); an entry's slot is counter & (entries - 1); a ring is empty when
//   head == tail and full when tail - head == entries.
// - The producer owns the tail, the consumer the head: the host produces send descriptors and
//   bpage returns (sq_tail, bret_tail are its doorbells), the engine completions (cq_tail);
//   the host frees completion slots by advancing cq_head.
// - A completion's `phase` is ((index >> cq_log_size) & 1) ^ 1 for the entry at counter
//   `index`: 1 on the first pass over the ring, 0 on the second, and so on, so zeroed memory
//   reads as empty and the host finds new entries without reading cq_tail.

import type { JsOf } from './memory.ts';
import { record, u, vec } from '../../hdl/layout.ts';

/** Send-queue opcodes (homa_sendmsg_args semantics, spec §2.1-§2.2, and HOMAIOCABORT). */
export const SendOpcode = { REQUEST: 1, REPLY: 2, ABORT: 3 } as const;
/**
 * Send descriptor flags. PRIVATE is HOMA_SENDMSG_PRIVATE (§2.1). NOTIFY_ID asks for an
 * ACCEPTED completion carrying the id the engine gave a request. NOTIFY_TX_DONE asks for a
 * TX_DONE completion once the engine will never read the message's bytes again.
 */
export const SendFlag = { PRIVATE: 0x01, NOTIFY_ID: 0x02, NOTIFY_TX_DONE: 0x04 } as const;

/**
 * One send-queue entry, 64 bytes. The message's bytes are named by `send_offset` + `length`
 * inside the queue pair's registered send region (control page send_base/send_size), never by
 * a bus address: the engine refuses a descriptor whose range leaves the region (ERROR
 * completion with EINVAL, status BAD_DESCRIPTOR, counter bad_descriptors, no DMA at all).
 * - REQUEST: id 0 (the engine assigns it, §1.2), cookie, peer_addr + dport of the server,
 *   send_offset/length of the message (1..1,000,000 bytes).
 * - REPLY: id of the request being answered (the server's odd id), the client's address in
 *   peer_addr and its port in dport (server ids are unique per client host only, §1.2),
 *   send_offset/length; cookie must be 0 (§2.2).
 * - ABORT: id (0 = every client RPC of the queue pair), error (0 = discard silently, else
 *   complete with this errno) (§2.1).
 */
export const sendDescriptor = record({
  opcode: u(8),
  flags: u(8),
  dport: u(16),
  length: u(32),
  error: u(32),
  send_offset: u(32),
  id: u(64),
  cookie: u(64),
  peer_addr: u(128),
  reserved: u(128),
}, 'homa_nic_send_desc');

/** Completion types. */
export const CompletionType = {
  /** A whole request arrived (server socket); id is the server's odd id (§2.2). */
  REQUEST: 1,
  /** A whole response arrived; cookie is the request's (§2.2). */
  RESPONSE: 2,
  /**
   * A client RPC failed (error = ETIMEDOUT, ENOTCONN or the abort errno, §2.2), or the engine
   * refused a send descriptor (error = EINVAL; id and cookie are the descriptor's, peer_addr
   * and peer_port its peer_addr and dport, so a refused REPLY is named as its TX_DONE is).
   */
  ERROR: 3,
  /** A REQUEST descriptor with NOTIFY_ID was accepted: id is the id assigned. */
  ACCEPTED: 4,
  /**
   * The engine will not read this message's bytes again (descriptor flag NOTIFY_TX_DONE): the
   * last byte has left and no retransmission can ask for them (client: the RPC ended; server:
   * the response was acknowledged or the RPC freed; at once for a REPLY whose RPC is gone).
   * id and cookie name the message; for a reply also peer_addr and peer_port (the client's),
   * since server ids are unique per client host only (§1.2).
   */
  TX_DONE: 5,
  /**
   * The bpage offsets 5..15 of the completion just before it (messages of more than
   * COMPLETION_INLINE_BPAGES pieces, i.e. longer than 4 bpages): the two entries are one
   * completion, and the host takes them together.
   */
  CONTINUATION: 6,
} as const;

/** Bpage offsets that fit in one completion entry; the rest go in a CONTINUATION entry. */
export const COMPLETION_INLINE_BPAGES = 5;

/**
 * One completion-queue entry, 64 bytes (half a 128-byte PCIe write, so a small message costs
 * one payload write and one 64-byte entry). Bytes of the message are at region +
 * bpage_offsets[i] (all but the last 64 KiB aligned, §4); num_bpages counts them all, and
 * when it exceeds COMPLETION_INLINE_BPAGES the next entry is a CONTINUATION.
 */
export const completionEntry = record({
  type: u(8),
  phase: u(8),
  peer_port: u(16),
  length: u(32),
  id: u(64),
  cookie: u(64),
  peer_addr: u(128),
  error: u(16),
  num_bpages: u(8),
  reserved: u(8),
  bpage_offsets: vec(u(32), COMPLETION_INLINE_BPAGES),
}, 'homa_nic_completion');

type CompletionFields = JsOf<typeof completionEntry>;

/**
 * One completion as host software handles it: completionEntry's fields (their JS types
 * derived from the record) with the framing dropped (phase, num_bpages, reserved) and the
 * continuation's offsets merged into `bpageOffsets`. Ids and cookies are `Id`: bigint as the
 * ABI carries them (driver/native), number in the model (exact up to 2^53, sim/model/types.ts).
 */
export interface HostCompletion<Id extends number | bigint = bigint> {
  type: CompletionFields['type'];
  id: Id;
  cookie: Id;
  peer: CompletionFields['peer_addr'];
  peerPort: CompletionFields['peer_port'];
  length: CompletionFields['length'];
  /** errno for ERROR completions, else 0. */
  error: CompletionFields['error'];
  /** Where the message is in the queue pair's region (all but the last 64 KiB aligned, spec §4). */
  bpageOffsets: CompletionFields['bpage_offsets'];
}

/** Every field of completionEntry is either in HostCompletion or framing: a new field fails to compile here until it is placed. */
type HandledCompletionField = 'type' | 'id' | 'cookie' | 'peer_addr' | 'peer_port' | 'length' | 'error' | 'bpage_offsets' | 'phase' | 'num_bpages' | 'reserved';
export const completionFieldsHandled: Exclude<keyof CompletionFields, HandledCompletionField> extends never ? true : never = true;

/** The entry after a completion with more than COMPLETION_INLINE_BPAGES pieces. */
export const completionContinuation = record({
  type: u(8),
  phase: u(8),
  reserved: u(16),
  bpage_offsets: vec(u(32), 15),
}, 'homa_nic_completion_cont');

/** One bpage-return ring entry: an offset the host got in a completion, returned once (§4). */
export const bpageReturnEntry = record({
  offset: u(32),
}, 'homa_nic_bpage_return');

/** Queue-pair control bits (control page `ctrl`). */
export const QpCtrl = { ENABLE: 0x1, SERVER: 0x2, IRQ_ENABLE: 0x4 } as const;

/**
 * A queue pair's control page: kernel only (the driver never maps it to user space). It holds
 * everything that decides which memory the engine touches for the queue pair: ring bases and
 * sizes, the bpage region, the send region, the port and the enable bit.
 * - Writing ctrl with ENABLE while disabled starts the queue pair: the engine takes the ring,
 *   region and port registers as they are then, resets every head and tail to 0 and sets
 *   status ACTIVE, or refuses (PORT_IN_USE: the port is bound by another queue pair;
 *   BAD_CONFIG: port 0, a ring log size outside 2..16, a region outside
 *   min_region_bpages..max_region_bpages, a base not 4 KiB aligned) and stays disabled.
 * - While enabled, writes to anything but ctrl are ignored; ctrl may change SERVER and
 *   IRQ_ENABLE (SO_HOMA_SERVER after the fact).
 * - Writing ctrl without ENABLE stops it: the port is unbound at once, and ACTIVE clears once
 *   the engine has no access to the queue pair's memory in flight. Only then may the host
 *   free that memory.
 */
export const queuePairControl = record({
  ctrl: u(32), port: u(32), status: u(32), reserved0: u(32),
  sq_base_lo: u(32), sq_base_hi: u(32), sq_log_size: u(32), reserved1: u(32),
  cq_base_lo: u(32), cq_base_hi: u(32), cq_log_size: u(32), reserved2: u(32),
  bret_base_lo: u(32), bret_base_hi: u(32), bret_log_size: u(32), reserved3: u(32),
  bpool_base_lo: u(32), bpool_base_hi: u(32), bpool_num_bpages: u(32), reserved4: u(32),
  send_base_lo: u(32), send_base_hi: u(32), send_size: u(32), reserved5: u(32),
}, 'homa_nic_qp_ctrl');

/**
 * A queue pair's user page: the one page a process maps. Its doorbells (sq_tail, cq_head,
 * bret_tail) are the only registers it can write; the engine's side of each ring, the status
 * and the free receive space are read-only copies. Nothing here names memory, so a process
 * holding this page can only use the memory its control page registered. bpool_avail_bytes
 * (HOMAIOCINFO's, §2.1) saturates at 0xffffffff: a region of 65536 bpages holds 2^32 bytes.
 */
export const queuePairUser = record({
  sq_tail: u(32), cq_head: u(32), bret_tail: u(32), reserved0: u(32),
  sq_head: u(32), cq_tail: u(32), bret_head: u(32), status: u(32),
  bpool_avail_bytes: u(32), reserved1: u(32), reserved2: u(32), reserved3: u(32),
}, 'homa_nic_qp_user');

/** Queue-pair status bits (both pages' `status`): ACTIVE, then sticky error bits, cleared by ENABLE. */
export const QpStatus = {
  ACTIVE: 0x1, BAD_DESCRIPTOR: 0x2, BPAGE_DOUBLE_FREE: 0x4, PORT_IN_USE: 0x8, BAD_CONFIG: 0x10,
} as const;

/** Host-writable registers of each page (the rest are the engine's). */
export const QP_CONTROL_WRITABLE: readonly string[] = [
  'ctrl', 'port', 'sq_base_lo', 'sq_base_hi', 'sq_log_size', 'cq_base_lo', 'cq_base_hi', 'cq_log_size',
  'bret_base_lo', 'bret_base_hi', 'bret_log_size', 'bpool_base_lo', 'bpool_base_hi', 'bpool_num_bpages',
  'send_base_lo', 'send_base_hi', 'send_size',
];
export const QP_USER_WRITABLE: readonly string[] = ['sq_tail', 'cq_head', 'bret_tail'];

/** Ring sizes the engine accepts (log2 of entries). */
export const MIN_RING_LOG = 2;
export const MAX_RING_LOG = 16;

const PACKET_TYPES = ['DATA', 'GRANT', 'RESEND', 'RPC_UNKNOWN', 'BUSY', 'CUTOFFS', 'FREEZE', 'NEED_ACK', 'ACK'];

/**
 * 64-bit event counters: HomaModule's metric names where one exists (spec §5), then the
 * engine's own (a NIC sees, and refuses, things the kernel's stack never hands to Homa).
 */
export const COUNTERS: readonly string[] = [
  ...PACKET_TYPES.map((t) => `packets_sent_${t}`),
  ...PACKET_TYPES.map((t) => `packets_rcvd_${t}`),
  ...Array.from({ length: 8 }, (_, i) => `priority${i}_packets`),
  ...Array.from({ length: 8 }, (_, i) => `priority${i}_bytes`),
  'client_requests_started', 'client_responses_done', 'server_requests_done', 'server_responses_started',
  'sent_msg_bytes', 'resent_packets', 'packet_discards', 'resent_discards', 'rpc_timeouts', 'unknown_rpcs',
  'server_rpc_discards', 'short_packets', 'unknown_packet_types', 'ack_overflows', 'dropped_data_no_bufs',
  'buffer_alloc_failures', 'server_cant_create_rpcs', 'fifo_grant_bytes', 'pacer_fifo_bytes',
  // The engine's own.
  'requests_to_non_server', 'bad_ip_headers', 'bad_checksums', 'non_homa_frames', 'rx_frame_errors',
  'bad_lengths', 'not_for_this_host', 'gap_overflows', 'peer_table_full', 'bad_descriptors',
  'bpage_double_frees', 'rx_overruns', 'unknown_grants',
];

/** What each of the engine's own counters counts (the rest are HomaModule's, spec §5). */
export const COUNTER_DOCS: Readonly<Record<string, string>> = {
  requests_to_non_server: 'request DATA for a port with no server queue pair (HomaModule answers ICMP port unreachable)',
  bad_ip_headers: 'IP version, header length, total length, fragment or header checksum wrong',
  bad_checksums: 'the TCP-style Homa checksum (spec §1.7) did not verify',
  non_homa_frames: 'not IPv4/IPv6, or an IP protocol other than 146 and hijacked TCP (§1.6)',
  rx_frame_errors: 'the MAC reported a bad frame check sequence',
  bad_lengths: 'DATA with message_length 0 or over 1,000,000 or payload past message_length; ACK with more than 5 acks',
  not_for_this_host: 'destination address is not this NIC\'s, or of the other IP family',
  gap_overflows: 'DATA that would open more out-of-order gaps than the engine tracks (max_gaps); RESEND recovers it',
  peer_table_full: 'a packet from a new peer found the peer table full',
  bad_descriptors: 'send descriptors refused (opcode, length, id, cookie or send range wrong)',
  bpage_double_frees: 'bpage returns naming a page that held nothing',
  rx_overruns: 'frames dropped because the receive buffer or its header queue was full',
  unknown_grants: 'GRANTs naming a server RPC this host does not have (HomaModule drops them without a count: one often comes after its response has gone)',
};
