// hw/homa/engine/tx_rpc.ts — the send side's per-RPC state (ENGINE.md `tx_scheduler` inputs):
// what a message being sent needs for each of its packets, kept by RPC slot, between the
// descriptor that starts it, the transmit scheduler that cuts it into packets and the packet
// builder that sends them.
//
//   found  -> (one a cycle; its queue pair's and peer's records are read as it is taken)
//             (a REQUEST entered, or a REPLY's RPC found, by rx_dispatch) an ACCEPTED
//             completion with the id when the REQUEST asked (NOTIFY_ID); the message's record is written at its slot (peer address and port, our port,
//             the id on the wire, length, the host address of its bytes = send region base +
//             send_offset, NOTIFY_TX_DONE, cookie) and it joins tx_sched (`add`) with its
//             unscheduled bytes (min(unsched_bytes, length), spec §3.1) and packet payload
//             (mtu - IP header - 56, §1.4);
//   grant  -> a GRANT for a slot raises its message's grant in tx_sched and sets the priority
//             of its scheduled packets (§3.1);
//   pkt    -> each packet tx_sched hands out is joined with its message's record (one cycle)
//             and goes to tx_builder as a DATA request;
//   sent   -> DATA frames leave in the order they were asked for; when a response's last
//             packet has left, its server RPC has `responded` (to rx_data through rx_dispatch,
//             with the response's length and NOTIFY_TX_DONE): it stays, to retransmit from and to
//             refuse a duplicated request, until its client's ACK, which rx_data asks for with
//             NEED_ACK (spec §3.6). TX_DONE (the bytes will not be read again) is posted by
//             rx_data when the RPC ends (the ACK; a client's response or timeout), as the model
//             does: until then a RESEND may read them.
//   resend -> a RESEND for one of our RPCs (spec §3.5 homa_resend_pkt): if its message is here
//             and the range starts below what has been sent, the packets that cover the range
//             (up to what was sent) go out again at the RESEND's priority, marked retransmitted,
//             ahead of new packets, cut where they were cut the first time (every maxp bytes,
//             and at the unscheduled limit); otherwise (nothing sent there yet, or a server RPC
//             with no response yet) the peer gets BUSY (`busy`): we are alive, not ready.
//             An RPC_UNKNOWN from the server for a client RPC of ours comes the same way as a
//             `restart` (0, all): everything sent so far goes again at the message's
//             unscheduled level, so the server starts the RPC anew (§3.5); no BUSY.
//
// Refusals here (the model's behaviour): a REPLY whose RPC is not there (unknown id, or gone)
// is ignored as HomaModule ignores it (spec §2.2), with TX_DONE at once when asked; a REQUEST
// that finds no room in the peer or RPC table completes with ERROR ENOMEM. ABORT is not acted
// on yet (the reliability issue); the descriptor is taken and dropped.
//
// Unscheduled packets go at the level the peer's cutoffs give for the message's length (spec
// §3.3: the highest level below num_priorities whose cutoff covers it), and carry the peer's
// cutoff_version: a peer's CUTOFFS (`cutoffs`, from rx_dispatch) are kept by peer index
// (entry 0 taken as INT_MAX); before any, HomaModule's defaults ([6] = INT_MAX, the rest 0:
// level 6, version 0). The level is chosen when the message is entered (the model chooses per
// packet; they differ only if a CUTOFFS arrives while a message's unscheduled bytes go out).
// Frames go to the peer's Ethernet address as the engine's neighbour rule derives it: 02:00
// followed by the IPv4 address (or the IPv6 address's low 32 bits); a neighbour table is
// future work.

import { assign, bool, connect, input, lit, module, mux, output, record, stream, u, vec, when, VecValue, type AnyValue, type UInt } from '../../hdl/index.ts';
import { CompletionType, SendFlag, SendOpcode } from '../abi.ts';
import { regFifo } from '../../lib/fifo.ts';
import { engineWidths, peerEntries, rpcSlots, type EngineConfig } from './config.ts';
import { tunablesLayout } from './regs.ts';
import { completionRequestLayout } from './rx_data.ts';
import { rpcFreeLayout, rxCutoffsLayout, rxGrantLayout, rxResendLayout, txFoundLayout } from './rx_dispatch.ts';
import { ctlRequest } from './ctl_tx.ts';
import { HomaType, RESEND_ALL } from '../wire/index.ts';
import { txDescLayout } from './sq_fetch.ts';
import { txPacketLayout } from './tx_builder.ts';
import { txSchedLayouts } from './tx_sched.ts';
import { MSG_BITS, engineLayouts } from './types.ts';

const ENOMEM = 12;
const INT_MAX = 0x7fffffff;
/** DATA header bytes after the IP header (spec §1.4: payload = mtu - IP header - 56). */
const HOMA_DATA_OVERHEAD = 56;
/** Unscheduled level before a peer's CUTOFFS (spec §3.3 defaults: [7]=0, [6]=INT_MAX). */
export const DEFAULT_UNSCHED_LEVEL = 6;
/** Packets asked of tx_builder whose frames have not left yet, at most. */
const IN_FLIGHT = 8;

export function txRpc(c: EngineConfig) {
  const L = engineLayouts(c);
  const w = engineWidths(c);
  const T = txSchedLayouts(c);
  const creq = completionRequestLayout(c);
  const msg = record({
    qp: u(w.qp), ipv6: bool, daddr: u(128), dport: u(16), sport: u(16), id: u(64), length: u(MSG_BITS),
    base: u(64), notify: bool, unsched_prio: u(3), cutoff_version: u(16),
  });
  // Entry 0 is not kept: it is taken as INT_MAX whatever the peer sent (spec §3.3).
  const peerCut = record({ valid: bool, cutoffs: vec(u(32), 7), version: u(16) });
  // What stays of a found descriptor while it is handled.
  const { error: _e, ...descKept } = txDescLayout(c).fields;
  const foundKept = record({ desc: record(descKept), ok: bool, slot: u(engineWidths(c).rpcSlot) });
  const { msg: _m, ...pktKept } = T.pkt.fields;
  const pktKeptL = record(pktKept);
  const qpRec = record({ port: u(16), send_base: u(64) });
  return module(`tx_rpc_${c.name}`, {
    found: stream.sink(txFoundLayout(c)),
    cutoffs: stream.sink(rxCutoffsLayout(c)),
    qp_event: stream.sink(L.qpEvent),
    tun: input(tunablesLayout(c)),
    add: stream.source(T.add),
    grant_in: stream.sink(rxGrantLayout(c)),
    grant: stream.source(T.grant),
    resend: stream.sink(rxResendLayout(c)),
    /** BUSY answers to RESENDs for what has not been sent yet, to ctl_tx. */
    busy: stream.source(ctlRequest),
    pkt: stream.sink(T.pkt),
    build: stream.source(txPacketLayout(c)),
    /** A DATA frame left tx_builder (its frames leave in request order). */
    sent: input(bool),
    /** ACCEPTED (NOTIFY_ID), ERROR ENOMEM (no room for a REQUEST) and TX_DONE of a REPLY with no RPC. */
    cq_refused: stream.source(creq),
    /** A server RPC whose response has all left: out of the RPC table (rx_dispatch). */
    free: stream.source(rpcFreeLayout),
    /** Counter events: messages entered, and each DATA request with its level and sizes. */
    count: output(record({ client_requests_started: bool, server_responses_started: bool, resent_packets: bool })),
    data_sent: output(record({ valid: bool, level: u(3), payload: u(11), frame: u(11), fifo: bool })),
    idle: output(bool),
  }, (m, io) => {
    const slots = rpcSlots(c);
    const qpRam = m.memory('qp_send', { layout: qpRec, depth: c.queuePairs, ports: ['w', 'r'] });
    const msgRam = m.memory('msg', { layout: msg, depth: slots, ports: ['w', 'r'] });
    const prioRam = m.memory('sched_prio', { layout: u(3), depth: slots, ports: ['w', 'r'] });
    const cutRam = m.memory('peer_cutoffs', { layout: peerCut, depth: peerEntries(c), ports: ['w', 'r'] });
    const [qpW, qpR, msgW, msgR, prioW, prioR] = [qpRam.ports[0]!, qpRam.ports[1]!, msgRam.ports[0]!, msgRam.ports[1]!, prioRam.ports[0]!, prioRam.ports[1]!];
    const [cutW, cutR] = [cutRam.ports[0]!, cutRam.ports[1]!];
    // For RESENDs: a copy of what a RESEND is checked against and walked over (a second read
    // port on the record's fields it needs), and how far each message has been sent (its id,
    // so a slot's earlier message does not count).
    const rtMsg = record({ ipv6: bool, daddr: u(128), dport: u(16), sport: u(16), id: u(64), length: u(MSG_BITS) });
    const rtRam = m.memory('msg_rt', { layout: rtMsg, depth: slots, ports: ['w', 'r'] });
    const sentRam = m.memory('sent_end', { layout: record({ id: u(64), end: u(MSG_BITS) }), depth: slots, ports: ['w', 'r'] });
    const [rtW, rtR, sentW, sentR] = [rtRam.ports[0]!, rtRam.ports[1]!, sentRam.ports[0]!, sentRam.ports[1]!];
    io.qp_event.ready.set(true);
    io.cutoffs.ready.set(true);
    const tun = io.tun;

    // ---- a descriptor's RPC: its queue pair's port and send region read, then one step ----
    const f = m.regs({ valid: bool, posted: bool });
    const fi = m.reg('f_item', foundKept);
    const d = fi.desc;
    const ipv6 = m.let('f_ipv6', d.peer_addr.bits(127, 32).ne(0xffff));
    const isReq = m.let('f_request', d.opcode.eq(SendOpcode.REQUEST));
    const isReply = m.let('f_reply', d.opcode.eq(SendOpcode.REPLY));
    const notify = m.let('f_notify', d.flags.and(SendFlag.NOTIFY_TX_DONE).ne(0));
    const sends = m.let('f_sends', fi.ok.and(isReq.or(isReply)));
    // NOTIFY_ID: the ACCEPTED completion (id and cookie) goes first, then the message is entered.
    const accepted = m.let('f_accepted', fi.ok.and(isReq).and(d.flags.and(SendFlag.NOTIFY_ID).ne(0)).and(f.posted.not()));
    const unsched = tun.unsched_bytes.at(0);
    const mtu = tun.mtu.at(0).bits(10, 0) as UInt<number>;
    const maxp = m.let('f_maxp', mtu.sub(mux(ipv6, lit(11, 40 + HOMA_DATA_OVERHEAD), lit(11, 20 + HOMA_DATA_OVERHEAD))));
    const lenW = d.length.zext(32);
    // The unscheduled level (homa_unsched_priority): from num_priorities - 1 down, the first
    // level whose cutoff is at least the length; 0 if none.
    const pc = cutR.data;
    const nprio = tun.num_priorities.at(0).bits(3, 0);
    let level: UInt<number> = lit(3, 0);
    for (let i = 0; i < 8; i++) {
      const cut = i === 0 ? lit(32, INT_MAX) : mux(pc.valid, pc.cutoffs.at(i - 1), lit(32, i === DEFAULT_UNSCHED_LEVEL ? INT_MAX : 0));
      level = mux(lit(4, i).lt(nprio).and(cut.ge(lenW)), lit(3, i), level);
    }
    const unschedPrio = m.let('f_unsched_prio', level);
    io.add.valid.set(f.valid.and(sends).and(accepted.not()));
    io.add.payload.msg.set(fi.slot);
    io.add.payload.length.set(d.length);
    io.add.payload.unscheduled.set(mux(unsched.lt(lenW), unsched, lenW).trunc(MSG_BITS));
    io.add.payload.maxp.set(maxp.as(11));
    // ERROR ENOMEM for a REQUEST with no room; TX_DONE at once for a REPLY with no RPC.
    const refusedReq = m.let('f_no_room', fi.ok.not().and(isReq));
    const goneReply = m.let('f_gone_reply', fi.ok.not().and(isReply).and(notify));
    const fCq = m.wire('f_cq', creq);
    m.comb(() => {
      fCq.qp.set(d.qp);
      fCq.gen.set(d.gen);
      fCq.type.set(mux(refusedReq, lit(8, CompletionType.ERROR), mux(accepted, lit(8, CompletionType.ACCEPTED), lit(8, CompletionType.TX_DONE))));
      fCq.id.set(d.id);
      fCq.cookie.set(d.cookie);
      fCq.peer_addr.set(d.peer_addr);
      fCq.peer_port.set(d.dport);
      fCq.length.set(mux(refusedReq.or(accepted), lit(32, 0), lenW));
      fCq.error.set(mux(refusedReq, lit(16, ENOMEM), lit(16, 0)));
      fCq.num_bpages.set(0);
      for (let i = 0; i < 16; i++) fCq.bpage_offsets.at(i).set(0);
    });
    const fWantsCq = m.let('f_wants_cq', refusedReq.or(goneReply).or(accepted));
    io.cq_refused.valid.set(f.valid.and(fWantsCq));
    assign(io.cq_refused.payload, fCq);
    const fDone = m.let('f_done', f.valid.and(mux(sends, io.add.ready.and(accepted.not()), mux(fWantsCq, io.cq_refused.ready, lit(1, 1).asBool()))));
    // One descriptor a cycle: the next is taken (its reads issued) as this one finishes.
    io.found.ready.set(f.valid.not().or(fDone));

    // ---- packets: the record read as tx_sched hands the packet over, then offered ----
    const p1 = m.reg('p1', record({ valid: bool, pkt: pktKeptL, slot: u(w.rpcSlot), rt: bool, rt_prio: u(3), rt_unsched: bool }));
    const p2 = m.reg('p2', record({ valid: bool, pkt: pktKeptL, slot: u(w.rpcSlot), rec: msg, prio: u(3), rt: bool, rt_prio: u(3) }));
    const done = m.instance('done_fifo', regFifo(record({ free: bool, addr: u(128), id: u(64), length: u(MSG_BITS), notify: bool }), IN_FLIGHT));
    const frees = m.instance('frees', regFifo(rpcFreeLayout, 2));
    connect(io.free, frees.out);
    const p2Go = m.let('p2_go', io.build.fire());
    const p1Go = m.let('p1_go', p1.valid.and(p2.valid.not().or(p2Go)));
    const p1Free = m.let('p1_free', p1.valid.not().or(p1Go));

    // ---- RESENDs: the record and what was sent read, then packets again, or BUSY ----
    const rt = m.fsm('rt_state', ['rest', 'check', 'grant', 'align', 'send', 'busy']);
    const rq = m.reg('rt_req', rxResendLayout(c));
    const rc = m.regs({ rt_length: u(MSG_BITS), rt_cur: u(MSG_BITS), rt_limit: u(MSG_BITS), rt_target: u(MSG_BITS), rt_unsched: u(MSG_BITS), rt_maxp: u(11) });
    io.resend.ready.set(rt.is('rest'));
    const rec = rtR.data;
    const sentEnd = m.let('rt_sent_end', mux(sentR.data.id.eq(rec.id), sentR.data.end, lit(MSG_BITS, 0)));
    const ours = m.let('rt_ours', rec.id.eq(rq.id).and(rec.daddr.eq(rq.saddr)).and(rec.dport.eq(rq.dport)).and(rec.sport.eq(rq.sport)));
    const reqEnd = m.let('rt_req_end', rq.offset.zext(33).add(rq.length.zext(33)));
    const capEnd = m.let('rt_cap_end', mux(reqEnd.lt(sentEnd.zext(33)), reqEnd.trunc(MSG_BITS), sentEnd));
    const startsSent = m.let('rt_starts_sent', rq.offset.lt(sentEnd.zext(32)));
    const recUnsched = m.let('rt_rec_unsched', mux(unsched.lt(rec.length.zext(32)), unsched.trunc(MSG_BITS), rec.length));
    const recMaxp = m.let('rt_rec_maxp', mtu.sub(mux(rec.ipv6, lit(11, 40 + HOMA_DATA_OVERHEAD), lit(11, 20 + HOMA_DATA_OVERHEAD))));
    // The packet that starts at rt_cur ends at the next boundary.
    const inU = m.let('rt_in_unsched', rc.rt_cur.lt(rc.rt_unsched));
    const bound = mux(inU, rc.rt_unsched, rc.rt_length);
    const fullEnd = rc.rt_cur.add(rc.rt_maxp.zext(MSG_BITS));
    const pktEnd = m.let('rt_pkt_end', mux(fullEnd.lt(bound), fullEnd, bound));
    const sendRt = m.let('rt_send', rt.is('send'));

    // ---- GRANTs: the priority kept by slot, the offset on to tx_sched ----
    // The record's write and a grant's priority write share no port; a grant waits while a
    // message is being entered.
    // A RESEND asking for bytes past what was granted grants them (the model's Transmitter, as
    // HomaModule: a lost GRANT must not leave the message stuck): it takes the port first.
    const entering = m.let('f_entering', io.add.fire());
    const rtGrant = m.let('rt_grant', rt.is('grant'));
    io.grant.valid.set(rtGrant.or(io.grant_in.valid).and(entering.not()));
    io.grant.payload.msg.set(mux(rtGrant, rq.slot, io.grant_in.payload.slot));
    io.grant.payload.offset.set(mux(rtGrant, mux(reqEnd.bit(32), lit(32, 0xffffffff), reqEnd.bits(31, 0)), io.grant_in.payload.offset));
    io.grant_in.ready.set(io.grant.ready.and(entering.not()).and(rtGrant.not()));

    io.pkt.ready.set(p1Free.and(sendRt.not()));
    io.busy.valid.set(rt.is('busy'));
    const bz = io.busy.payload;
    bz.type.set(HomaType.BUSY);
    bz.ipv6.set(rq.ipv6);
    bz.daddr.set(rq.saddr);
    bz.dmac.set(rq.smac);
    bz.sport.set(rq.sport);
    bz.dport.set(rq.dport);
    bz.sender_id.set(rq.id);
    bz.offset.set(0);
    bz.length.set(0);
    bz.priority.set(0);
    const q = p2.pkt, r = p2.rec;
    io.build.valid.set(p2.valid.and(done.in.ready));
    const b = io.build.payload;
    b.qp.set(r.qp);
    b.ipv6.set(r.ipv6);
    b.daddr.set(r.daddr);
    b.dmac.set(lit(16, 0x0200).cat(r.daddr.bits(31, 0)));
    b.sport.set(r.sport);
    b.dport.set(r.dport);
    b.sender_id.set(r.id);
    b.message_length.set(r.length);
    b.offset.set(q.offset);
    b.length.set(q.length);
    b.incoming.set(q.incoming.zext(32));
    b.cutoff_version.set(r.cutoff_version);
    b.retransmit.set(p2.rt);
    b.ack_client_id.set(0n);
    b.ack_server_port.set(0);
    b.priority.set(mux(p2.rt, p2.rt_prio, mux(q.unscheduled, r.unsched_prio, p2.prio)));
    b.addr.set(r.base.add(q.offset.zext(64)));
    done.in.valid.set(p2Go);
    // A response's last packet (our id is odd: we are the server): the RPC has responded.
    done.in.payload.free.set(q.last.and(r.id.bit(0)).and(p2.rt.not()));
    done.in.payload.addr.set(r.daddr);
    done.in.payload.id.set(r.id);
    done.in.payload.length.set(r.length);
    done.in.payload.notify.set(r.notify);

    // ---- frames out: each one pops its packet; a response's last one says it has responded ----
    const owed = m.reg('frames_left', u(4));                     // frames out whose packet is not yet popped (at most IN_FLIGHT)
    const head = done.out.payload;
    const canPop = m.let('can_pop', owed.ne(0));              // counted first: no output hangs on `sent` in its cycle
    const freeOk = m.let('free_ok', head.free.not().or(frees.in.ready));
    const pop = m.let('pop', done.out.valid.and(canPop).and(freeOk));
    frees.in.valid.set(pop.and(head.free));
    frees.in.payload.addr.set(head.addr);
    frees.in.payload.id.set(head.id);
    frees.in.payload.responded.set(true);
    frees.in.payload.acked.set(false);
    frees.in.payload.tx_length.set(head.length);
    frees.in.payload.tx_notify.set(head.notify);
    done.out.ready.set(pop);

    io.count.client_requests_started.set(entering.and(isReq));
    io.count.server_responses_started.set(entering.and(isReply));
    io.count.resent_packets.set(p2Go.and(p2.rt));
    io.data_sent.valid.set(p2Go);
    io.data_sent.level.set(b.priority);
    io.data_sent.payload.set(q.length);
    io.data_sent.frame.set(q.length.add(mux(r.ipv6, lit(11, 14 + 40 + HOMA_DATA_OVERHEAD), lit(11, 14 + 20 + HOMA_DATA_OVERHEAD))));
    io.data_sent.fifo.set(q.fifo);
    io.idle.set(f.valid.not().and(p1.valid.not()).and(p2.valid.not()).and(done.out.valid.not()).and(frees.count.eq(0)).and(rt.is('rest')));

    m.seq(() => {
      when(io.qp_event.valid.and(io.qp_event.payload.kind.is('enable')), () => {
        qpW.write(io.qp_event.payload.qp, { port: io.qp_event.payload.port, send_base: io.qp_event.payload.send_base });
      });
      when(io.found.fire(), () => {
        f.posted.set(false);
        const fp = io.found.payload;
        for (const k of Object.keys(descKept)) assign((fi.desc as unknown as Record<string, AnyValue>)[k]!, (fp.desc as unknown as Record<string, AnyValue>)[k]!);
        fi.ok.set(fp.ok);
        fi.slot.set(fp.slot);
        qpR.read(io.found.payload.desc.qp);
        cutR.read(io.found.payload.peer);
      });
      f.valid.set(io.found.fire().or(f.valid.and(fDone.not())));
      when(io.cq_refused.fire().and(fDone.not()), () => f.posted.set(true));
      when(entering, () => {
        const record_ = {
          qp: d.qp, ipv6, daddr: d.peer_addr, dport: d.dport, sport: qpR.data.port, id: d.id, length: d.length,
          base: qpR.data.send_base.add(d.send_offset.zext(64)), notify,
          unsched_prio: unschedPrio.as(3), cutoff_version: mux(pc.valid, pc.version, lit(16, 0)),
        };
        msgW.write(fi.slot, record_);
        rtW.write(fi.slot, { ipv6, daddr: d.peer_addr, dport: d.dport, sport: qpR.data.port, id: d.id, length: d.length });
        prioW.write(fi.slot, lit(3, 0));
      });
      const cutIn = io.cutoffs.payload.cutoffs;
      when(io.cutoffs.valid, () => cutW.write(io.cutoffs.payload.peer, {
        valid: lit(1, 1).asBool(), cutoffs: new VecValue(vec(u(32), 7), Array.from({ length: 7 }, (_, i) => cutIn.at(i + 1))), version: io.cutoffs.payload.version,
      }));
      when(io.grant_in.fire(), () => prioW.write(io.grant_in.payload.slot, io.grant_in.payload.priority.bits(2, 0)));
      when(io.pkt.fire(), () => {
        for (const k of Object.keys(pktKept)) assign((p1.pkt as unknown as Record<string, AnyValue>)[k]!, (io.pkt.payload as unknown as Record<string, AnyValue>)[k]!);
        p1.rt.set(false);
        p1.rt_unsched.set(false);
        p1.slot.set(io.pkt.payload.msg);
        msgR.read(io.pkt.payload.msg);
        prioR.read(io.pkt.payload.msg);
      });
      // A retransmitted packet takes p1 ahead of tx_sched's.
      const rtGo = sendRt.and(p1Free);
      when(rtGo, () => {
        p1.slot.set(rq.slot);
        p1.pkt.offset.set(rc.rt_cur);
        p1.pkt.length.set(pktEnd.sub(rc.rt_cur).trunc(11));
        p1.pkt.unscheduled.set(inU);
        p1.pkt.incoming.set(rc.rt_unsched);
        p1.pkt.last.set(false);
        p1.pkt.fifo.set(false);
        p1.rt.set(true);
        p1.rt_prio.set(rq.priority.bits(2, 0));
        p1.rt_unsched.set(rq.restart);
        msgR.read(rq.slot);
        prioR.read(rq.slot);
        rc.rt_cur.set(pktEnd);
        when(pktEnd.ge(rc.rt_limit), () => rt.goto('rest'));
      });
      p1.valid.set(io.pkt.fire().or(rtGo).or(p1.valid.and(p1Go.not())));
      when(p1Go, () => {
        assign(p2.pkt, p1.pkt);
        assign(p2.rec, msgR.data);
        p2.prio.set(prioR.data);
        p2.rt.set(p1.rt);
        p2.slot.set(p1.slot);
        // A restart (RPC_UNKNOWN) goes out at the message's unscheduled level (§3.5).
        p2.rt_prio.set(mux(p1.rt_unsched, msgR.data.unsched_prio, p1.rt_prio));
      });
      // How far each message has gone (packets of a message go in order; retransmissions go back).
      when(p2Go.and(p2.rt.not()), () => sentW.write(p2.slot, { id: r.id, end: q.offset.add(q.length.zext(MSG_BITS)) }));
      when(io.resend.fire(), () => {
        assign(rq, io.resend.payload);
        rtR.read(io.resend.payload.slot);
        sentR.read(io.resend.payload.slot);
        rt.goto('check');
      });
      when(rt.is('check'), () => {
        rc.rt_length.set(rec.length);
        rc.rt_limit.set(capEnd);
        rc.rt_target.set(rq.offset.trunc(MSG_BITS));
        rc.rt_unsched.set(recUnsched);
        rc.rt_maxp.set(recMaxp.as(11));
        // The walk to the packet holding the first byte asked for starts at 0 or at the unscheduled limit.
        rc.rt_cur.set(mux(rq.offset.lt(recUnsched.zext(32)), lit(MSG_BITS, 0), recUnsched));
        // A restart with nothing sent yet has nothing to do (no BUSY: the peer asked nothing).
        when(ours.and(rq.length.ne(RESEND_ALL)), () => rt.goto('grant'))
          .elsewhen(ours.and(startsSent), () => rt.goto('align'))
          .elsewhen(rq.restart, () => rt.goto('rest')).otherwise(() => rt.goto('busy'));
      });
      when(rtGrant.and(io.grant.ready).and(entering.not()), () => {
        when(startsSent, () => rt.goto('align')).otherwise(() => rt.goto('busy'));
      });
      when(rt.is('align'), () => {
        when(pktEnd.gt(rc.rt_target), () => rt.goto('send')).otherwise(() => rc.rt_cur.set(pktEnd));
      });
      when(io.busy.fire(), () => rt.goto('rest'));
      p2.valid.set(p1Go.or(p2.valid.and(p2Go.not())));
      owed.set(owed.add(io.sent.asUInt().zext(4)).sub(pop.asUInt().zext(4)));
    });
  }, { config: c.name });
}
