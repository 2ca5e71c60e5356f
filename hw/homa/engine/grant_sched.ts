// hw/homa/engine/grant_sched.ts — the receiver's grant scheduler (spec §3.2; ENGINE.md
// `grant_scheduler`), deciding exactly as the reference model (sim/model/grants.ts) does.
//
// Every DATA packet that reaches its RPC arrives here as an event (rx_data), in order. The
// message's state lives in a RAM per RPC slot: granted, received, length, birth (arrival order
// of its first packet), peer and its share of total_incoming. As in the model:
//  - message init (first packet): granted = min(incoming, length); a later packet promising
//    more (a retransmission's incoming) raises it;
//  - a message waiting for bpages only re-accounts its share; a discarded packet changes
//    nothing else;
//  - an accepted packet re-accounts the share; a complete message leaves the grantable list,
//    a message not yet fully granted joins it; then the grant check runs.
// The check: the active set is the best `max_overcommit` (<= 8) grantable messages in the
// order (rank within its peer, bytes not yet received, birth): every sender gets one active
// message before any gets a second. Each active message, best first, is topped up to received
// + window (window fixed, or max_incoming / (active + 1)), clipped to its length and to the
// headroom under max_incoming; when the headroom is gone the rest wait. Grant priority:
// max_sched_prio - rank - max(0, max_sched_prio + 1 - active), floored at 0.
//
// How it is kept: the active set in registers (`act`, sorted best first) and the grantable
// list in a RAM. Most packets cannot change the set's members: one of an active message that
// stays grantable (ranks only improve, and its place among its peer's is inside the set), of a
// message not grantable before or after, of a message joining while the set has room, or of
// a listed message that still ranks behind every member. Then the set is re-sorted and the
// grants go out at once. Anything else (a member leaves, or an outsider overtakes a member)
// rebuilds the set by scanning the list, one round per rank within a peer: a scan
// reads one listed message a cycle and keeps the best candidates of the round, one per peer,
// in `cand`. A rebuild costs (listed messages + 3) cycles per round.
// max_incoming / k for k = 1..9 and the FIFO grant interval come from grant_window.ts (a
// serial divider run when the tunables change; decisions use the previous values meanwhile).
// FIFO grants: every interval the oldest listed message not too far ahead gets one increment.

import { assign, bool, input, lit, module, mux, output, record, stream, u, vec, when, type Bool, type UInt } from '../../hdl/index.ts';
import { regFifo } from '../../lib/fifo.ts';
import { HomaType } from '../wire/index.ts';
import { engineWidths, rpcSlots, type EngineConfig } from './config.ts';
import { ctlRequest } from './ctl_tx.ts';
import { grantWindow } from './grant_window.ts';
import { tunablesLayout } from './regs.ts';
import { MSG_BITS } from './types.ts';
import { better, countWhere, insertRanked, MAX_ACTIVE, type Entry } from './grant_order.ts';

export { MAX_ACTIVE };

/**
 * What rx_data tells the scheduler (and the CUTOFFS sender) about each DATA packet that
 * reached its RPC. `sched` = 0: nothing for the scheduler (a message whole in one packet).
 */
export function grantEventLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({
    sched: bool,
    cutoff_version: u(16),
    /** The RPC's queue pair and its generation (for a restart after waiting for bpages). */
    qp: u(w.qp),
    gen: u(8),
    slot: u(w.rpcSlot),
    peer: u(w.peer),
    /** The message's first packet (message init, spec §3.2). */
    first: bool,
    /** Its bytes were taken. */
    accept: bool,
    /** The message waits for bpages (its packets are dropped until a RESEND restarts it). */
    waiting: bool,
    /** The message is whole with this packet. */
    complete: bool,
    /** Not a packet: the RPC timed out (rx_data's timer); it leaves as a complete one would. */
    gone: bool,
    length: u(MSG_BITS),
    incoming: u(32),
    /** Bytes received with this packet counted. */
    received: u(MSG_BITS),
    ipv6: bool,
    saddr: u(128),
    smac: u(48),
    /** The peer's port, our port, and our id for the RPC. */
    sport: u(16),
    dport: u(16),
    id: u(64),
  });
}

export function grantSched(c: EngineConfig) {
  const w = engineWidths(c);
  const slots = rpcSlots(c);
  const sw = w.rpcSlot;
  const ev = grantEventLayout(c);
  const msg = record({ granted: u(MSG_BITS), received: u(MSG_BITS), length: u(MSG_BITS), birth: u(32), peer: u(w.peer), charge: u(MSG_BITS), listed: bool });
  const dest = record({ ipv6: bool, saddr: u(128), smac: u(48), sport: u(16), dport: u(16), id: u(64) });
  const entry = record({ valid: bool, slot: u(sw), rem: u(MSG_BITS), birth: u(32), peer: u(w.peer), granted: u(MSG_BITS), received: u(MSG_BITS), length: u(MSG_BITS), charge: u(MSG_BITS) });
  return module(`grant_sched_${c.name}`, {
    ev: stream.sink(ev),
    tun: input(tunablesLayout(c)),
    grant: stream.source(ctlRequest),
    idle: output(bool),
    /** Bytes a FIFO grant gave this cycle (counter fifo_grant_bytes). */
    fifo_bytes: output(u(MSG_BITS)),
    /** A GRANT went out this cycle: the message in `slot` is granted up to `offset` (rx_data's timer expects those bytes). */
    granted: output(record({ valid: bool, slot: u(sw), id: u(64), offset: u(MSG_BITS) })),
    /** Σ of granted - received over incoming messages (spec §3.2 total_incoming), for tests. */
    total_incoming: output(u(32)),
  }, (m, io) => {
    const tun = io.tun;
    const maxIncoming = tun['max_incoming']!.at(0);
    const overcommit = tun['max_overcommit']!.at(0);
    const maxActive = m.let('max_active', mux(overcommit.gt(MAX_ACTIVE), lit(4, MAX_ACTIVE), overcommit.bits(3, 0).as(4)));
    const windowReg = tun['window']!.at(0);
    const maxSched = tun['max_sched_prio']!.at(0).bits(2, 0);
    const fifoInc = tun['fifo_grant_increment']!.at(0);
    const nprio = tun['num_priorities']!.at(0).bits(7, 0);
    const maxSched4 = tun['max_sched_prio']!.at(0).bits(3, 0).as(4);

    const evq = m.instance('events', regFifo(ev, 4));
    evq.in.valid.set(io.ev.valid);
    assign(evq.in.payload, io.ev.payload);
    io.ev.ready.set(evq.in.ready);

    const msgRam = m.memory('msg', { layout: msg, depth: slots, ports: ['w', 'r'] });
    const destRam = m.memory('dest', { layout: dest, depth: slots, ports: ['w', 'r'] });
    const listRam = m.memory('list', { layout: u(sw), depth: slots, ports: ['w', 'r'] });
    const posRam = m.memory('pos', { layout: u(sw), depth: slots, ports: ['w', 'r'] });
    const [msgW, msgR, destW, destR, listW, listR, posW, posR] = [msgRam.ports[0]!, msgRam.ports[1]!, destRam.ports[0]!, destRam.ports[1]!, listRam.ports[0]!, listRam.ports[1]!, posRam.ports[0]!, posRam.ports[1]!];

    const total = m.reg('total', u(32));
    io.total_incoming.set(total);
    const births = m.reg('births', u(32));
    const listed = m.reg('listed', u(sw + 1));
    const act = m.reg('act', vec(entry, MAX_ACTIVE));
    const cand = m.reg('cand', vec(entry, MAX_ACTIVE));
    const { sched: _sched, cutoff_version: _cv, qp: _qp, gen: _gen, gone: _gone, ...evKept } = ev.fields;
    const e = m.reg('e', record(evKept));
    const st = m.fsm('state', ['idle', 'update', 'remove', 'scan', 'merge', 'grant_read', 'grant', 'fifo_scan', 'fifo_read', 'fifo_grant']);
    const round = m.reg('round', u(4));
    const scanIdx = m.reg('scan_idx', u(sw + 1));
    const scanPipe = m.reg('scan_pipe', record({ v1: bool, v2: bool, s2: u(sw) }));
    const rank = m.reg('rank', u(4));
    const after = m.reg('after_remove', bool);                // remove returns to the grant loop (1) or to update's end (0)
    const rebuild = m.reg('rebuild', bool);

    // ---- max_incoming / k, k = 1..9, and the FIFO grant interval (grant_window.ts) ----
    const divs = m.instance('divider', grantWindow(c));
    divs.max_incoming.set(maxIncoming);
    divs.fifo_increment.set(fifoInc);
    divs.link_mbps.set(tun['link_mbps']!.at(0));
    divs.fifo_fraction.set(tun['grant_fifo_fraction']!.at(0));
    const table = divs.window;
    const needDivide = m.let('need_divide', divs.ready.not());

    // ---- FIFO grants (§3.2 homa_grant_check_fifo): the oldest message, every interval ----
    const fifo = m.regs({ fifo_armed: bool, fifo_due: bool, fifo_left: u(48) });
    const { rem: _rem, ...oldestFields } = entry.fields;
    const oldest = m.reg('oldest', record(oldestFields));
    const fifoRemoving = m.reg('fifo_removing', bool);
    const fifoOn = m.let('fifo_on', divs.fifo_cycles.ne(0));

    // ---- ranking (grant_order.ts) ----
    const countIn = (v: typeof act, pred: (x: (typeof act.items)[number]) => Bool): UInt<4> => countWhere(v.items, pred);
    const nAct = m.let('n_active', countIn(act, () => lit(1, 1).asBool()));
    const inserted = (name: string, items: readonly Entry[], c: Entry, perPeer: Bool, cap: UInt<4>) => insertRanked(m, name, items, c, perPeer, cap);

    // ---- idle: take an event (after the window table is current) ----
    const ee = evq.out.payload;
    evq.out.ready.set(st.is('idle').and(fifo.fifo_due.not()));
    const old = msgR.data;

    // ---- update: the model's receiver.data bookkeeping ----
    const inc = e.incoming;
    const incClip = mux(inc.gt(e.length.zext(32)), e.length, inc.bits(MSG_BITS - 1, 0).as(MSG_BITS));
    const grantedNow = m.let('u_granted', mux(e.first, incClip, mux(inc.gt(old.granted.zext(32)).and(old.granted.lt(old.length)), mux(inc.gt(old.length.zext(32)), old.length, inc.bits(MSG_BITS - 1, 0).as(MSG_BITS)), old.granted)));
    const length = mux(e.first, e.length, old.length);
    const receivedNow = m.let('u_received', mux(e.waiting.or(e.first.and(e.accept.not())), lit(MSG_BITS, 0), mux(e.accept, e.received, old.received)));
    const wasListed = m.let('u_was_listed', e.first.not().and(old.listed));
    const oldCharge = m.let('u_old_charge', mux(e.first, lit(MSG_BITS, 0), old.charge));
    const charges = e.waiting.or(e.accept);
    const newCharge = m.let('u_new_charge', mux(charges, mux(e.complete.or(grantedNow.le(receivedNow)), lit(MSG_BITS, 0), grantedNow.sub(receivedNow)), oldCharge));
    const leaves = m.let('u_leaves', wasListed.and(e.accept).and(e.complete));
    const joins = m.let('u_joins', wasListed.not().and(e.accept).and(e.complete.not()).and(grantedNow.lt(length)));
    const inAct = act.items.map((x) => x.valid.and(x.slot.eq(e.slot)));
    const wasActive = m.let('u_was_active', inAct.reduce<Bool>((a, b) => a.or(b), lit(1, 0).asBool()));
    const runsCheck = m.let('u_check', e.accept.and(listed.sub(mux(leaves, lit(sw + 1, 1), lit(sw + 1, 0))).add(mux(joins, lit(sw + 1, 1), lit(sw + 1, 0))).ne(0)));
    // The set's members cannot change: the message stays active, or is not listed before or after.
    const curNow = { valid: lit(1, 1).asBool(), slot: e.slot, rem: length.sub(receivedNow), birth: mux(e.first, births, old.birth), peer: e.peer, granted: grantedNow, received: receivedNow, length, charge: newCharge };
    // A listed message outside the set stays outside when it ranks behind every member in the
    // set's order (rank within its peer, then rank): its rank within its peer would be the
    // count of its peer's members.
    const kOf = (j: number): UInt<4> => act.items.reduce<UInt<4>>((n, x, i) => (i === j ? n : n.add(x.valid.and(x.peer.eq(act.items[j]!.peer)).and(better(x, act.items[j]!)).asUInt().zext(4))), lit(4, 0));
    const kNew = m.let('u_k', countIn(act, (x) => x.peer.eq(e.peer)));
    // (A member of its own peer that it overtakes would make that count too high: then it is not behind.)
    const behindAll = m.let('u_behind_all', act.items.map((x, j) => {
      const kj = kOf(j);
      const samePeer = x.peer.eq(e.peer);
      return x.valid.not().or(mux(samePeer, better(x, curNow), kNew.gt(kj).or(kNew.eq(kj).and(better(x, curNow)))));
    }).reduce<Bool>((a, b) => a.and(b), lit(1, 1).asBool()));
    const full = m.let('u_full', nAct.ge(maxActive));
    // The set's members cannot change (or only gain this message while there is room).
    const entersFree = m.let('u_enters_free', joins.and(full.not()));
    const staysOut = m.let('u_stays_out', wasActive.not().and(leaves.not()).and(wasListed.or(joins)).and(full).and(behindAll));
    const keepsSet = m.let('u_keeps_set', wasActive.and(leaves.not()).or(wasListed.not().and(joins.not())).or(entersFree).or(staysOut));

    // ---- scan: candidates of this round ----
    const sc = msgR.data;
    const scanned = { valid: scanPipe.v2, slot: scanPipe.s2, rem: sc.length.sub(sc.received), birth: sc.birth, peer: sc.peer, granted: sc.granted, received: sc.received, length: sc.length, charge: sc.charge };
    const inActNow = act.items.map((x) => x.valid.and(x.slot.eq(scanned.slot))).reduce<Bool>((a, b) => a.or(b), lit(1, 0).asBool());
    const eligible = m.let('eligible', scanPipe.v2.and(inActNow.not()).and(countIn(act, (x) => x.peer.eq(scanned.peer)).eq(round)));
    const room = m.let('room', maxActive.sub(nAct));
    const candIns = inserted('cand_ins', cand.items, { ...scanned, valid: eligible }, lit(1, 1).asBool(), room);
    const nCand = m.let('n_cand', countIn(cand, () => lit(1, 1).asBool()));
    const mergeC = cand.at(0);
    const actIns = inserted('act_ins', act.items, { ...mergeC, valid: lit(1, 1).asBool() }, lit(1, 0).asBool(), lit(4, MAX_ACTIVE));
    // The fast path: the set without the message, and the message put back in its new place.
    const without: Entry[] = act.items.map((_, j) => {
      const removedAtOrBefore = inAct.slice(0, j + 1).reduce<Bool>((a, b) => a.or(b), lit(1, 0).asBool());
      const next = act.items[Math.min(j + 1, MAX_ACTIVE - 1)]!;
      return mux(removedAtOrBefore, j === MAX_ACTIVE - 1 ? { ...next, valid: lit(1, 0).asBool() } : next, act.items[j]!) as Entry;
    });
    const curIns = inserted('cur_ins', without, curNow as Entry, lit(1, 0).asBool(), lit(4, MAX_ACTIVE));

    // ---- grants: rank `rank` of the active set ----
    const gi = (field: keyof typeof entry.fields): UInt<number> => {
      let v = act.items[MAX_ACTIVE - 1]![field] as UInt<number>;
      for (let j = MAX_ACTIVE - 2; j >= 0; j--) v = mux(rank.eq(j), act.items[j]![field] as UInt<number>, v);
      return v;
    };
    const gSlot = m.let('g_slot', gi('slot').as(sw));
    const gGranted = m.let('g_granted', gi('granted').as(MSG_BITS));
    const gReceived = m.let('g_received', gi('received').as(MSG_BITS));
    const gLength = m.let('g_length', gi('length').as(MSG_BITS));
    const gCharge = m.let('g_charge', gi('charge').as(MSG_BITS));
    let windowN: UInt<number> = table.at(MAX_ACTIVE);
    for (let k = MAX_ACTIVE - 1; k >= 0; k--) windowN = mux(nAct.eq(k), table.at(k), windowN);
    const window = m.let('window', mux(windowReg.ne(0), windowReg, windowN));
    const reach = m.let('g_reach', gReceived.zext(33).add(window.zext(33)));
    const target = m.let('g_target', mux(reach.gt(gLength.zext(33)), gLength, reach.bits(MSG_BITS - 1, 0).as(MSG_BITS)));
    const headroom = m.let('g_headroom', maxIncoming.zext(33).sub(total.zext(33)));
    const noRoom = m.let('g_no_room', headroom.bit(32).or(headroom.eq(0)));
    const want = m.let('g_want', target.sub(gGranted).as(MSG_BITS));
    const give = m.let('g_give', mux(headroom.gt(want.zext(33)), want, headroom.bits(MSG_BITS - 1, 0).as(MSG_BITS)));
    const newGranted = m.let('g_new', gGranted.add(give));
    const gCharge2 = m.let('g_charge2', mux(newGranted.gt(gReceived), newGranted.sub(gReceived), lit(MSG_BITS, 0)));
    const spare = m.let('spare', mux(nAct.le(maxSched4), lit(4, 1).add(maxSched4).sub(nAct), lit(4, 0)));
    const sub = m.let('prio_sub', rank.add(spare));
    const prio = m.let('g_prio', mux(sub.gt(maxSched4), lit(3, 0), maxSched.sub(sub.bits(2, 0).as(3))));
    const due = m.let('g_due', rank.lt(nAct).and(target.gt(gGranted)));

    const d = destR.data;
    const gp = io.grant.payload;
    // The FIFO grant: the oldest message not already far ahead of what arrived (peer not
    // responding: more than window + 2 increments outstanding) gets one more increment.
    let windowF: UInt<number> = table.at(MAX_ACTIVE);
    const nF = mux(listed.gt(maxActive.zext(sw + 1)), maxActive, listed.trunc(4).as(4));
    for (let k = MAX_ACTIVE - 1; k >= 0; k--) windowF = mux(nF.eq(k), table.at(k), windowF);
    const fifoWindow = m.let('fifo_window', mux(windowReg.ne(0), windowReg, windowF));
    const ahead = m.let('fifo_ahead', mux(sc.granted.gt(sc.received), sc.granted.sub(sc.received), lit(MSG_BITS, 0)));
    const fifoOk = m.let('fifo_ok', scanPipe.v2.and(ahead.zext(34).le(fifoWindow.zext(34).add(fifoInc.zext(34).shl(1)))));
    const older = m.let('fifo_older', fifoOk.and(oldest.valid.not().or(sc.birth.lt(oldest.birth))));
    const fifoReach = m.let('fifo_reach', oldest.granted.zext(33).add(fifoInc.zext(33)));
    const fifoNew = m.let('fifo_new', mux(fifoReach.gt(oldest.length.zext(33)), oldest.length, fifoReach.bits(MSG_BITS - 1, 0).as(MSG_BITS)));
    const fifoCharge = m.let('fifo_charge', mux(fifoNew.gt(oldest.received), fifoNew.sub(oldest.received), lit(MSG_BITS, 0)));
    const fifoFire = m.let('fifo_fire', st.is('fifo_grant').and(io.grant.ready));
    io.fifo_bytes.set(mux(fifoFire, fifoNew.sub(oldest.granted), lit(MSG_BITS, 0)));

    io.grant.valid.set(st.is('grant').and(due).and(noRoom.not()).or(st.is('fifo_grant')));
    gp.type.set(HomaType.GRANT);
    gp.ipv6.set(d.ipv6);
    gp.daddr.set(d.saddr);
    gp.dmac.set(d.smac);
    gp.sport.set(d.dport);
    gp.dport.set(d.sport);
    gp.sender_id.set(d.id);
    io.granted.valid.set(io.grant.valid.and(io.grant.ready));
    io.granted.slot.set(mux(st.is('fifo_grant'), oldest.slot, gSlot));
    io.granted.id.set(d.id);
    io.granted.offset.set(mux(st.is('fifo_grant'), fifoNew, newGranted));
    gp.offset.set(mux(st.is('fifo_grant'), fifoNew, newGranted).zext(32));
    gp.length.set(0);
    gp.priority.set(mux(st.is('fifo_grant'), mux(nprio.ge(2), nprio.sub(2), lit(8, 0)), prio.zext(8)));   // FIFO: homa_high_priority

    io.idle.set(st.is('idle').and(evq.count.eq(0)).and(needDivide.not()).and(fifo.fifo_due.not()));

    m.seq(() => {
      when(st.is('idle'), () => {
        // (While grant_window refreshes after a tunable changed, decisions use the values before.)
        when(fifo.fifo_due, () => {
          fifo.fifo_due.set(false);
          oldest.valid.set(false);
          scanIdx.set(0); scanPipe.v1.set(false); scanPipe.v2.set(false);
          st.goto('fifo_scan');
        }).elsewhen(evq.out.valid.and(ee.sched), () => {
          const { sched: _s, cutoff_version: _c, qp: _q, gen: _g, gone: _x, ...kept } = ee;
          assign(e, kept);
          msgR.read(ee.slot);
          st.goto('update');
        });
      });
      when(st.is('update'), () => {
        total.set(total.sub(oldCharge.zext(32)).add(newCharge.zext(32)));
        when(e.first, () => {
          births.set(births.add(1));
          destW.write(e.slot, { ipv6: e.ipv6, saddr: e.saddr, smac: e.smac, sport: e.sport, dport: e.dport, id: e.id });
        });
        msgW.write(e.slot, { granted: grantedNow, received: receivedNow, length, birth: curNow.birth, peer: e.peer, charge: newCharge, listed: wasListed.or(joins).and(leaves.not()) });
        // A packet that was not taken may still have raised granted (a retransmission's promise).
        when(e.accept.not(), () => act.items.forEach((x, j) => when(inAct[j]!, () => { x.granted.set(grantedNow); x.charge.set(newCharge); })));
        when(joins.and(fifoOn).and(fifo.fifo_armed.not()), () => { fifo.fifo_armed.set(true); fifo.fifo_left.set(divs.fifo_cycles); });
        when(joins, () => { listW.write(listed.trunc(sw), e.slot); posW.write(e.slot, listed.trunc(sw)); listed.set(listed.add(1)); });
        when(leaves, () => { posR.read(e.slot); listR.read(listed.sub(1).trunc(sw)); after.set(false); rebuild.set(true); st.goto('remove'); })
          .elsewhen(runsCheck.and(rebuild.not()).and(keepsSet), () => {
            // The set keeps its members: the message takes its new place, the grants go out.
            const moves = wasActive.or(entersFree);
            when(moves, () => curIns.out.forEach((x, j) => assign(act.at(j), x)));
            rank.set(0);
            destR.read(mux(moves, curIns.out[0]!.slot, act.items[0]!.slot));
            // A new message's destination is written now: read it once it is there.
            when(e.first, () => st.goto('grant_read')).otherwise(() => st.goto('grant'));
          })
          .elsewhen(runsCheck, () => startRebuild())
          .otherwise(() => st.goto('idle'));
      });
      when(st.is('remove'), () => {
        // Swap-remove from the list: its last entry takes the removed one's place.
        const pos = posR.data, last = listR.data;
        listW.write(pos, last);
        posW.write(last, pos);
        listed.set(listed.sub(1));
        when(fifoRemoving, () => { fifoRemoving.set(false); rearm(listed.ne(1)); st.goto('idle'); })
          .elsewhen(after, () => { st.goto('grant_read'); rank.set(rank.add(1)); })
          .elsewhen(e.accept.and(listed.ne(1)), () => startRebuild())
          .otherwise(() => st.goto('idle'));
      });
      when(st.is('scan'), () => {
        // Reads: list[i] at t, msg[list[i]] at t+1, candidate at t+2.
        scanPipe.v1.set(scanIdx.lt(listed));
        when(scanIdx.lt(listed), () => { listR.read(scanIdx.trunc(sw)); scanIdx.set(scanIdx.add(1)); });
        scanPipe.v2.set(scanPipe.v1);
        scanPipe.s2.set(listR.data);
        when(scanPipe.v1, () => msgR.read(listR.data));
        when(candIns.takes, () => candIns.out.forEach((x, j) => assign(cand.at(j), x)));
        when(scanPipe.v2.not().and(scanPipe.v1.not()).and(scanIdx.ge(listed)), () => { st.goto('merge'); });
      });
      when(st.is('merge'), () => {
        // The round's candidates join the active set, best first, one a cycle.
        when(nCand.ne(0), () => {
          actIns.out.forEach((x, j) => assign(act.at(j), x));
          cand.items.forEach((x, j) => assign(x, j === MAX_ACTIVE - 1 ? { ...cand.items[j]!, valid: lit(1, 0).asBool() } : cand.items[j + 1]!));
        }).otherwise(() => {
          const full = nAct.ge(maxActive).or(nAct.zext(sw + 1).ge(listed));
          when(full.or(round.eq(MAX_ACTIVE - 1)), () => { rank.set(0); rebuild.set(false); st.goto('grant_read'); })
            .otherwise(() => { round.set(round.add(1)); scanIdx.set(0); scanPipe.v1.set(false); scanPipe.v2.set(false); st.goto('scan'); });
        });
      });
      when(st.is('fifo_scan'), () => {
        scanPipe.v1.set(scanIdx.lt(listed));
        when(scanIdx.lt(listed), () => { listR.read(scanIdx.trunc(sw)); scanIdx.set(scanIdx.add(1)); });
        scanPipe.v2.set(scanPipe.v1);
        scanPipe.s2.set(listR.data);
        when(scanPipe.v1, () => msgR.read(listR.data));
        const { rem: _r, ...picked } = scanned;
        when(older, () => assign(oldest, { ...picked, valid: lit(1, 1).asBool() }));
        when(scanPipe.v2.not().and(scanPipe.v1.not()).and(scanIdx.ge(listed)), () => {
          when(oldest.valid, () => { destR.read(oldest.slot); st.goto('fifo_grant'); }).otherwise(() => { rearm(); st.goto('idle'); });
        });
      });
      when(fifoFire, () => {
        total.set(total.sub(oldest.charge.zext(32)).add(fifoCharge.zext(32)));
        msgW.write(oldest.slot, { granted: fifoNew, received: oldest.received, length: oldest.length, birth: oldest.birth, peer: oldest.peer, charge: fifoCharge, listed: fifoNew.lt(oldest.length) });
        act.items.forEach((x) => when(x.valid.and(x.slot.eq(oldest.slot)), () => { x.granted.set(fifoNew); x.charge.set(fifoCharge); }));
        when(fifoNew.ge(oldest.length), () => {
          // Fully granted: it leaves the list (and the active set at the next check).
          posR.read(oldest.slot); listR.read(listed.sub(1).trunc(sw)); after.set(false); fifoRemoving.set(true); rebuild.set(true); st.goto('remove');
        }).otherwise(() => { rearm(); st.goto('idle'); });
      });
      when(fifo.fifo_armed, () => {
        when(fifo.fifo_left.le(1), () => { fifo.fifo_armed.set(false); fifo.fifo_due.set(true); }).otherwise(() => fifo.fifo_left.set(fifo.fifo_left.sub(1)));
      });
      when(st.is('grant_read'), () => {
        destR.read(gSlot);
        when(rank.ge(nAct), () => st.goto('idle')).otherwise(() => st.goto('grant'));
      });
      when(st.is('grant'), () => {
        when(due.not(), () => nextRank())
          .elsewhen(noRoom, () => st.goto('idle'))                                     // the rest are needy
          .elsewhen(io.grant.ready, () => {
            total.set(total.sub(gCharge.zext(32)).add(gCharge2.zext(32)));
            msgW.write(gSlot, { granted: newGranted, received: gReceived, length: gLength, birth: gi('birth').as(32), peer: gi('peer').as(w.peer), charge: gCharge2, listed: newGranted.lt(gLength) });
            for (let j = 0; j < MAX_ACTIVE; j++) when(rank.eq(j), () => { act.at(j).granted.set(newGranted); act.at(j).charge.set(gCharge2); });
            // Fully granted: it leaves the list (and the set, at the next rebuild).
            when(newGranted.ge(gLength), () => { posR.read(gSlot); listR.read(listed.sub(1).trunc(sw)); after.set(true); rebuild.set(true); st.goto('remove'); })
              .otherwise(() => nextRank());
          });
      });
    });

    /** On to the next rank of the set: its destination is read now, its grant decided next cycle. */
    function nextRank(): void {
      const next = rank.add(1);
      let slot: UInt<number> = act.items[MAX_ACTIVE - 1]!.slot;
      for (let j = MAX_ACTIVE - 2; j >= 0; j--) slot = mux(next.eq(j), act.items[j]!.slot, slot);
      rank.set(next);
      destR.read(slot);
      when(next.ge(nAct), () => st.goto('idle'));
    }

    /** After a FIFO grant: the next one is due an interval later while messages are grantable. */
    function rearm(more: Bool = listed.ne(0)): void {
      when(more.and(fifoOn), () => { fifo.fifo_armed.set(true); fifo.fifo_left.set(divs.fifo_cycles); });
    }

    /** Rebuild the active set: scan the list from round 0. */
    function startRebuild(): void {
      act.items.forEach((x) => x.valid.set(false));
      cand.items.forEach((x) => x.valid.set(false));
      round.set(0);
      scanIdx.set(0);
      scanPipe.v1.set(false);
      scanPipe.v2.set(false);
      st.goto('scan');
    }
  }, { config: c.name });
}
