// hw/homa/engine/rx_data.ts — a message arriving: per-RPC receive state in block RAM, updated
// by every DATA packet (spec §3.2 message init, §3.5 gap tracking, §4 bpages).
//
// For each packet rx_dispatch delivers: the RPC's state and its bpages are read (one cycle),
// then the packet is judged and the state written back. Consecutive packets may hit one RPC:
// a packet reads its state at the edge the previous one writes it, so that one write is
// forwarded from a register; every earlier write is in the RAM. One packet per cycle, except
// a message's first packet, which waits for its bpages (bpool).
//
// The judgement, in HomaModule's order (homa_data_pkt / homa_add_packet, and the reference
// model's receiver.ts, so both count the same):
//  - the slot no longer holds this RPC (queue pair stopped, or restarted: its generation moved
//    on; or another port pair) -> dropped, unknown_rpcs;
//  - first packet: the message length is set and bpages are asked for; none -> the message
//    waits for buffers (buffer_alloc_failures), and its DATA is dropped (dropped_data_no_bufs)
//    until a later issue's RESEND restarts it;
//  - a packet with another message_length, a duplicate, an overlap or one past the message ->
//    packet_discards (resent_discards for retransmissions);
//  - a packet that would open more than maxGaps gaps -> gap_overflows (RESEND recovers it);
//  - otherwise its bytes go to their bpages (rx_dma), and when the last byte has arrived the
//    message completes.
//
// The RPC's timer lives here too (spec §3.5 homa_timer, the model's timers.ts), beside the
// gaps it needs: each slot's silent ticks and the ticks until its next RESEND, with the peer's
// address, MAC and our port and id to send it with. A packet that reached the RPC (accepted
// DATA, or a GRANT or BUSY marked `heard` by rx_dispatch) starts the count again. At each tick
// rpc_timer sends every live slot here as a `scan` item, which counts one tick unless nothing
// is expected of the peer (a server RPC whose request is all here, a message waiting for
// bpages, or one that has every byte the peer owes: all it said it would send, its DATA's
// `incoming`, and all we granted, told by grant_sched as `granted` items; the next move is
// then our grant). After resend_ticks silent ticks, and every resend_interval after that, the
// RPC asks its peer with a RESEND at num_priorities - 1: the first gap, else the bytes after
// the last received up to what is owed, or (0, all) before any DATA. After timeout_ticks it
// ends: a client RPC with an ERROR completion (ETIMEDOUT, its cookie), a server RPC discarded
// (server_rpc_discards); both counted in rpc_timeouts and freed (`free` on the completion's
// way, to rx_dispatch). Slots becoming live and ending are told to rpc_timer (`tm`); a `free`
// item (an RPC out of the RPC table) ends its slot here.
//
// A server RPC whose response has all gone out (`responded`, from tx_rpc) counts ticks instead
// and asks its client for the ACK with NEED_ACK once request_ack_ticks have passed, then at
// every tick (spec §3.6; a server never times out, as in HomaModule). An `acked` RPC (its
// client's ACK, or the ack in a later DATA; rx_dispatch made its table entry a tombstone) is
// freed timeout_ticks later, the model's tombstone time: until then a duplicate of its request
// is dropped in rx_dispatch instead of running again.

import { assign, bool, clog2, connect, input, lit, module, mux, output, record, stream, u, vec, when, type Bool, type UInt } from '../../hdl/index.ts';
import { regFifo } from '../../lib/fifo.ts';
import { HomaType, RESEND_ALL } from '../wire/index.ts';
import { ctlRequest } from './ctl_tx.ts';
import { timerEventLayout } from './rpc_timer.ts';
import { CompletionType } from '../abi.ts';
import { engineWidths, rpcSlots, type EngineConfig } from './config.ts';
import { rxWorkLayout } from './rx_dispatch.ts';
import { grantEventLayout } from './grant_sched.ts';
import { engineLayouts, MSG_BITS } from './types.ts';

const BPAGE_SHIFT = 16;

/** What rx_dma gets for each frame, in order: where its payload goes, and a completion if it finished a message. */
export function rxDmaWorkLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({
    /** Write the payload (len1 bytes at addr1, then len2 at addr2 when it crosses a 64 KiB page). */
    write: bool,
    /** With `complete`: post the completion (0: only free the RPC). */
    post: bool,
    /** With `complete`: the RPC ends (a client's response, a timeout): out of the RPC table. */
    free_rpc: bool,
    /** A frame's beats to free when done (0: a restart, no frame). */
    frame: bool,
    qp: u(w.qp),
    ipv6: bool,
    buf_start: u(w.rxBufferAddr + 1),
    buf_end: u(w.rxBufferAddr + 1),
    addr1: u(64),
    len1: u(16),
    addr2: u(64),
    len2: u(16),
    /** The message is complete once this payload is written: post its completion. */
    complete: bool,
    cq: completionRequestLayout(c),
  });
}

/** A completion to post (completion.ts turns it into one or two 64-byte ring entries). */
export function completionRequestLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({
    qp: u(w.qp),
    gen: u(8),
    type: u(8),
    id: u(64),
    cookie: u(64),
    peer_addr: u(128),
    peer_port: u(16),
    length: u(32),
    error: u(16),
    num_bpages: u(5),
    bpage_offsets: vec(u(32), 16),
  });
}

export const RX_DATA_COUNTERS = [
  'packets_rcvd_DATA', 'packet_discards', 'resent_discards', 'dropped_data_no_bufs', 'buffer_alloc_failures', 'gap_overflows', 'unknown_rpcs',
  'server_requests_done', 'client_responses_done', 'rpc_timeouts', 'server_rpc_discards',
] as const;

const ETIMEDOUT = 110;

/** The timer's tunables (spec §3.5), as rx_data reads them. */
export const timerTunLayout = record({ resend_ticks: u(16), resend_interval: u(16), timeout_ticks: u(16), request_ack_ticks: u(16), level: u(8) });

export function rxData(c: EngineConfig) {
  const L = engineLayouts(c);
  const w = engineWidths(c);
  const G = c.maxGaps;
  const gap = record({ start: u(MSG_BITS), end: u(MSG_BITS) });
  const rpcState = record({
    live: bool, qp: u(w.qp), gen: u(8), peer_port: u(16), cookie: u(64),
    known: bool, waiting: bool, in_length: u(MSG_BITS), received: u(MSG_BITS), recv_end: u(MSG_BITS),
    gap_count: u(clog2(G + 1)), gaps: vec(gap, G),
    // The timer's (§3.5): who to ask, what the sender said it would send, the silent ticks.
    ipv6: bool, saddr: u(128), smac: u(48), port: u(16), id: u(64), incoming: u(MSG_BITS), silent: u(16), until: u(16),
    // A server RPC with its response sent: ticks since (NEED_ACK, §3.6); acknowledged: a tombstone.
    responded: bool, done_ticks: u(16), tomb: bool,
    // Our outgoing message (a client's request, a server's response): its length, and whether
    // the host asked for TX_DONE, posted here as the RPC ends.
    tx_length: u(MSG_BITS), tx_notify: bool,
  });
  const rpcPages = record({ pages: vec(u(w.bpage), 16), tail_offset: u(16) });
  const work = rxWorkLayout(c);
  const out = rxDmaWorkLayout(c);
  return module(`rx_data_${c.name}`, {
    work: stream.sink(work),
    qp_event: stream.sink(L.qpEvent),
    alloc: stream.source(L.bpoolAlloc),
    grant: stream.sink(L.bpoolGrant),
    out: stream.source(out),
    /** Each DATA packet that reached its RPC, for the grant scheduler and the CUTOFFS sender. */
    ev: stream.source(grantEventLayout(c)),
    /** A restart's outcome (bwait.ts): bpages taken, or the RPC is no longer waiting there. */
    restarted: output(record({ valid: bool, ok: bool, gone: bool, slot: u(w.rpcSlot) })),
    /** Slots becoming live and ending, for rpc_timer. */
    tm: stream.source(timerEventLayout(c)),
    /** Bpages of messages that timed out partly received, back to their pool (bpool). */
    release: stream.source(L.bpoolRelease),
    /** RESENDs the timer asks for, to ctl_tx. */
    resend: stream.source(ctlRequest),
    timer_tun: input(timerTunLayout),
    /** GRANTs as grant_sched sends them (the RPC's slot and id, the offset granted): what its peer owes. */
    granted: input(record({ valid: bool, slot: u(w.rpcSlot), id: u(64), offset: u(MSG_BITS) })),
    idle: output(bool),
    count: output(record(Object.fromEntries(RX_DATA_COUNTERS.map((n) => [n, bool])) as { [K in (typeof RX_DATA_COUNTERS)[number]]: typeof bool })),
  }, (m, io) => {
    const slots = rpcSlots(c);
    const qpRec = record({ enabled: bool, gen: u(8), base: u(64), port: u(16) });
    const stateRam = m.memory('rpc_state', { layout: rpcState, depth: slots, ports: ['w', 'r'] });
    const pagesRam = m.memory('rpc_pages', { layout: rpcPages, depth: slots, ports: ['w', 'r'] });
    const qpRam = m.memory('qp_region', { layout: qpRec, depth: c.queuePairs, ports: ['w', 'r'] });
    const [stateW, stateR, pagesW, pagesR, qpW, qpR] = [stateRam.ports[0]!, stateRam.ports[1]!, pagesRam.ports[0]!, pagesRam.ports[1]!, qpRam.ports[0]!, qpRam.ports[1]!];
    // The last GRANT of each slot, tagged with the low bits of its RPC's id (the slot may be
    // another RPC's by the time it is read): written as grant_sched sends it, read with the
    // state, so no grant ever waits for rx_data.
    const grantRec = record({ tag: u(16), offset: u(MSG_BITS) });
    const grantRam = m.memory('granted', { layout: grantRec, depth: slots, ports: ['w', 'r'] });
    const [grantW, grantR] = [grantRam.ports[0]!, grantRam.ports[1]!];
    io.qp_event.ready.set(true);

    // ---- stage A: the RPC as the packet finds it; a first packet asks for bpages ----
    // Its state is read the cycle it enters (with the last write forwarded, as that write may
    // land at the same edge as the read); while it waits, writes to its slot are snooped, so
    // its copy is always the latest.
    const a = m.reg('a', record({ valid: bool, first: bool, w: work, st: rpcState, pg: rpcPages, q: qpRec }));
    const fwd = m.reg('fwd', record({ valid: bool, slot: u(w.rpcSlot), state: rpcState, pages: rpcPages }));
    const x = a.w;
    const fwdHit = m.let('fwd_hit', fwd.valid.and(fwd.slot.eq(x.slot)));
    const found = { st: mux(a.first, mux(fwdHit, fwd.state, stateR.data), a.st), pg: mux(a.first, mux(fwdHit, fwd.pages, pagesR.data), a.pg) };
    const q = mux(a.first, qpR.data, a.q);
    const fresh = x.created;
    const mine = m.let('mine', fresh.or(found.st.live.and(found.st.qp.eq(x.qp)).and(found.st.gen.eq(x.gen)).and(found.st.peer_port.eq(x.sport))));
    const qpUp = m.let('qp_up', q.enabled.and(q.gen.eq(x.gen)));
    const ok = m.let('rpc_ok', x.deliver.and(mine).and(qpUp));
    const known = m.let('a_known', fresh.not().and(found.st.known));
    const restartsNow = m.let('a_restarts', x.restart.and(ok).and(known).and(found.st.waiting));
    const needAlloc = m.let('need_alloc', ok.and(x.init.not()).and(known.not().or(restartsNow)));

    // Packets past stage A, waiting for their bpages or to be judged, in order (at most one per
    // RPC: a packet waits in A while an earlier one of its RPC is still here).
    const DEPTH = 4;
    const pendingL = record({
      w: work, st: rpcState, pg: rpcPages, gr: grantRec, base: u(64), port: u(16), ok: bool, mine: bool, qp_up: bool, alloc: bool,
    });
    const pend = m.reg('pending', vec(pendingL, DEPTH));
    const pendValid = m.reg('pending_valid', vec(bool, DEPTH));
    // A timed-out message's bpages going back to its pool (stage J starts it, one release a cycle).
    const rel = m.regs({ rel_busy: bool, rel_qp: u(w.qp), rel_at: u(5), rel_n: u(5), rel_whole: u(5), rel_tail: u(16) });
    const relPages = m.reg('rel_pages', vec(u(w.bpage), 16));
    const ptr = m.regs({ head: u(clog2(DEPTH)), tail: u(clog2(DEPTH)) });
    let clash: Bool = lit(1, 0).asBool();
    for (let i = 0; i < DEPTH; i++) clash = clash.or(pendValid.at(i).and(pend.at(i).w.slot.eq(x.slot)));
    const hazard = m.let('same_rpc_pending', clash);
    const room = m.let('pending_room', pendValid.get(ptr.tail).not());
    // bpool answers one request at a time and holds an allocation's answer until stage J takes
    // it; a timed-out message's releases (below) wait for bpool. So no allocation is asked for
    // while releases are going out or a timer item, which may end in releases, waits ahead of
    // stage J: the answer would wait behind that item, and the item behind the releases.
    const scanAhead = m.let('scan_pending', pendValid.items.map((v, i) => v.and(pend.at(i).w.scan)).reduce<Bool>((acc, v) => acc.or(v), lit(1, 0).asBool()));
    const allocHold = m.let('alloc_hold', rel.rel_busy.or(scanAhead));
    const aGo = m.let('a_go', a.valid.and(hazard.not()).and(room).and(needAlloc.not().or(io.alloc.ready.and(allocHold.not()))));
    io.alloc.valid.set(a.valid.and(hazard.not()).and(room).and(needAlloc).and(allocHold.not()));
    io.alloc.payload.qp.set(x.qp);
    io.alloc.payload.length.set(x.message_length);
    io.work.ready.set(a.valid.not().or(aGo));

    // ---- stage J: the head packet is judged (with its grant, for a first packet) ----
    const hd = pend.get(ptr.head);
    const hValid = m.let('j_valid', pendValid.get(ptr.head));
    const y = hd.w;
    const g = io.grant.payload;
    const hFresh = y.created;
    const st0 = hd.st;
    const hKnown = m.let('j_known', hFresh.not().and(st0.known));
    const hAlloc = hd.alloc;
    const waiting0 = m.let('j_waiting0', hFresh.not().and(st0.waiting));
    const inLen = m.let('in_length', mux(hKnown, st0.in_length, y.message_length));
    const received0 = m.let('s_received', mux(hFresh, lit(MSG_BITS, 0), st0.received));
    const recvEnd0 = m.let('s_recv_end', mux(hFresh, lit(MSG_BITS, 0), st0.recv_end));
    const gapCount0 = m.let('s_gap_count', mux(hFresh, lit(clog2(G + 1), 0), st0.gap_count));
    const gaps0 = Array.from({ length: G }, (_, i) => ({ start: st0.gaps.at(i).start, end: st0.gaps.at(i).end }));
    const gotPages = m.let('got_pages', hAlloc.and(g.ok));
    const pages = Array.from({ length: 16 }, (_, i) => mux(gotPages, g.pages.at(i), hd.pg.pages.at(i)));
    const tailOffset = m.let('tail_offset', mux(gotPages, g.tail_offset, hd.pg.tail_offset));
    const waiting = m.let('waiting', mux(y.restart, waiting0.and(hAlloc.and(g.ok).not()), waiting0.or(hAlloc.and(g.ok.not()))));
    const hOk = hd.ok;

    // ---- the timer (§3.5): a scan's verdict, a heard packet, an RPC's end ----
    const tt = io.timer_tun;
    const isMeta = m.let('j_meta', y.scan.or(y.free).or(y.responded).or(y.acked));   // not a frame
    const live0 = m.let('j_live', st0.live);                                  // (scan, free and heard are never fresh)
    const isClient = m.let('j_client', st0.id.bit(0).not());
    const heardNow = m.let('j_heard', y.heard.and(live0));
    const scanAny = m.let('j_scan_any', y.scan.and(live0));
    // The RPC as the item names it (responded and acked items name their RPC by id too).
    const sameRpc = m.let('j_same_rpc', live0.and(st0.id.eq(y.local_id)).and(st0.tomb.not()));
    const respondedNow = m.let('j_responded', y.responded.and(sameRpc));
    const ackedNow = m.let('j_acked', y.acked.and(sameRpc));
    // A tombstone's scan counts to timeout_ticks and frees it; a responded RPC's counts to NEED_ACK.
    const tombScan = m.let('j_tomb_scan', scanAny.and(st0.tomb));
    const ackScan = m.let('j_ack_scan', scanAny.and(st0.tomb.not()).and(st0.responded));
    const scanNow = m.let('j_scan', scanAny.and(st0.tomb.not()).and(st0.responded.not()));
    const done1 = m.let('j_done1', mux(st0.done_ticks.eq(0xffff), st0.done_ticks, st0.done_ticks.add(1)));
    const needAckNow = m.let('j_need_ack', ackScan.and(done1.ge(tt.request_ack_ticks)));
    const serverHasAll = m.let('j_server_has_request', isClient.not().and(st0.known).and(st0.received.eq(st0.in_length)));
    // What the peer owes: what it said it would send (its `incoming`), or what we granted
    // (grant_sched's last GRANT for the slot, if it was for this RPC).
    const grantedTo = m.let('j_granted', mux(hd.gr.tag.eq(st0.id.bits(15, 0)), hd.gr.offset, lit(MSG_BITS, 0)));
    const owed = m.let('j_owed', mux(grantedTo.gt(st0.incoming), grantedTo, st0.incoming));
    const allSaidIn = m.let('j_all_owed_in', st0.known.and(st0.gap_count.eq(0)).and(st0.recv_end.ge(owed)));
    const quiet = m.let('j_nothing_expected', st0.waiting.or(serverHasAll).or(allSaidIn));
    const silent1 = m.let('j_silent1', mux(st0.silent.eq(0xffff), st0.silent, st0.silent.add(1)));
    const until1 = m.let('j_until1', mux(st0.until.eq(0), lit(16, 0), st0.until.sub(1)));
    const expire = m.let('j_expire', scanNow.and(quiet.not()).and(silent1.ge(tt.timeout_ticks)));
    const resendNow = m.let('j_resend', scanNow.and(quiet.not()).and(expire.not()).and(until1.eq(0)));
    const tombEnds = m.let('j_tomb_ends', tombScan.and(silent1.ge(tt.timeout_ticks)));
    // Ends that free the RPC through the completion's way (rx_dma, then rx_dispatch).
    // An ACK for a server RPC whose request is not all here ends it as a timeout would (the
    // client says it is done: HomaModule's homa_rpc_end): out of the grant scheduler, bpages back.
    const ackDiscard = m.let('j_ack_discard', ackedNow.and(isClient.not()).and(serverHasAll.not()));
    // Ends that clean up a message: out of the grant scheduler, its bpages back.
    const discard = m.let('j_discard', expire.or(ackDiscard));
    const gone = m.let('j_gone', discard.or(tombEnds));
    // TX_DONE as the RPC ends (the model's freeRpc): a server's response acknowledged, a
    // client's RPC out of the table (its response or its ERROR was posted before).
    const txDoneServer = m.let('j_tx_done_server', ackedNow.and(st0.responded).and(st0.tx_notify));
    const txDoneClient = m.let('j_tx_done_client', y.free.and(y.local_id.bit(0).not()).and(st0.id.eq(y.local_id)).and(st0.tx_notify));
    const txDone = m.let('j_tx_done', txDoneServer.or(txDoneClient));
    const fromState = m.let('j_cq_from_state', gone.or(txDone));
    const ends = m.let('j_ends', gone.or(y.free.and(live0)));
    const askNow = m.let('j_ask', resendNow.or(needAckNow));
    const rawLive = hd.st.live;                                               // the slot's, even for a fresh RPC
    const becomesLive = m.let('j_becomes_live', hOk.and(hFresh).and(rawLive.not()));
    const tmNeeded = m.let('j_tm_needed', becomesLive.or(ends));
    const g0 = st0.gaps.at(0);
    const resends = m.instance('resends', regFifo(ctlRequest, 2));
    connect(io.resend, resends.out);
    const rq = resends.in.payload;
    rq.type.set(mux(needAckNow, lit(8, HomaType.NEED_ACK), lit(8, HomaType.RESEND)));
    rq.ipv6.set(st0.ipv6);
    rq.daddr.set(st0.saddr);
    rq.dmac.set(st0.smac);
    rq.sport.set(st0.port);
    rq.dport.set(st0.peer_port);
    rq.sender_id.set(st0.id);
    rq.offset.set(mux(st0.known.not(), lit(MSG_BITS, 0), mux(st0.gap_count.ne(0), g0.start, st0.recv_end)).zext(32));
    rq.length.set(mux(st0.known.not(), lit(32, RESEND_ALL), mux(st0.gap_count.ne(0), g0.end.sub(g0.start), owed.sub(st0.recv_end)).zext(32)));
    rq.priority.set(tt.level);

    // Gap tracking (§3.5 homa_add_packet), at most G gaps, kept in order.
    const s = y.offset;
    const end = m.let('pkt_end', s.addW(y.payload_bytes.zext(MSG_BITS).trunc(MSG_BITS)).trunc(MSG_BITS + 1).as(MSG_BITS + 1));
    const endFits = m.let('end_fits', end.le(inLen.zext(MSG_BITS + 1)).and(y.payload_bytes.ne(0)));
    const endT = m.let('pkt_end_t', end.trunc(MSG_BITS));
    const atFront = m.let('at_front', s.ge(recvEnd0));
    const opensGap = m.let('opens_gap', atFront.and(s.gt(recvEnd0)));
    const full = m.let('gaps_full', gapCount0.eq(G));
    const inGap = gaps0.map((gp, i) => m.let(`in_gap${i}`, lit(clog2(G + 1), i).lt(gapCount0).and(gp.start.le(s)).and(endT.le(gp.end))));
    const anyInGap = m.let('in_a_gap', inGap.reduce<Bool>((acc, b) => acc.or(b), lit(1, 0).asBool()));
    let gi: UInt<number> = lit(clog2(G), 0);
    for (let i = G - 1; i >= 0; i--) gi = mux(inGap[i]!, lit(clog2(G), i), gi);
    const hitIdx = m.let('gap_idx', gi);
    const hitGap = { start: m.let('hit_start', mux1(gaps0.map((gp) => gp.start), hitIdx)), end: m.let('hit_end', mux1(gaps0.map((gp) => gp.end), hitIdx)) };
    const exact = m.let('fills_gap', anyInGap.and(hitGap.start.eq(s)).and(hitGap.end.eq(endT)));
    const trimFront = m.let('trims_front', anyInGap.and(hitGap.start.eq(s)).and(hitGap.end.ne(endT)));
    const trimBack = m.let('trims_back', anyInGap.and(hitGap.start.ne(s)).and(hitGap.end.eq(endT)));
    const splits = m.let('splits_gap', anyInGap.and(hitGap.start.ne(s)).and(hitGap.end.ne(endT)));
    const lengthOk = m.let('length_ok', y.message_length.eq(inLen));
    const overflow = m.let('gap_overflow', opensGap.or(splits).and(full));
    const fits = m.let('fits', lengthOk.and(endFits).and(atFront.or(anyInGap)).and(overflow.not()));
    const accept = m.let('accept', hOk.and(y.init.not()).and(waiting.not()).and(fits));
    const newReceived = m.let('new_received', received0.add(y.payload_bytes.zext(MSG_BITS).trunc(MSG_BITS)));
    const complete = m.let('completes', accept.and(newReceived.eq(inLen)));

    // The gap list after this packet.
    const gapsNew = gaps0.map((gp, i) => {
      const above = i === 0 ? lit(1, 0).asBool() : lit(clog2(G), i).gt(hitIdx);
      const at = lit(clog2(G), i).eq(hitIdx);
      const next = gaps0[Math.min(i + 1, G - 1)]!;
      const prev = gaps0[Math.max(i - 1, 0)]!;
      const appendHere = opensGap.and(gapCount0.eq(i));
      let start = gp.start, endv = gp.end;
      // Fill: entries above the filled gap move down one.
      start = mux(exact.and(at.or(above)), next.start, start);
      endv = mux(exact.and(at.or(above)), next.end, endv);
      start = mux(trimFront.and(at), endT, start);
      endv = mux(trimBack.and(at), s, endv);
      // Split: [gs, s) stays at i, [end, ge) goes to i + 1, entries above move up one.
      endv = mux(splits.and(at), s, endv);
      if (i > 0) {
        const justAbove = lit(clog2(G), i - 1).eq(hitIdx);
        start = mux(splits.and(justAbove), endT, mux(splits.and(above).and(justAbove.not()), prev.start, start));
        endv = mux(splits.and(justAbove), hitGap.end, mux(splits.and(above).and(justAbove.not()), prev.end, endv));
      }
      start = mux(appendHere, recvEnd0, start);
      endv = mux(appendHere, s, endv);
      return { start, end: endv };
    });
    const gapCountNew = m.let('new_gap_count', mux(exact, gapCount0.sub(1), mux(opensGap.or(splits), gapCount0.add(1), gapCount0)));

    // Where the payload goes: bpage of its first byte; a second write past a 64 KiB boundary.
    const whole = m.let('whole_pages', inLen.bits(MSG_BITS - 1, BPAGE_SHIFT) as UInt<number>);
    const pageIdx = m.let('page_idx', s.bits(MSG_BITS - 1, BPAGE_SHIFT) as UInt<number>);
    const within = m.let('within', s.bits(BPAGE_SHIFT - 1, 0).zext(17));
    const pageAddr = (idx: UInt<number>): UInt<64> => {
      const page = mux1(pages, idx.zext(4));
      const tail = mux(idx.eq(whole), tailOffset, lit(16, 0));
      return hd.base.add(page.zext(64).shl(BPAGE_SHIFT)).add(tail.zext(64));
    };
    const crosses = m.let('crosses', within.add(y.payload_bytes.zext(17)).gt(1 << BPAGE_SHIFT));
    const len1 = m.let('len1', mux(crosses, lit(17, 1 << BPAGE_SHIFT).sub(within), y.payload_bytes.zext(17)).trunc(16));
    const addr1 = m.let('addr1', pageAddr(pageIdx).add(within.zext(64)));
    const addr2 = m.let('addr2', pageAddr(pageIdx.add(1)));

    // ---- outputs ----
    const o = io.out.payload;
    // The packet leaves with its event (when it reached its RPC), its pages taken (first packet).
    const evNeeded = hd.ok.and(y.restart.not()).and(y.init.not()).or(discard.and(st0.known));
    const outValid = m.let('j_out_valid', hValid.and(hAlloc.not().or(io.grant.valid)));
    const evOk = m.let('j_ev_ok', evNeeded.not().or(io.ev.ready));
    const tmOk = m.let('j_tm_ok', tmNeeded.not().or(io.tm.ready));
    // The bpages of a message that times out partly received go back to its pool, one release
    // a cycle (the host never saw them). Its last payload write went to rx_dma timeout_ticks
    // of silence before, so none is still on its way to them.
    const relNeeded = m.let('j_release', discard.and(st0.known).and(st0.waiting.not()));
    const relOk = m.let('j_release_ok', relNeeded.not().or(rel.rel_busy.not()));
    const rsOk = m.let('j_resend_ok', askNow.not().or(resends.in.ready).and(relOk));
    io.out.valid.set(outValid.and(evOk).and(tmOk).and(rsOk));
    io.ev.valid.set(outValid.and(evNeeded).and(io.out.ready).and(tmOk).and(rsOk));
    io.tm.valid.set(outValid.and(tmNeeded).and(io.out.ready).and(evOk).and(rsOk));
    io.tm.payload.add.set(becomesLive);
    io.tm.payload.slot.set(y.slot);
    resends.in.valid.set(outValid.and(askNow).and(io.out.ready).and(evOk).and(tmOk).and(relOk));
    io.grant.ready.set(hValid.and(hAlloc).and(io.out.ready).and(evOk).and(tmOk).and(rsOk));
    io.release.valid.set(rel.rel_busy);
    io.release.payload.qp.set(rel.rel_qp);
    const relPage = relPages.get(rel.rel_at.trunc(4));
    io.release.payload.offset.set(bpageOffset(relPage, rel.rel_at.eq(rel.rel_whole), rel.rel_tail));
    o.write.set(accept);
    o.frame.set(y.restart.or(y.init).or(isMeta).not());
    o.qp.set(y.qp);
    o.ipv6.set(y.ipv6);
    o.buf_start.set(y.buf_start);
    o.buf_end.set(y.buf_end);
    o.addr1.set(addr1);
    o.len1.set(len1);
    o.addr2.set(addr2);
    o.len2.set(mux(crosses, y.payload_bytes.sub(len1), lit(16, 0)));
    o.complete.set(complete.or(gone).or(txDone));
    const isServer = y.local_id.bit(0);
    // A timeout: a client's ERROR completion (ETIMEDOUT, §3.5) from the RPC's state; a server's
    // discard posts nothing. Either way the RPC is freed.
    o.post.set(mux(gone, expire.and(isClient), lit(1, 1).asBool()));
    o.free_rpc.set(gone.or(complete.and(isServer.not())));
    o.cq.qp.set(mux(fromState, st0.qp, y.qp));
    o.cq.gen.set(mux(fromState, st0.gen, y.gen));
    o.cq.type.set(mux(expire, lit(8, CompletionType.ERROR), mux(txDone, lit(8, CompletionType.TX_DONE),
      mux(isServer, lit(8, CompletionType.REQUEST), lit(8, CompletionType.RESPONSE)))));
    o.cq.id.set(mux(fromState, st0.id, y.local_id));
    o.cq.cookie.set(mux(isServer.and(expire.not()), lit(64, 0), st0.cookie));
    o.cq.peer_addr.set(mux(fromState, st0.saddr, y.saddr));
    o.cq.peer_port.set(mux(fromState, st0.peer_port, y.sport));
    o.cq.length.set(mux(expire, lit(32, 0), mux(txDone, st0.tx_length, inLen).zext(32)));
    o.cq.error.set(mux(expire, lit(16, ETIMEDOUT), lit(16, 0)));
    const hasTail = m.let('has_tail', inLen.bits(BPAGE_SHIFT - 1, 0).ne(0));
    o.cq.num_bpages.set(mux(expire.or(txDone), lit(5, 0), whole.zext(5).add(hasTail.asUInt().zext(5))));
    for (let i = 0; i < 16; i++) {
      o.cq.bpage_offsets.at(i).set(mux(expire.or(txDone), lit(32, 0), bpageOffset(pages[i]!, whole.eq(i), tailOffset)));
    }
    const fired = m.let('j_fired', io.out.fire());
    // Counters and events are about frames; a restart only moves the message's state.
    const done = m.let('j_done', fired.and(y.restart.not()).and(y.init.not()).and(isMeta.not()));
    io.restarted.valid.set(fired.and(y.restart));
    io.restarted.ok.set(hAlloc.and(g.ok));
    io.restarted.gone.set(hAlloc.not());
    io.restarted.slot.set(y.slot);
    const ev = io.ev.payload;
    // A timeout (or an ACK for an unfinished request) tells the grant scheduler the message is
    // gone (its share of max_incoming back, out of the grantable list), as if it had completed.
    ev.gone.set(discard);
    ev.sched.set(mux(discard, st0.known, hKnown.or(complete.not())));
    ev.cutoff_version.set(y.cutoff_version);
    ev.qp.set(y.qp);
    ev.gen.set(y.gen);
    ev.slot.set(y.slot);
    ev.peer.set(y.peer);
    ev.first.set(hKnown.not().and(discard.not()));
    ev.accept.set(accept.or(discard));
    ev.waiting.set(waiting.and(discard.not()));
    ev.complete.set(complete.or(discard));
    ev.length.set(inLen);
    ev.incoming.set(mux(discard, lit(32, 0), y.incoming));
    ev.received.set(mux(discard, st0.received, mux(accept, newReceived, received0)));
    ev.ipv6.set(y.ipv6);
    ev.saddr.set(y.saddr);
    ev.smac.set(y.smac);
    ev.sport.set(y.sport);
    ev.dport.set(y.dport);
    ev.id.set(y.local_id);
    io.idle.set(a.valid.not().and(pendValid.items.reduce<Bool>((acc, v) => acc.or(v), lit(1, 0).asBool()).not()).and(resends.count.eq(0))
      .and(rel.rel_busy.not()));

    const cnt = io.count as Record<string, Bool>;
    const judged = m.let('judged', done.and(y.deliver));
    cnt['unknown_rpcs']!.set(judged.and(hd.mine.not().or(hd.qp_up.not())));
    cnt['packets_rcvd_DATA']!.set(done.and(hOk));                                     // DATA that reached its RPC (§3.5)
    cnt['buffer_alloc_failures']!.set(done.and(hAlloc).and(g.ok.not()));
    cnt['dropped_data_no_bufs']!.set(done.and(hOk).and(waiting));
    const pktDiscard = m.let('discard', done.and(hOk).and(waiting.not()).and(fits.not()).and(overflow.not()));
    cnt['packet_discards']!.set(pktDiscard.and(y.retransmit.not()));
    cnt['resent_discards']!.set(pktDiscard.and(y.retransmit));
    cnt['gap_overflows']!.set(done.and(hOk).and(waiting.not()).and(lengthOk).and(endFits).and(overflow));
    cnt['server_requests_done']!.set(done.and(complete).and(isServer));
    cnt['client_responses_done']!.set(done.and(complete).and(isServer.not()));
    cnt['rpc_timeouts']!.set(fired.and(expire));
    cnt['server_rpc_discards']!.set(fired.and(expire).and(isClient.not()));

    // The state written back (and forwarded, and snooped by stage A).
    const next = m.wire('next_state', rpcState);
    const nextPages = m.wire('next_pages', rpcPages);
    // A scan, a free or a heard control packet changes only the timer's fields (and `live`).
    const timerOnly = m.let('j_timer_only', isMeta.or(y.heard));
    const tombScanned = m.let('j_tomb_silent', mux(tombScan, silent1, st0.silent));
    const dataHere = m.let('j_data_here', hOk.and(y.init.not()).and(y.restart.not()));
    const resetSilence = m.let('j_reset_silence', heardNow.or(dataHere).or(hFresh));
    const initIpv6 = y.saddr.bits(127, 32).ne(0xffff);
    const saidIncoming = m.let('j_incoming', mux(y.incoming.gt(inLen.zext(32)), inLen, y.incoming.trunc(MSG_BITS)));
    const sw = m.wire('next_timer', record({ silent: u(16), until: u(16) }));
    m.comb(() => {
      sw.silent.set(st0.silent);
      sw.until.set(st0.until);
      when(scanNow, () => {
        sw.silent.set(mux(quiet, lit(16, 0), silent1));
        sw.until.set(mux(quiet, tt.resend_ticks, mux(resendNow, tt.resend_interval, until1)));
      });
      when(resetSilence, () => { sw.silent.set(0); sw.until.set(tt.resend_ticks); });
      when(tombScan, () => sw.silent.set(tombScanned));
      when(ackedNow, () => sw.silent.set(0));
    });
    m.comb(() => {
      assign(next, st0);
      next.live.set(ends.not());
      next.silent.set(sw.silent);
      next.until.set(sw.until);
      next.responded.set(st0.responded.or(respondedNow).and(ackedNow.not()));
      next.done_ticks.set(mux(respondedNow, lit(16, 0), mux(ackScan, done1, st0.done_ticks)));
      next.tomb.set(st0.tomb.or(ackedNow));
      when(respondedNow, () => { next.tx_length.set(y.tx_length); next.tx_notify.set(y.tx_notify); });
      when(timerOnly.not(), () => {
        next.live.set(true);
        next.qp.set(y.qp);
        next.gen.set(y.gen);
        next.peer_port.set(y.sport);
        next.ipv6.set(mux(y.init, initIpv6, y.ipv6));
        next.saddr.set(y.saddr);
        next.smac.set(mux(y.init, lit(16, 0x0200).cat(y.saddr.bits(31, 0)), y.smac));
        next.port.set(hd.port);
        next.id.set(y.local_id);
        next.incoming.set(mux(hFresh.or(y.init), mux(y.init, lit(MSG_BITS, 0), saidIncoming),
          mux(accept.and(saidIncoming.gt(st0.incoming)), saidIncoming, st0.incoming)));
        next.cookie.set(mux(y.init, y.cookie, mux(hFresh, lit(64, 0), st0.cookie)));
        next.known.set(y.init.not());
        // A new RPC in the slot starts with none of its predecessor's ending.
        when(hFresh.or(y.init), () => {
          next.responded.set(false); next.done_ticks.set(0); next.tomb.set(false);
          next.tx_length.set(mux(y.init, y.tx_length, lit(MSG_BITS, 0)));
          next.tx_notify.set(y.init.and(y.tx_notify));
        });
        next.waiting.set(waiting);
        next.in_length.set(inLen);
        next.received.set(mux(accept, newReceived, received0));
        next.recv_end.set(mux(accept.and(atFront), endT, recvEnd0));
        next.gap_count.set(mux(accept, gapCountNew, gapCount0));
        gapsNew.forEach((gp, i) => {
          next.gaps.at(i).start.set(mux(accept, gp.start, gaps0[i]!.start));
          next.gaps.at(i).end.set(mux(accept, gp.end, gaps0[i]!.end));
        });
      });
      pages.forEach((p, i) => nextPages.pages.at(i).set(p));
      nextPages.tail_offset.set(tailOffset);
    });
    const writes = m.let('j_writes', fired.and(hOk.or(heardNow).or(scanAny).or(ends).or(respondedNow).or(ackedNow)));
    const snoop = m.let('a_snoop', writes.and(a.valid).and(y.slot.eq(x.slot)));

    m.seq(() => {
      // A timed-out message's bpages: whole pages, then the tail piece (as its completion would list them).
      when(io.release.fire(), () => {
        rel.rel_at.set(rel.rel_at.add(1));
        when(rel.rel_at.add(1).ge(rel.rel_n), () => rel.rel_busy.set(false));
      });
      when(fired.and(relNeeded), () => {
        const n = whole.zext(5).add(hasTail.asUInt().zext(5));
        rel.rel_busy.set(n.ne(0));
        rel.rel_qp.set(st0.qp);
        rel.rel_at.set(0);
        rel.rel_n.set(n);
        rel.rel_whole.set(whole.zext(5));
        rel.rel_tail.set(tailOffset);
        pages.forEach((p, i) => relPages.at(i).set(p));
      });
      when(io.granted.valid, () => grantW.write(io.granted.slot, { tag: io.granted.id.bits(15, 0), offset: io.granted.offset }));
      when(io.qp_event.valid, () => {
        const ev = io.qp_event.payload;
        qpW.write(ev.qp, { enabled: ev.kind.is('disable').not(), gen: ev.gen, base: ev.bpool_base, port: ev.port });
      });
      // Stage A keeps its copy current; a new packet reads its slot as it enters.
      when(a.valid, () => {
        a.first.set(false);
        assign(a.st, mux(snoop, next, found.st));
        assign(a.pg, mux(snoop, nextPages, found.pg));
        assign(a.q, q);
      });
      when(io.work.fire(), () => {
        stateR.read(io.work.payload.slot);
        pagesR.read(io.work.payload.slot);
        grantR.read(io.work.payload.slot);
        qpR.read(io.work.payload.qp);
        assign(a.w, io.work.payload);
        a.first.set(true);
      });
      a.valid.set(io.work.fire().or(a.valid.and(aGo.not())));
      when(aGo, () => {
        for (let i = 0; i < DEPTH; i++) {
          when(ptr.tail.eq(i), () => {
            pendValid.at(i).set(true);
            const e = pend.at(i);
            assign(e.w, x);
            assign(e.st, mux(snoop, next, found.st));
            assign(e.pg, mux(snoop, nextPages, found.pg));
            e.base.set(q.base);
            e.port.set(q.port);
            assign(e.gr, grantR.data);
            e.ok.set(ok);
            e.mine.set(mine);
            e.qp_up.set(qpUp);
            e.alloc.set(needAlloc);
          });
        }
        ptr.tail.set(ptr.tail.add(1));
      });
      when(fired, () => {
        for (let i = 0; i < DEPTH; i++) when(ptr.head.eq(i).and(aGo.and(ptr.tail.eq(i)).not()), () => pendValid.at(i).set(false));
        ptr.head.set(ptr.head.add(1));
      });
      when(writes, () => {
        stateW.write(y.slot, next);
        pagesW.write(y.slot, nextPages);
        fwd.valid.set(true);
        fwd.slot.set(y.slot);
        assign(fwd.state, next);
        assign(fwd.pages, nextPages);
      });
    });
  }, { config: c.name });
}

/** A message's bpage as the host sees it (spec §4): the page's offset in the pool, plus the tail's offset within it for the last. */
function bpageOffset(page: UInt<number>, isTail: Bool, tail: UInt<number>): UInt<32> {
  return page.zext(32).shl(BPAGE_SHIFT).or(mux(isTail, tail.zext(32), lit(32, 0))) as UInt<32>;
}

/** values[idx] by a hardware index (a balanced mux). */
function mux1<T extends UInt<number>>(values: readonly T[], idx: UInt<number>): T {
  let level: T[] = [...values];
  for (let bit = 0; level.length > 1; bit++) {
    const next: T[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? mux(idx.bit(bit), level[i + 1]!, level[i]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}

