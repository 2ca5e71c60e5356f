// hw/homa/engine/types.ts — the records that travel on the engine's ports and between its
// blocks, declared once per configuration (widths follow from config.ts).
//
// The four external interfaces (ENGINE.md), all valid/ready streams, one clock:
// - reg: host register access, one outstanding: {write, addr, wdata} -> {rdata} (a write
//   answers too, with 0, so the host knows it took effect).
// - dma: host memory. Reads: {addr, len, tag, qp} -> data beats {data, last, tag}, bytes packed
//   from lane 0. Writes: {addr, len, qp, lane} + data beats {data, last}; the first byte to
//   write sits in lane `lane` of the first beat and the rest follow lane by lane, beat by
//   beat (so a payload is written straight from where it sits in the receive buffer). Writes
//   are posted: the host side performs them in request order, as PCIe does, so a completion
//   written after a payload is never seen before it. `qp` names the queue pair the access is
//   for: an IOMMU (or the co-simulation's DMA watchdog) checks it against the memory that
//   queue pair registered.
// - mac: Ethernet frames without FCS as beats {data, keep, last}; receive beats also carry
//   `error` (bad FCS) on the last beat. Byte j of a beat is data[8j+7:8j].
// - irq: {qp} event pulses (a completion was written, or a ring moved), as a stream.

import { bool, enumType, input, output, record, stream, u, vec } from '../../hdl/index.ts';
import { beat } from '../../lib/beat.ts';
import { engineWidths, type EngineConfig } from './config.ts';

/** Register addresses: the BAR of the largest configuration (user pages end below 4 MiB). */
export const REG_ADDR_BITS = 22;
/** DMA read tags: reads in flight at once. */
export const DMA_TAG_BITS = 4;
/** Bytes one DMA request may move (a frame's payload, a pair of completions, a batch of returns). */
export const DMA_LEN_BITS = 16;
/** Message lengths and offsets fit in 20 bits (HOMA_MAX_MESSAGE_LENGTH = 1,000,000 < 2^20). */
export const MSG_BITS = 20;

/** Why the receive parser dropped a frame (each has its own counter, hw/homa/abi COUNTERS). */
export const rxDrop = enumType('rx_drop', [
  'none', 'frame_error', 'short', 'non_homa', 'bad_ip', 'unknown_type', 'bad_length', 'bad_checksum', 'not_for_us', 'overrun',
]);
/** The counter each drop reason increments. */
export const RX_DROP_COUNTER = {
  frame_error: 'rx_frame_errors', short: 'short_packets', non_homa: 'non_homa_frames', bad_ip: 'bad_ip_headers',
  unknown_type: 'unknown_packet_types', bad_length: 'bad_lengths', bad_checksum: 'bad_checksums',
  not_for_us: 'not_for_this_host', overrun: 'rx_overruns',
} as const;

/** Doorbells a host writes in a queue pair's user page. */
export const doorbellKind = enumType('doorbell_kind', ['sq', 'cq', 'bret']);
/** Engine-owned values of a queue pair's user page (and status bits it raises). */
export const qpUpdateKind = enumType('qp_update_kind', ['sq_head', 'cq_tail', 'bret_head', 'avail_bytes', 'status_set']);
/** Queue-pair life events the register block announces. */
export const qpEventKind = enumType('qp_event_kind', ['enable', 'disable', 'ctrl']);

export function engineLayouts(c: EngineConfig) {
  const w = engineWidths(c);
  const B = c.beatBytes;
  return {
    // ---- external ----
    regReq: record({ write: bool, addr: u(REG_ADDR_BITS), wdata: u(32) }),
    regResp: u(32),
    macRx: record({ data: u(8 * B), keep: u(B), last: bool, error: bool }),
    macTx: beat(B),
    dmaRdReq: record({ addr: u(64), len: u(DMA_LEN_BITS), tag: u(DMA_TAG_BITS), qp: u(w.qp) }),
    dmaRdData: record({ data: u(8 * B), last: bool, tag: u(DMA_TAG_BITS) }),
    dmaWrReq: record({ addr: u(64), len: u(DMA_LEN_BITS), qp: u(w.qp), lane: u(w.lane) }),
    dmaWrData: record({ data: u(8 * B), last: bool }),
    irq: u(w.qp),

    // ---- between blocks ----
    /**
     * A frame the parser accepted (every check passed, the frame sits whole in the receive
     * buffer from `buf_start` up to, not including, `buf_end`; both are ring pointers with a
     * wrap bit). Fields of other packet types read 0. DATA's payload starts at frame byte
     * 14 + (ipv6 ? 40 : 20) + 56.
     */
    rxHeader: record({
      ipv6: bool,
      /** Source address, IPv6 form (IPv4 as ::ffff:a.b.c.d), first byte most significant. */
      saddr: u(128),
      /** The sender's Ethernet address (what we send back to it goes there). */
      smac: u(48),
      type: u(8),
      sport: u(16),
      dport: u(16),
      sender_id: u(64),
      // DATA (spec §1.4); validated: 1 <= message_length <= 1,000,000, offset + payload <= it.
      message_length: u(MSG_BITS),
      incoming: u(32),
      offset: u(MSG_BITS),
      payload_bytes: u(16),
      ack_client_id: u(64),
      ack_server_port: u(16),
      cutoff_version: u(16),
      retransmit: bool,
      /** Bit 0 of DATA's pad: the incast mark (SIGCOMM 2018 §3.6, sim/model README). */
      incast: bool,
      // GRANT (offset, priority) and RESEND (offset, length, priority) (spec §1.3).
      ctl_offset: u(32),
      ctl_length: u(32),
      ctl_priority: u(8),
      /** CUTOFFS (spec §1.3, §3.3): the sender's unsched_cutoffs (its cutoff_version in cutoff_version). */
      cutoffs: vec(u(32), 8),
      buf_start: u(w.rxBufferAddr + 1),
      buf_end: u(w.rxBufferAddr + 1),
    }),
    /** A queue pair started, stopped, or changed SERVER / IRQ_ENABLE; `gen` counts its enables. */
    qpEvent: record({
      kind: qpEventKind,
      qp: u(w.qp),
      gen: u(8),
      server: bool,
      irq: bool,
      port: u(16),
      sq_base: u(64), sq_log: u(5),
      cq_base: u(64), cq_log: u(5),
      bret_base: u(64), bret_log: u(5),
      bpool_base: u(64), bpool_bpages: u(w.bpage + 1),
      send_base: u(64), send_size: u(32),
    }),
    /** A host write of a doorbell in a queue pair's user page. */
    doorbell: record({ kind: doorbellKind, qp: u(w.qp), value: u(32) }),
    /** An engine-owned value of a queue pair's user page (status_set ORs bits into status). */
    qpUpdate: record({ kind: qpUpdateKind, qp: u(w.qp), value: u(32) }),
    /** Bpage allocation for a message of `length` bytes in queue pair `qp`'s region (spec §4). */
    bpoolAlloc: record({ qp: u(w.qp), length: u(MSG_BITS) }),
    /**
     * The pages of a message: floor(length / 64 KiB) whole pages first, then, when the length
     * is not a multiple of 64 KiB, the tail piece at byte `tail_offset` of page `pages[whole]`.
     * ok = false: the pool cannot hold the message now, and nothing changed.
     */
    bpoolGrant: record({ ok: bool, pages: vec(u(w.bpage), 16), tail_offset: u(16) }),
    /** One bpage offset given back (by the host through the return ring, or by a dead RPC). */
    bpoolRelease: record({ qp: u(w.qp), offset: u(32) }),
  };
}

export type EngineLayouts = ReturnType<typeof engineLayouts>;

/**
 * The engine top's interface (engine.ts): the four external interfaces plus `idle`, which is
 * high when nothing is in flight inside the engine (no frame, no pending DMA, no event to
 * raise): a co-simulation may then stop stepping the clock until the next input arrives, or
 * until `wake_us` when `timer_armed` is high (RPCs wait on the tick). The engine keeps no time
 * of its own: `now_us` comes from the platform (the board's top counts it from its clock; a
 * co-simulation drives its simulated time), so cycles skipped while idle lose no time.
 */
export function engineIo(c: EngineConfig) {
  const L = engineLayouts(c);
  return {
    reg_req: stream.sink(L.regReq),
    reg_resp: stream.source(L.regResp),
    dma_rd_req: stream.source(L.dmaRdReq),
    dma_rd_data: stream.sink(L.dmaRdData),
    dma_wr_req: stream.source(L.dmaWrReq),
    dma_wr_data: stream.source(L.dmaWrData),
    mac_rx: stream.sink(L.macRx),
    mac_tx: stream.source(L.macTx),
    irq: stream.source(L.irq),
    idle: output(bool),
    /** The platform's microsecond clock (free-running, wrapping): the engine's timers run on it. */
    now_us: input(u(32)),
    /** Some RPC waits on the timer: the engine needs to run at `wake_us` even if idle. */
    timer_armed: output(bool),
    /** The microsecond of the next timer tick. */
    wake_us: output(u(32)),
  };
}
