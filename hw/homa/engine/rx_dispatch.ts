// hw/homa/engine/rx_dispatch.ts — which RPC an accepted packet belongs to (spec §3.5
// homa_dispatch_pkts): the port map (dport -> queue pair), the peer table (saddr -> peer)
// and the RPC table ((peer, sender_id ^ 1) -> slot, §1.2), a server RPC created for request
// DATA to a queue pair that accepts requests (SO_HOMA_SERVER, §2).
//
// Three stages joined by FIFOs, in arrival order, one packet per cycle:
//   A  header in: the port map and the peer table are asked at once; the queue pair's SERVER
//      bit and generation (kept here from qp_event) are read the cycle the port answers;
//   B  peer answer: the RPC table is asked (find_or_insert for request DATA to a server queue
//      pair, lookup otherwise);
//   C  RPC answer: the packet goes on to rx_data as `deliver` (DATA for an RPC, new or not)
//      or `drop` (its beats are only freed), counted by reason.
// GRANTs for a known RPC also go to the transmit side (`grant`), and so does a peer's
// CUTOFFS (`cutoffs`: its cutoffs for our unscheduled packets, §3.3), and a RESEND for a
// known RPC (`resend`: tx_rpc retransmits, or answers BUSY, §3.5). Answers that need no RPC
// go to ctl_tx (`ack`): a NEED_ACK from a server for a client RPC we no longer have (it ended
// when its response completed) gets an ACK (§3.6 homa_need_ack_pkt), a RESEND for an RPC we
// do not have gets RPC_UNKNOWN (§3.5 homa_resend_pkt). A NEED_ACK for an RPC still here (its
// response incomplete) is left to the RPC's timer, which asks for the missing bytes. A GRANT
// or BUSY for a known RPC reaches rx_data marked `heard` (its silent ticks start again, §3.5);
// an RPC_UNKNOWN for one of our client RPCs restarts it (to tx_rpc as a `restart`: the request
// again from byte 0, §3.5), one for a server RPC is counted and dropped (HomaModule discards the
// RPC; here it ends on its own NEED_ACKs); rx_data counts DATA.
//
// Acknowledgements (§3.6): a server RPC stays in the table after its response has gone out
// (tx_rpc's `responded`, through here to rx_data, which sends NEED_ACK) until its client
// acknowledges it: the RPC an ACK names in its header, or the one a DATA carries in its `ack`
// field. Either comes back through stage A as an item of its own (when its FIFO is full it is
// let go, and NEED_ACK asks again). The acknowledged RPC becomes a tombstone (the table
// entry's flag, rx_data's `acked`): every packet for it is treated as for no RPC, except a
// request DATA, which is dropped (packet_discards) instead of starting the RPC again, until
// rx_data frees the tombstone timeout_ticks later. The ACK packet's list of further acks is
// not read (the parser does not extract it): those RPCs end on their own NEED_ACK.
//
// Accepted send descriptors (sq_fetch) take the same three stages, in turn with frames, so an
// RPC's slot is found where the frames find it: the peer is looked up (created on first use,
// as HomaModule's homa_peer_find), then a REQUEST enters its client RPC (find_or_insert of
// (peer, id): ids restart at 2 when a queue pair is enabled again, so an old entry is taken
// over) and a REPLY or ABORT looks its RPC up. The answer leaves on `tx` (tx_rpc.ts); a new
// client RPC also goes to rx_data as an `init` work item, ahead of any response frame (the
// stages keep order), so the response finds the RPC's slot ready with its cookie. RPCs that
// ended (`free`) take the same way to be removed from the RPC table, their slot free again,
// and go on to rx_data as a `free` item (the slot's state and timer end there).

import { assign, bool, connect, input, lit, module, mux, output, record, stream, u, vec, when, type Bool } from '../../hdl/index.ts';
import { regFifo } from '../../lib/fifo.ts';
import { HomaType, RESEND_ALL } from '../wire/index.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { peerTable } from './peer_table.ts';
import { rpcTable } from './rpc_table.ts';
import { engineLayouts, MSG_BITS } from './types.ts';
import { txDescLayout } from './sq_fetch.ts';
import { SendFlag, SendOpcode } from '../abi.ts';
import { ctlRequest } from './ctl_tx.ts';

const TYPES = ['DATA', 'GRANT', 'RESEND', 'RPC_UNKNOWN', 'BUSY', 'CUTOFFS', 'FREEZE', 'NEED_ACK', 'ACK'] as const;

/** What rx_data gets for each accepted frame, in order. */
export function rxWorkLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({
    /** DATA for an RPC (existing, or `created` now); 0: free the frame's beats, nothing else. */
    deliver: bool,
    /**
     * Not a frame: restart a message that waited for bpages (bwait.ts): take its bpages now if
     * the pool has them. Carries the RPC's slot, queue pair, generation, peer port, id, length.
     */
    restart: bool,
    /** Not a frame: a client RPC starts (REQUEST sent): its slot is set up for the response (qp, gen, server port in sport, cookie). */
    init: bool,
    /** Not a frame: the RPC in `slot` ended (out of the RPC table): its state and timer end. */
    free: bool,
    /** Not a frame: the timer's visit of the RPC in `slot` at a tick (rpc_timer.ts). */
    scan: bool,
    /** A control frame (GRANT, BUSY) for the RPC in `slot`: its peer is alive (silent ticks to 0). */
    heard: bool,
    /** Not a frame: the server RPC in `slot` has sent its whole response (NEED_ACK countdown, §3.6). */
    responded: bool,
    /** The server RPC in `slot` was acknowledged (an ACK frame, or a DATA's ack): now a tombstone. */
    acked: bool,
    /**
     * With `init` (a client's request) or `responded` (a server's response): the message's length
     * and NOTIFY_TX_DONE. The engine reads those bytes again for a RESEND until the RPC ends, so
     * TX_DONE is posted then (rx_data), not when the last packet leaves.
     */
    tx_length: u(MSG_BITS),
    tx_notify: bool,
    cookie: u(64),
    created: bool,
    slot: u(w.rpcSlot),
    qp: u(w.qp),
    gen: u(8),
    ipv6: bool,
    saddr: u(128),
    smac: u(48),
    sport: u(16),
    dport: u(16),
    /** The peer-table entry of the sender. */
    peer: u(w.peer),
    local_id: u(64),
    message_length: u(MSG_BITS),
    offset: u(MSG_BITS),
    payload_bytes: u(16),
    incoming: u(32),
    cutoff_version: u(16),
    retransmit: bool,
    buf_start: u(w.rxBufferAddr + 1),
    buf_end: u(w.rxBufferAddr + 1),
  });
}

/** The counters rx_dispatch drives. */
export const DISPATCH_COUNTERS = [
  ...TYPES.filter((t) => t !== 'DATA').map((t) => `packets_rcvd_${t}`), 'peer_table_full', 'unknown_rpcs', 'requests_to_non_server', 'server_cant_create_rpcs',
  'unknown_grants', 'packet_discards', 'packets_rcvd_DATA',
] as const;

/** A send descriptor's RPC, found (REPLY, ABORT) or entered (REQUEST), for tx_rpc. */
export function txFoundLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({
    desc: txDescLayout(c),
    /** The RPC exists (REPLY, ABORT) or was entered (REQUEST); 0: no such RPC, or a table was full. */
    ok: bool,
    /** A REQUEST found no room (peer or RPC table full). */
    full: bool,
    slot: u(w.rpcSlot),
    peer: u(w.peer),
  });
}

/** A peer's CUTOFFS (spec §3.3): the cutoffs our unscheduled packets to it follow. */
export function rxCutoffsLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({ peer: u(w.peer), cutoffs: vec(u(32), 8), version: u(16) });
}

/**
 * An RPC that ended or moved on, by the peer's address and our id: out of the RPC table
 * (`free`, neither flag), its response all sent (`responded`: rx_data starts asking for the
 * ACK), or acknowledged by its client (`acked`: a tombstone).
 */
export const rpcFreeLayout = record({
  addr: u(128), id: u(64), responded: bool, acked: bool,
  /** With `responded`: the response's length and its NOTIFY_TX_DONE (TX_DONE comes with the ACK). */
  tx_length: u(MSG_BITS), tx_notify: bool,
});

/** A RESEND for one of our RPCs (spec §1.3, §3.5): the range, and who asked (for a BUSY). */
export function rxResendLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({
    slot: u(w.rpcSlot), offset: u(32), length: u(32), priority: u(8),
    ipv6: bool, saddr: u(128), smac: u(48), sport: u(16), dport: u(16), id: u(64),
    /** An RPC_UNKNOWN from the server for our client RPC: send everything again, at the unscheduled level (§3.5). */
    restart: bool,
  });
}

/** A GRANT for one of our RPCs (spec §1.3): to the transmit scheduler. */
export function rxGrantLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({ slot: u(w.rpcSlot), offset: u(32), priority: u(8) });
}

export function rxDispatch(c: EngineConfig) {
  const L = engineLayouts(c);
  const w = engineWidths(c);
  const work = rxWorkLayout(c);
  const descL = txDescLayout(c);
  const stageA = record({ hdr: L.rxHeader, tx: bool, tx_req: bool, fr: bool, fr_resp: bool, fr_ack: bool, hit: bool, qp: u(w.qp), server: bool, gen: u(8), enabled: bool });
  const stageB = record({ a: stageA, asked: bool, create: bool, peer_full: bool, peer: u(w.peer) });
  return module(`rx_dispatch_${c.name}`, {
    hdr: stream.sink(L.rxHeader),
    /** Accepted send descriptors, their RPC to find or enter. */
    desc: stream.sink(descL),
    /** RPCs that ended (out of the RPC table) or whose response has all gone out (`responded`). */
    free: stream.sink(rpcFreeLayout),
    qp_event: stream.sink(L.qpEvent),
    port_lookup: output(u(16)),
    port_found: input(record({ hit: bool, qp: u(w.qp) })),
    work: stream.source(work),
    tx: stream.source(txFoundLayout(c)),
    grant: stream.source(rxGrantLayout(c)),
    resend: stream.source(rxResendLayout(c)),
    /** ACK (for NEED_ACK) and RPC_UNKNOWN (for RESEND) answers, to ctl_tx. */
    ack: stream.source(ctlRequest),
    cutoffs: stream.source(rxCutoffsLayout(c)),
    idle: output(bool),
    count: output(record(Object.fromEntries(DISPATCH_COUNTERS.map((n) => [n, bool])) as { [K in (typeof DISPATCH_COUNTERS)[number]]: typeof bool })),
  }, (m, io) => {
    const peers = m.instance('peers', peerTable(c));
    const rpcs = m.instance('rpcs', rpcTable(c));
    const fifoA = m.instance('fifo_a', regFifo(stageA, 8));
    const fifoB = m.instance('fifo_b', regFifo(stageB, 8));
    // Descriptors wait here, in order, while their lookups go through the stages.
    const descs = m.instance('descs', regFifo(descL, 8));
    // ACKs wait here for ctl_tx (a FIFO's ready does not hang on its taker's).
    const acks = m.instance('acks', regFifo(ctlRequest, 2));
    connect(io.ack, acks.out);
    // A peer's CUTOFFS on its way to the transmit side, through a FIFO for the same reason.
    const cuts = m.instance('cutoffs', regFifo(rxCutoffsLayout(c), 2));
    connect(io.cutoffs, cuts.out);
    // Acks carried by DATA, on their way back to stage A (let go when full: NEED_ACK asks again).
    const pig = m.instance('piggy_acks', regFifo(rpcFreeLayout, 4));
    // RESENDs for our RPCs on their way to tx_rpc.
    const resends = m.instance('resends', regFifo(rxResendLayout(c), 2));
    connect(io.resend, resends.out);

    // Per-queue-pair SERVER bit and generation, from the register block's events.
    const qpInfo = m.memory('qp_info', { layout: record({ enabled: bool, server: bool, gen: u(8) }), depth: c.queuePairs, ports: ['w', 'r'] });
    const [infoW, infoR] = [qpInfo.ports[0]!, qpInfo.ports[1]!];
    io.qp_event.ready.set(true);

    // ---- stage A ----
    const a1 = m.reg('a1', record({ valid: bool, tx: bool, tx_req: bool, fr: bool, fr_resp: bool, fr_ack: bool, hdr: L.rxHeader }));
    const a2 = m.reg('a2', record({ valid: bool, tx: bool, tx_req: bool, fr: bool, fr_resp: bool, fr_ack: bool, hdr: L.rxHeader, hit: bool, qp: u(w.qp) }));
    const inFlight = m.let('a_in_flight', a1.valid.asUInt().zext(4).add(a2.valid.asUInt().zext(4)));
    const room = m.let('a_room', fifoA.count.zext(4).add(inFlight).lt(8));
    // Frames first, then RPCs that ended or moved on, then acks DATA carried, then descriptors
    // (a descriptor only with a place to wait).
    const takeFree = m.let('take_free', io.hdr.valid.not().and(io.free.valid));
    const takePig = m.let('take_pig', io.hdr.valid.not().and(io.free.valid.not()).and(pig.out.valid));
    const takeDesc = m.let('take_desc', io.hdr.valid.not().and(io.free.valid.not()).and(pig.out.valid.not()).and(io.desc.valid).and(descs.in.ready));
    io.hdr.ready.set(room.and(peers.req.ready));
    io.free.ready.set(room.and(peers.req.ready).and(takeFree));
    pig.out.ready.set(room.and(peers.req.ready).and(takePig));
    io.desc.ready.set(room.and(peers.req.ready).and(takeDesc));
    const fin = {
      addr: m.let('fin_addr', mux(takeFree, io.free.payload.addr, pig.out.payload.addr)),
      id: m.let('fin_id', mux(takeFree, io.free.payload.id, pig.out.payload.id)),
      responded: m.let('fin_responded', mux(takeFree, io.free.payload.responded, pig.out.payload.responded)),
      acked: m.let('fin_acked', mux(takeFree, io.free.payload.acked, pig.out.payload.acked)),
      tx_length: m.let('fin_tx_length', mux(takeFree, io.free.payload.tx_length, pig.out.payload.tx_length)),
      tx_notify: m.let('fin_tx_notify', mux(takeFree, io.free.payload.tx_notify, pig.out.payload.tx_notify)),
    };
    peers.req.valid.set(io.hdr.valid.or(takeFree).or(takePig).or(takeDesc).and(room));
    peers.req.payload.addr.set(mux(takeFree.or(takePig), fin.addr, mux(takeDesc, io.desc.payload.peer_addr, io.hdr.payload.saddr)));
    io.port_lookup.set(io.hdr.payload.dport);
    descs.in.valid.set(io.desc.fire());
    assign(descs.in.payload, io.desc.payload);
    const info = infoR.data;
    fifoA.in.valid.set(a2.valid);
    assign(fifoA.in.payload.hdr, a2.hdr);
    fifoA.in.payload.tx.set(a2.tx);
    fifoA.in.payload.tx_req.set(a2.tx_req);
    fifoA.in.payload.fr.set(a2.fr);
    fifoA.in.payload.fr_resp.set(a2.fr_resp);
    fifoA.in.payload.fr_ack.set(a2.fr_ack);
    fifoA.in.payload.hit.set(a2.hit);
    fifoA.in.payload.qp.set(a2.qp);
    fifoA.in.payload.server.set(info.server);
    fifoA.in.payload.gen.set(info.gen);
    fifoA.in.payload.enabled.set(info.enabled);

    const hdrFire = m.let('hdr_fire', io.hdr.fire());
    const descFire = m.let('desc_fire', io.desc.fire());
    const freeFire = m.let('free_fire', io.free.fire().or(pig.out.fire()));
    // A descriptor travels as a header naming its peer and, in sender_id, its id ^ 1 (stage B
    // asks for sender_id ^ 1); its type is none of Homa's.
    const dIn = io.desc.payload;
    const descHdr = m.wire('desc_hdr', L.rxHeader);
    m.comb(() => {
      assign(descHdr, io.hdr.payload);
      descHdr.saddr.set(dIn.peer_addr);
      descHdr.sender_id.set(dIn.id.xor(1));
      // A descriptor carries its message's length and NOTIFY_TX_DONE in these two fields.
      descHdr.message_length.set(dIn.length.trunc(MSG_BITS));
      descHdr.retransmit.set(dIn.flags.and(SendFlag.NOTIFY_TX_DONE).ne(0));
      descHdr.type.set(0xff);
    });
    // So does an RPC to free (its peer's address, our id ^ 1).
    const freeHdr = m.wire('free_hdr', L.rxHeader);
    m.comb(() => {
      assign(freeHdr, io.hdr.payload);
      freeHdr.saddr.set(fin.addr);
      freeHdr.sender_id.set(fin.id.xor(1));
      // A responded item carries its response's length and NOTIFY_TX_DONE in these two fields.
      freeHdr.message_length.set(fin.tx_length);
      freeHdr.retransmit.set(fin.tx_notify);
      freeHdr.type.set(0xff);
    });

    // ---- stage B ----
    const a = fifoA.out.payload;
    const isData = m.let('b_is_data', a.hdr.type.eq(HomaType.DATA));
    const serverId = m.let('b_server_id', a.hdr.sender_id.bit(0).not());   // local id = sender_id ^ 1 is odd (§1.2)
    const peerFull = peers.resp.payload.full;
    const txRequest = m.let('b_tx_request', a.tx.and(a.tx_req));
    const create = m.let('b_create', isData.and(serverId).and(a.hit).and(a.enabled).and(a.server).and(a.tx.not()).or(txRequest));
    const ask = m.let('b_ask', peerFull.not());
    const bGo = m.let('b_go', fifoA.out.valid.and(peers.resp.valid).and(fifoB.in.ready).and(ask.not().or(rpcs.req.ready)));
    fifoA.out.ready.set(bGo);
    peers.resp.ready.set(bGo);
    rpcs.req.valid.set(fifoA.out.valid.and(peers.resp.valid).and(fifoB.in.ready).and(ask));
    rpcs.req.payload.peer.set(peers.resp.payload.peer);
    rpcs.req.payload.id.set(a.hdr.sender_id.xor(1));
    fifoB.in.valid.set(bGo);
    assign(fifoB.in.payload.a.hdr, a.hdr);
    fifoB.in.payload.a.tx.set(a.tx);
    fifoB.in.payload.a.tx_req.set(a.tx_req);
    fifoB.in.payload.a.fr.set(a.fr);
    fifoB.in.payload.a.fr_resp.set(a.fr_resp);
    fifoB.in.payload.a.fr_ack.set(a.fr_ack);
    fifoB.in.payload.a.hit.set(a.hit);
    fifoB.in.payload.a.qp.set(a.qp);
    fifoB.in.payload.a.server.set(a.server);
    fifoB.in.payload.a.gen.set(a.gen);
    fifoB.in.payload.a.enabled.set(a.enabled);
    fifoB.in.payload.asked.set(ask);
    fifoB.in.payload.create.set(create);
    fifoB.in.payload.peer_full.set(peerFull);
    fifoB.in.payload.peer.set(peers.resp.payload.peer);
    // An acknowledgement (from an ACK's header or a DATA's ack, back from stage C): the entry
    // becomes a tombstone if it is there (update writes nothing otherwise).
    rpcs.req.payload.tomb.set(a.fr.and(a.fr_ack));                               // a new entry is never a tombstone
    m.comb(() => {
      rpcs.req.payload.op.setTo('lookup');
      when(create, () => rpcs.req.payload.op.setTo('find_or_insert'));
      when(a.fr, () => {
        rpcs.req.payload.op.setTo('remove');
        when(a.fr_resp, () => rpcs.req.payload.op.setTo('lookup'));
        when(a.fr_ack, () => rpcs.req.payload.op.setTo('update'));
      });
    });

    // ---- stage C ----
    const b = fifoB.out.payload;
    const h = b.a.hdr;
    const r = rpcs.resp.payload;
    const isTx = b.a.tx;
    const isFree = b.a.fr;
    const data = m.let('c_is_data', h.type.eq(HomaType.DATA).and(isTx.not()));
    const isGrant = m.let('c_is_grant', h.type.eq(HomaType.GRANT).and(isTx.not()));
    // A tombstone answers as no RPC, except that request DATA for it is dropped (below).
    const live = m.let('c_live', r.found.and(r.tomb.not()));
    const tombData = m.let('c_tomb_data', data.and(b.asked).and(r.found).and(r.tomb));
    const known = m.let('c_known', b.asked.and(live));
    const created = m.let('c_created', b.asked.and(b.create).and(r.found.not()).and(r.full.not()));
    const deliver = m.let('c_deliver', data.and(known.or(created)));
    const d = descs.out.payload;
    const txOk = m.let('c_tx_ok', b.asked.and(live.or(created)));
    const txInit = m.let('c_tx_init', isTx.and(b.create).and(txOk));
    const grantOut = m.let('c_grant_out', isGrant.and(known));
    const isResend = m.let('c_is_resend', h.type.eq(HomaType.RESEND).and(isTx.not()).and(isFree.not()).and(b.asked));
    const needAck = m.let('c_need_ack', h.type.eq(HomaType.NEED_ACK).and(isTx.not()).and(b.asked).and(h.sender_id.bit(0)).and(live.not()));
    const unknownOut = m.let('c_unknown_out', isResend.and(live.not()));
    const ackOut = m.let('c_ack_out', needAck.or(unknownOut));
    // RPC_UNKNOWN from the server of one of our client RPCs: the request goes again from byte 0.
    const restartOut = m.let('c_restart_out', h.type.eq(HomaType.RPC_UNKNOWN).and(isTx.or(isFree).not()).and(b.asked).and(live).and(h.sender_id.bit(0)));
    const resendOut = m.let('c_resend_out', isResend.and(live).or(restartOut));
    const heard = m.let('c_heard', known.and(isTx.or(isFree).not()).and(h.type.eq(HomaType.GRANT).or(h.type.eq(HomaType.BUSY))));
    // Ending, responded, acknowledged: the entry as it was (a tombstone may only end).
    const isResp = b.a.fr_resp, isAcked = b.a.fr_ack;
    const freeFound = m.let('c_free_found', isFree.and(b.asked).and(r.found).and(isResp.or(isAcked).not().or(r.tomb.not())));
    const ackFound = m.let('c_ack_found', isFree.and(isAcked).and(b.asked).and(live));
    // A frame always leaves as a work item (its beats are freed there); a descriptor only when
    // it starts a client RPC; an RPC ended, responded or acknowledged when it was in the table.
    const needWork = m.let('c_need_work', isTx.or(isFree).not().or(txInit).or(freeFound));
    const cReady = m.let('c_ready', fifoB.out.valid.and(b.asked.not().or(rpcs.resp.valid)));
    const cutOut = m.let('c_cutoffs_out', h.type.eq(HomaType.CUTOFFS).and(isTx.not()).and(b.asked));
    const sideOk = m.let('c_side_ok', grantOut.not().or(io.grant.ready).and(ackOut.not().or(acks.in.ready)).and(cutOut.not().or(cuts.in.ready))
      .and(resendOut.not().or(resends.in.ready)));
    const cGo = m.let('c_go', cReady.and(needWork.not().or(io.work.ready)).and(isTx.not().or(io.tx.ready)).and(sideOk));
    fifoB.out.ready.set(cGo);
    rpcs.resp.ready.set(cGo.and(b.asked));
    descs.out.ready.set(cGo.and(isTx));
    io.work.valid.set(cReady.and(needWork).and(isTx.not().or(io.tx.ready)).and(sideOk));
    io.tx.valid.set(cReady.and(isTx).and(needWork.not().or(io.work.ready)));
    assign(io.tx.payload.desc, d);
    io.tx.payload.ok.set(txOk);
    io.tx.payload.full.set(b.peer_full.or(b.asked.and(b.create).and(r.found.not()).and(r.full)));
    io.tx.payload.slot.set(r.slot);
    io.tx.payload.peer.set(b.peer);
    // At most one of grant, ack, cutoffs and resend per item: each waits only for the work item.
    io.grant.valid.set(cReady.and(grantOut).and(io.work.ready));
    acks.in.valid.set(cReady.and(ackOut).and(io.work.ready));
    cuts.in.valid.set(cReady.and(cutOut).and(io.work.ready));
    resends.in.valid.set(cReady.and(resendOut).and(io.work.ready));
    // An acknowledgement (§3.6): an ACK's header naming one of our server RPCs, or a DATA's ack
    // (the client's earlier RPC to us, done): back to stage A to make a tombstone, if there is room.
    const ackHdr = m.let('c_ack_header', h.type.eq(HomaType.ACK).and(isTx.or(isFree).not()).and(b.asked).and(live).and(h.sender_id.bit(0).not()));
    const pigOut = m.let('c_piggy_ack', data.and(b.asked).and(h.ack_client_id.ne(0)).and(h.ack_client_id.bit(0).not()).or(ackHdr));
    pig.in.valid.set(cGo.and(pigOut));
    pig.in.payload.addr.set(h.saddr);
    pig.in.payload.id.set(mux(ackHdr, h.sender_id, h.ack_client_id).xor(1));
    pig.in.payload.responded.set(false);
    pig.in.payload.acked.set(true);
    pig.in.payload.tx_length.set(0);
    pig.in.payload.tx_notify.set(false);
    const rs = resends.in.payload;
    rs.slot.set(r.slot);
    rs.offset.set(mux(restartOut, lit(32, 0), h.ctl_offset));
    rs.length.set(mux(restartOut, lit(32, RESEND_ALL), h.ctl_length));
    rs.priority.set(h.ctl_priority);
    rs.restart.set(restartOut);
    rs.ipv6.set(h.ipv6);
    rs.saddr.set(h.saddr);
    rs.smac.set(h.smac);
    rs.sport.set(h.dport);
    rs.dport.set(h.sport);
    rs.id.set(h.sender_id.xor(1));
    cuts.in.payload.peer.set(b.peer);
    assign(cuts.in.payload.cutoffs, h.cutoffs);
    cuts.in.payload.version.set(h.cutoff_version);
    const ak = acks.in.payload;
    ak.type.set(mux(unknownOut, lit(8, HomaType.RPC_UNKNOWN), lit(8, HomaType.ACK)));
    ak.ipv6.set(h.ipv6);
    ak.daddr.set(h.saddr);
    ak.dmac.set(h.smac);
    ak.sport.set(h.dport);
    ak.dport.set(h.sport);
    ak.sender_id.set(h.sender_id.xor(1));
    ak.offset.set(0);
    ak.length.set(0);
    ak.priority.set(0);
    io.grant.payload.slot.set(r.slot);
    io.grant.payload.offset.set(h.ctl_offset);
    io.grant.payload.priority.set(h.ctl_priority);
    const o = io.work.payload;
    o.deliver.set(deliver.or(txInit));
    o.restart.set(false);
    o.init.set(isTx);
    o.free.set(isFree.and(isResp.or(isAcked).not()));
    o.scan.set(false);
    o.heard.set(heard);
    o.responded.set(isFree.and(isResp));
    o.acked.set(ackFound);
    o.tx_length.set(h.message_length);
    o.tx_notify.set(h.retransmit.and(isTx.or(isFree)));
    o.cookie.set(d.cookie);
    o.created.set(created.or(txInit));                       // a REQUEST takes its slot over, whatever was there
    o.slot.set(r.slot);
    o.qp.set(mux(isTx, d.qp, b.a.qp));
    o.gen.set(mux(isTx, d.gen, b.a.gen));
    o.ipv6.set(h.ipv6);
    o.saddr.set(h.saddr);
    o.smac.set(h.smac);
    o.sport.set(mux(isTx, d.dport, h.sport));
    o.dport.set(h.dport);
    o.peer.set(b.peer);
    o.incoming.set(h.incoming);
    o.cutoff_version.set(h.cutoff_version);
    o.local_id.set(h.sender_id.xor(1));
    o.message_length.set(h.message_length);
    o.offset.set(h.offset);
    o.payload_bytes.set(h.payload_bytes);
    o.retransmit.set(h.retransmit);
    o.buf_start.set(h.buf_start);
    o.buf_end.set(h.buf_end);
    // homa_dispatch_pkts (§3.5): a packet naming no RPC is dropped and counted in unknown_rpcs
    // (a GRANT to a server excepted) unless its type acts without one (CUTOFFS, NEED_ACK, ACK,
    // RESEND); packets_rcvd_* counts the packets that reach their handler. DATA that has an RPC
    // is counted by rx_data, which also checks the RPC is still this one.
    const cnt = io.count as Record<string, Bool>;
    const frameGo = m.let('c_frame_go', cGo.and(isTx.or(isFree).not()));
    const dropped = m.let('c_dropped', frameGo.and(data).and(deliver.not()).and(tombData.not()));
    cnt['packet_discards']!.set(frameGo.and(tombData));
    cnt['packets_rcvd_DATA']!.set(frameGo.and(tombData));                      // it reached the DATA handler, which discards it
    const clientId = h.sender_id.bit(0);                                          // our id is even
    const actsAlone = m.let('c_acts_alone', h.type.eq(HomaType.CUTOFFS).or(h.type.eq(HomaType.NEED_ACK)).or(h.type.eq(HomaType.ACK)).or(h.type.eq(HomaType.RESEND)));
    const control = m.let('c_control', frameGo.and(data.not()).and(b.asked));
    const handled = m.let('c_handled', control.and(live.or(actsAlone)));
    for (const t of TYPES) if (t !== 'DATA') cnt[`packets_rcvd_${t}`]!.set(handled.and(h.type.eq(HomaType[t])));
    const orphan = m.let('c_orphan', control.and(live.not()).and(actsAlone.not()).and(h.type.eq(HomaType.GRANT).and(clientId.not()).not()));
    cnt['peer_table_full']!.set(cGo.and(b.peer_full));   // frames and descriptors alike
    cnt['unknown_rpcs']!.set(dropped.and(b.asked).and(clientId).or(orphan));     // a response for no client RPC, or an orphan
    cnt['unknown_grants']!.set(control.and(live.not()).and(h.type.eq(HomaType.GRANT)).and(clientId.not()));   // HomaModule: not counted
    cnt['requests_to_non_server']!.set(dropped.and(b.asked).and(clientId.not()).and(b.create.not()));
    cnt['server_cant_create_rpcs']!.set(dropped.and(b.asked).and(b.create).and(r.full));

    io.idle.set(a1.valid.not().and(a2.valid.not()).and(fifoA.count.eq(0)).and(fifoB.count.eq(0)).and(descs.count.eq(0)).and(acks.count.eq(0)).and(cuts.count.eq(0))
      .and(resends.count.eq(0)).and(pig.count.eq(0)));

    m.seq(() => {
      when(io.qp_event.valid, () => {
        const e = io.qp_event.payload;
        infoW.write(e.qp, { enabled: e.kind.is('disable').not(), server: e.server, gen: e.gen });
      });
      a1.valid.set(hdrFire.or(descFire).or(freeFire));
      a1.tx.set(descFire);
      a1.fr.set(freeFire);
      a1.fr_resp.set(freeFire.and(fin.responded));
      a1.fr_ack.set(freeFire.and(fin.acked));
      a1.tx_req.set(descFire.and(io.desc.payload.opcode.eq(SendOpcode.REQUEST)));
      when(hdrFire, () => assign(a1.hdr, io.hdr.payload));
      when(descFire, () => assign(a1.hdr, descHdr));
      when(freeFire, () => assign(a1.hdr, freeHdr));
      a2.valid.set(a1.valid);
      when(a1.valid, () => {
        a2.tx.set(a1.tx);
        a2.tx_req.set(a1.tx_req);
        a2.fr.set(a1.fr);
        a2.fr_resp.set(a1.fr_resp);
        a2.fr_ack.set(a1.fr_ack);
        assign(a2.hdr, a1.hdr);
        a2.hit.set(io.port_found.hit);
        a2.qp.set(io.port_found.qp);
        infoR.read(io.port_found.qp);
      });
    });
  }, { config: c.name });
}

