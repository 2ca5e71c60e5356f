// hw/homa/abi/records.ts — what engine and host exchange through host memory: send
// descriptors, completion entries, bpage-return entries; and the per-queue-pair register set.
//
// Memory convention (differs from the wire): a record's fields lie in declaration order from
// the lowest address, each multi-byte field little-endian (the host's order on every
// supported CPU), and vec element i at increasing addresses. The one exception is a 128-bit
// `*_addr` field, which is an IPv6 address (IPv4 as ::ffff:a.b.c.d, spec §1.1) stored in
// network byte order, i.e. a byte array. Every field is naturally aligned, so the C structs
// generated from these records need no packing attributes.

import { record, u, vec } from '../../hdl/layout.ts';

/** Send-queue opcodes (homa_sendmsg_args semantics, spec §2.1-§2.2, and HOMAIOCABORT). */
export const SendOpcode = { REQUEST: 1, REPLY: 2, ABORT: 3 } as const;
/** Send descriptor flags. PRIVATE is HOMA_SENDMSG_PRIVATE (§2.1). */
export const SendFlag = { PRIVATE: 0x01, NOTIFY_ID: 0x02 } as const;

/**
 * One send-queue entry, 64 bytes. REQUEST: id 0 (the engine assigns it, §1.2), cookie, peer,
 * dport, buffer/length of the message. REPLY: id of the request being answered (the server's
 * odd id) and the client's address in peer_addr (ids are unique per client host only, §1.2),
 * buffer/length; cookie must be 0 (§2.2). ABORT: id (0 = every client RPC of the
 * queue pair), error (0 = discard silently, else complete with this errno) (§2.1).
 */
export const sendDescriptor = record({
  opcode: u(8),
  flags: u(8),
  dport: u(16),
  length: u(32),
  error: u(32),
  reserved0: u(32),
  id: u(64),
  cookie: u(64),
  buffer: u(64),
  peer_addr: u(128),
  reserved1: u(64),
}, 'homa_nic_send_desc');

/** Completion types. */
export const CompletionType = {
  /** A whole request arrived (server socket); id is the server's odd id (§2.2). */
  REQUEST: 1,
  /** A whole response arrived; cookie is the request's (§2.2). */
  RESPONSE: 2,
  /** A client RPC failed: error = ETIMEDOUT, ENOTCONN or the abort errno (§2.2). */
  ERROR: 3,
  /** A REQUEST descriptor with NOTIFY_ID was accepted: id is the id assigned. */
  ACCEPTED: 4,
} as const;

/**
 * One completion-queue entry, 128 bytes. `phase` is bit 0 of the pass over the ring, so the
 * host sees a new entry without reading a tail register (as Corundum's rings do). Bytes of
 * the message are at region + bpage_offsets[i] (all but the last 64 KiB aligned, §4).
 */
export const completionEntry = record({
  type: u(8),
  phase: u(8),
  peer_port: u(16),
  length: u(32),
  id: u(64),
  cookie: u(64),
  error: u(32),
  num_bpages: u(32),
  peer_addr: u(128),
  bpage_offsets: vec(u(32), 16),
  reserved: u(128),
}, 'homa_nic_completion');

/** One bpage-return ring entry: an offset the host got in a completion, returned once (§4). */
export const bpageReturnEntry = record({
  offset: u(32),
}, 'homa_nic_bpage_return');

/** Queue-pair control bits (register `ctrl`). */
export const QpCtrl = { ENABLE: 0x1, SERVER: 0x2, IRQ_ENABLE: 0x4 } as const;

/**
 * Registers of one queue pair, each 32 bits; one queue pair per 4 KiB page, so each socket can
 * map its own page and no other (isolation). Rings: base (lo/hi), log2 of entries, head, tail.
 * The host writes sq_tail, cq_head and bret_tail (doorbells); the engine writes sq_head,
 * cq_tail, bret_head. A port binding (1..65535) is required before ENABLE; SERVER is the
 * opt-in of SO_HOMA_SERVER (§2). The bpage region must be registered (base, count) before a
 * server queue pair can receive requests (§4).
 */
export const queuePairRegisters = record({
  ctrl: u(32),
  port: u(32),
  status: u(32),
  reserved0: u(32),
  sq_base_lo: u(32), sq_base_hi: u(32), sq_log_size: u(32), sq_head: u(32), sq_tail: u(32),
  cq_base_lo: u(32), cq_base_hi: u(32), cq_log_size: u(32), cq_head: u(32), cq_tail: u(32),
  bpool_base_lo: u(32), bpool_base_hi: u(32), bpool_num_bpages: u(32), bpool_avail_bpages: u(32),
  bret_base_lo: u(32), bret_base_hi: u(32), bret_log_size: u(32), bret_head: u(32), bret_tail: u(32),
}, 'homa_nic_qp_regs');

/** Queue-pair status bits (register `status`). */
export const QpStatus = { ACTIVE: 0x1, BAD_DESCRIPTOR: 0x2, BPAGE_DOUBLE_FREE: 0x4, PORT_IN_USE: 0x8 } as const;

/** 64-bit event counters (names from HomaModule's metrics where one exists, spec §5). */
export const COUNTERS: readonly string[] = [
  ...['DATA', 'GRANT', 'RESEND', 'RPC_UNKNOWN', 'BUSY', 'CUTOFFS', 'FREEZE', 'NEED_ACK', 'ACK'].map((t) => `packets_sent_${t}`),
  ...['DATA', 'GRANT', 'RESEND', 'RPC_UNKNOWN', 'BUSY', 'CUTOFFS', 'FREEZE', 'NEED_ACK', 'ACK'].map((t) => `packets_rcvd_${t}`),
  ...Array.from({ length: 8 }, (_, i) => `priority${i}_packets`),
  ...Array.from({ length: 8 }, (_, i) => `priority${i}_bytes`),
  'client_requests_started', 'client_responses_done', 'server_requests_done', 'server_responses_started',
  'sent_msg_bytes', 'resent_packets', 'packet_discards', 'resent_discards', 'rpc_timeouts', 'unknown_rpcs',
  'server_rpc_discards', 'short_packets', 'unknown_packet_types', 'ack_overflows', 'dropped_data_no_bufs',
  'buffer_alloc_failures', 'server_cant_create_rpcs', 'fifo_grant_bytes', 'pacer_fifo_bytes',
  'requests_to_non_server', 'bad_ip_headers',
];
