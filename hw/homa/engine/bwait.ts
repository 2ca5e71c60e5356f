// hw/homa/engine/bwait.ts — messages waiting for bpages, restarted when bpages come back
// (spec §4, HomaModule's homa_pool_check_waiting; the model's Receiver.buffersReturned).
//
// A message whose first packet found no bpages waits (rx_data drops its DATA meanwhile). It is
// noted here, one entry per message, from rx_data's event. When bpages of its queue pair are
// given back, the waiting messages of that queue pair get them shortest first: each is sent
// to rx_data as a restart (rx_data asks the pool; the outcome comes back on `restarted`), and
// one that got its bpages is asked for everything again with RESEND(0, all) at
// num_priorities - 2 (homa_high_priority). The first that finds none ends the round, until
// bpages of that queue pair come back again. An entry whose RPC is gone (queue pair stopped,
// slot reused) is forgotten. With every entry taken, a new waiter is not noted: it stays
// waiting until the timers of the reliability path restart it.

import { bool, clog2, input, lit, module, mux, output, record, stream, u, vec, when, type Bool, type UInt } from '../../hdl/index.ts';
import { HomaType, RESEND_ALL } from '../wire/index.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { ctlRequest } from './ctl_tx.ts';
import { grantEventLayout } from './grant_sched.ts';
import { rxWorkLayout } from './rx_dispatch.ts';
import { MSG_BITS } from './types.ts';

/** Waiting messages the engine keeps track of. */
export const waitEntries = (c: EngineConfig): number => Math.min(16, Math.max(4, c.queuePairs));

export function bwait(c: EngineConfig) {
  const w = engineWidths(c);
  const W = waitEntries(c);
  const entry = record({
    valid: bool, qp: u(w.qp), gen: u(8), slot: u(w.rpcSlot), length: u(MSG_BITS),
    ipv6: bool, saddr: u(128), smac: u(48), sport: u(16), dport: u(16), id: u(64),
  });
  return module(`bwait_${c.name}`, {
    ev: stream.sink(grantEventLayout(c)),
    /** Bpages of queue pair `qp` were given back this cycle. */
    returned: input(record({ valid: bool, qp: u(w.qp) })),
    /** priority field of a restart's RESEND: num_priorities - 2. */
    resend_level: input(u(8)),
    restart: stream.source(rxWorkLayout(c)),
    restarted: input(record({ valid: bool, ok: bool, gone: bool, slot: u(w.rpcSlot) })),
    resend: stream.source(ctlRequest),
    idle: output(bool),
  }, (m, io) => {
    const tab = m.reg('waiting', vec(entry, W));
    const pending = m.reg('returned_qps', u(c.queuePairs));           // a bit per queue pair with bpages back
    const st = m.fsm('state', ['pick', 'restart', 'wait', 'resend']);
    const cur = m.reg('cur', record({ qp: u(w.qp), idx: u(clog2(W)) }));
    const e = io.ev.payload;
    io.ev.ready.set(true);

    // A new waiter goes in the first free entry (none free: not noted).
    const free = tab.items.map((x) => x.valid.not());
    const anyFree = free.reduce<Bool>((a, b) => a.or(b), lit(1, 0).asBool());
    let freeIdx: UInt<number> = lit(clog2(W), 0);
    for (let i = W - 1; i >= 0; i--) freeIdx = mux(free[i]!, lit(clog2(W), i), freeIdx);
    const noteNew = m.let('note_new', io.ev.valid.and(e.first).and(e.waiting).and(anyFree));

    // The queue pair to serve: the lowest with bpages back.
    let qpIdx: UInt<number> = lit(w.qp, 0);
    for (let q = c.queuePairs - 1; q >= 0; q--) qpIdx = mux(pending.bit(q), lit(w.qp, q), qpIdx);
    const anyPending = m.let('any_pending', pending.ne(0));
    // Its shortest waiter (ties to the lower entry).
    const mine = tab.items.map((x) => x.valid.and(x.qp.eq(qpIdx)));
    let best: { ok: Bool; idx: UInt<number>; len: UInt<number> } = { ok: mine[0]!, idx: lit(clog2(W), 0), len: tab.items[0]!.length };
    for (let i = 1; i < W; i++) {
      const x = tab.items[i]!;
      const better = mine[i]!.and(best.ok.not().or(x.length.lt(best.len.as(MSG_BITS))));
      best = { ok: best.ok.or(mine[i]!), idx: mux(better, lit(clog2(W), i), best.idx), len: mux(better, x.length, best.len) };
    }
    const found = m.let('found', best.ok);
    const pick = m.let('pick_idx', best.idx);

    const sel = (f: keyof typeof entry.fields): UInt<number> => {
      let v = tab.items[W - 1]![f] as UInt<number>;
      for (let i = W - 2; i >= 0; i--) v = mux(cur.idx.eq(i), tab.items[i]![f] as UInt<number>, v);
      return v;
    };
    const r = io.restart.payload;
    io.restart.valid.set(st.is('restart'));
    r.deliver.set(true);
    r.restart.set(true);
    r.init.set(false);
    r.free.set(false);
    r.scan.set(false);
    r.heard.set(false);
    r.responded.set(false);
    r.acked.set(false);
    r.tx_length.set(0);
    r.tx_notify.set(false);
    r.cookie.set(0n);
    r.created.set(false);
    r.slot.set(sel('slot').as(w.rpcSlot));
    r.qp.set(sel('qp').as(w.qp));
    r.gen.set(sel('gen').as(8));
    r.ipv6.set(sel('ipv6').bit(0));
    r.saddr.set(sel('saddr').as(128));
    r.smac.set(sel('smac').as(48));
    r.sport.set(sel('sport').as(16));
    r.dport.set(sel('dport').as(16));
    r.peer.set(0);
    r.local_id.set(sel('id').as(64));
    r.message_length.set(sel('length').as(MSG_BITS));
    r.offset.set(0);
    r.payload_bytes.set(0);
    r.incoming.set(0);
    r.cutoff_version.set(0);
    r.retransmit.set(false);
    r.buf_start.set(0);
    r.buf_end.set(0);

    const q = io.resend.payload;
    io.resend.valid.set(st.is('resend'));
    q.type.set(HomaType.RESEND);
    q.ipv6.set(sel('ipv6').bit(0));
    q.daddr.set(sel('saddr').as(128));
    q.dmac.set(sel('smac').as(48));
    q.sport.set(sel('dport').as(16));
    q.dport.set(sel('sport').as(16));
    q.sender_id.set(sel('id').as(64));
    q.offset.set(0);
    q.length.set(RESEND_ALL);
    q.priority.set(io.resend_level);

    io.idle.set(st.is('pick').and(anyPending.not()));

    // Bits of queue pairs with bpages back: set by a return, cleared when a round ends (a
    // return in the same cycle keeps it set).
    const Q = c.queuePairs;
    const bitOf = (qp: UInt<number>): UInt<number> => lit(Q, 1).shl(qp);
    const roundOverAtPick = m.let('round_over_pick', st.is('pick').and(anyPending).and(found.not()));
    const roundOverAtWait = m.let('round_over_wait', st.is('wait').and(io.restarted.valid).and(io.restarted.ok.not()).and(io.restarted.gone.not()));
    const cleared = mux(roundOverAtPick, bitOf(qpIdx), mux(roundOverAtWait, bitOf(cur.qp), lit(Q, 0)));
    const set = mux(io.returned.valid, bitOf(io.returned.qp), lit(Q, 0));

    m.seq(() => {
      pending.set(pending.and(cleared.not()).or(set));
      when(noteNew, () => {
        for (let i = 0; i < W; i++) when(freeIdx.eq(i), () => {
          const x = tab.at(i);
          x.valid.set(true); x.qp.set(e.qp); x.gen.set(e.gen); x.slot.set(e.slot); x.length.set(e.length);
          x.ipv6.set(e.ipv6); x.saddr.set(e.saddr); x.smac.set(e.smac); x.sport.set(e.sport); x.dport.set(e.dport); x.id.set(e.id);
        });
      });
      when(st.is('pick').and(anyPending), () => {
        // Nothing waits there (any more): that queue pair's round is over.
        when(found, () => { cur.qp.set(qpIdx); cur.idx.set(pick); st.goto('restart'); });
      });
      when(st.is('restart').and(io.restart.ready), () => st.goto('wait'));
      when(st.is('wait').and(io.restarted.valid), () => {
        when(io.restarted.ok, () => st.goto('resend'))
          .elsewhen(io.restarted.gone, () => { forget(); st.goto('pick'); })
          .otherwise(() => st.goto('pick'));                          // no bpages for the shortest: the round ends
      });
      when(st.is('resend').and(io.resend.ready), () => { forget(); st.goto('pick'); });
    });

    function forget(): void {
      for (let i = 0; i < W; i++) when(cur.idx.eq(i), () => tab.at(i).valid.set(false));
    }
  }, { config: c.name });
}
