// hw/homa/engine/tx_sched.ts — which DATA packet leaves next (ENGINE.md `tx_scheduler`, spec
// §3.1, §3.4): SRPT over the outgoing messages with granted bytes not yet sent, unscheduled
// bytes counting as granted, and pacer_fifo_fraction per mille of picks going to the oldest
// message instead, as the reference model's Transmitter (sim/model/sender.ts) picks.
//
// The messages being sent sit in a small table of registers (`entries` of them): a message
// joins with its length, its unscheduled bytes (min(unsched_bytes, length), granted from the
// start) and its packets' payload size; GRANTs raise its granted offset (capped at the
// length, never lowered); it leaves when its last packet has been handed out (`done`). A
// message is sendable while next < granted. Each packet handed out is the sendable message
// with the fewest bytes left (ties: the oldest), or the oldest sendable one when the FIFO
// credit reaches 1,000 (the credit grows by pacer_fifo_fraction at every pick made among more
// than one sendable message). Packet boundaries follow the model's: every `maxp` bytes, with
// a boundary forced at the unscheduled limit (§1.4). `pkt` is offered from the registered
// state, so the pick is made with the messages and grants taken before the first cycle it is
// offered, and held (with its FIFO flag) until taken, as a stream's source must.
//
// Not here yet: the pacer's link-rate estimate (§3.4, max_link_usage) — the MAC's ready is
// the only brake — and retransmissions, which come ahead of new DATA (reliability).

import { bool, clog2, input, lit, module, mux, output, record, stream, u, vec, when, type Bool, type UInt } from '../../hdl/index.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { MSG_BITS } from './types.ts';

/** Messages the transmit scheduler holds at once, by configuration width. */
export function txEntries(c: EngineConfig): number {
  return c.beatBytes >= 64 ? 16 : c.beatBytes >= 8 ? 8 : 4;
}

export function txSchedLayouts(c: EngineConfig) {
  const w = engineWidths(c);
  return {
    /** A message to send: its RPC slot, length, unscheduled bytes, payload bytes per packet. */
    add: record({ msg: u(w.rpcSlot), length: u(MSG_BITS), unscheduled: u(MSG_BITS), maxp: u(11) }),
    /** A GRANT for the message in RPC slot `msg`: granted = max(granted, min(offset, length)). */
    grant: record({ msg: u(w.rpcSlot), offset: u(32) }),
    /** The next packet: bytes [offset, offset + length) of message `msg`. */
    pkt: record({
      msg: u(w.rpcSlot), offset: u(MSG_BITS), length: u(11),
      /** The packet starts below the unscheduled limit (its priority comes from the peer's cutoffs). */
      unscheduled: bool,
      /** The message's unscheduled bytes (DATA's `incoming` for new data, as the model sends it). */
      incoming: u(MSG_BITS),
      /** The message's last packet. */
      last: bool,
      /** The FIFO share chose it, not SRPT (counter pacer_fifo_bytes). */
      fifo: bool,
    }),
  };
}

export function txSched(c: EngineConfig) {
  const N = txEntries(c);
  const w = engineWidths(c);
  const T = txSchedLayouts(c);
  const ib = clog2(N);
  const entry = record({
    valid: bool, msg: u(w.rpcSlot), length: u(MSG_BITS), next: u(MSG_BITS), granted: u(MSG_BITS), unscheduled: u(MSG_BITS),
    maxp: u(11), birth: u(32),
  });
  return module(`tx_sched_${c.name}`, {
    add: stream.sink(T.add),
    grant: stream.sink(T.grant),
    pkt: stream.source(T.pkt),
    /** Per mille of picks that go to the oldest message (tunable pacer_fifo_fraction). */
    fifo_fraction: input(u(10)),
    idle: output(bool),
  }, (m, io) => {
    const e = m.reg('entries', vec(entry, N));
    const r = m.regs({ births: u(32), credit: u(11) });
    const E = Array.from({ length: N }, (_, i) => e.at(i));
    const sendable = E.map((x, i) => m.let(`sendable_${i}`, x.valid.and(x.next.lt(x.granted))));
    const countAbove1 = m.let('several', sendable.reduce<UInt<number>>((a, s) => a.add(s.asUInt().zext(ib + 1)), lit(ib + 1, 0)).gt(1));
    const fifoTurn = m.let('fifo_turn', countAbove1.and(r.credit.add(io.fifo_fraction.zext(11)).ge(1000)));

    // The pick: a tree over the entries; the key is (bytes left, birth), or birth on a FIFO turn.
    type Cand = { ok: Bool; idx: UInt<number>; left: UInt<number>; birth: UInt<number> };
    let level: Cand[] = E.map((x, i) => ({ ok: sendable[i]!, idx: lit(ib, i), left: x.length.sub(x.next), birth: x.birth }));
    while (level.length > 1) {
      const next: Cand[] = [];
      for (let i = 0; i < level.length; i += 2) {
        const a = level[i]!, b = level[i + 1]!;
        const bOlder = b.birth.lt(a.birth);
        const bBetter = mux(fifoTurn, bOlder, b.left.lt(a.left).or(b.left.eq(a.left).and(bOlder)));
        const takeB = b.ok.and(a.ok.not().or(bBetter));
        next.push({ ok: a.ok.or(b.ok), idx: mux(takeB, b.idx, a.idx), left: mux(takeB, b.left, a.left), birth: mux(takeB, b.birth, a.birth) });
      }
      level = next;
    }
    const best = level[0]!;
    // An offered packet holds until taken (the stream's rule): the choice is made the first
    // cycle it is offered and kept, with its FIFO flag, while the MAC side waits.
    const lk = m.regs({ locked: bool, lk_idx: u(ib), lk_fifo: bool, lk_several: bool });
    const pick = m.let('pick', mux(lk.locked, lk.lk_idx, best.idx));
    const isFifo = m.let('is_fifo', mux(lk.locked, lk.lk_fifo, fifoTurn));
    const several = mux(lk.locked, lk.lk_several, countAbove1);
    const x = e.get(pick);
    const inUnsched = m.let('in_unsched', x.next.lt(x.unscheduled));
    const limit = mux(inUnsched, x.unscheduled, x.length);
    const full = x.next.add(x.maxp.zext(MSG_BITS));
    const end = m.let('end', mux(full.lt(limit), full, limit));
    io.pkt.valid.set(lk.locked.or(best.ok));
    io.pkt.payload.msg.set(x.msg);
    io.pkt.payload.offset.set(x.next);
    io.pkt.payload.length.set(end.sub(x.next).trunc(11));
    io.pkt.payload.unscheduled.set(inUnsched);
    io.pkt.payload.incoming.set(x.unscheduled);
    io.pkt.payload.last.set(end.ge(x.length));
    io.pkt.payload.fifo.set(isFifo);

    // A new message takes the lowest free entry; a GRANT finds its message by slot.
    const free = E.map((q) => q.valid.not());
    let freeIdx: UInt<number> = lit(ib, 0);
    for (let i = N - 1; i >= 0; i--) freeIdx = mux(free[i]!, lit(ib, i), freeIdx);
    const anyFree = free.reduce<Bool>((a, f) => a.or(f), lit(1, 0).asBool());
    io.add.ready.set(anyFree);
    io.grant.ready.set(true);
    io.idle.set(E.reduce<Bool>((a, q) => a.and(q.valid.not()), lit(1, 1).asBool()));

    m.seq(() => {
      const sent = io.pkt.fire();
      lk.locked.set(io.pkt.valid.and(io.pkt.ready.not()));
      when(lk.locked.not(), () => { lk.lk_idx.set(best.idx); lk.lk_fifo.set(fifoTurn); lk.lk_several.set(countAbove1); });
      when(sent.and(several), () => r.credit.set(mux(isFifo, r.credit.add(io.fifo_fraction.zext(11)).sub(1000), r.credit.add(io.fifo_fraction.zext(11)))));
      E.forEach((q, i) => {
        const mine = sent.and(pick.eq(i));
        when(mine, () => {
          q.next.set(end);
          when(end.ge(q.length), () => q.valid.set(false));
        });
        const g = io.grant.payload;
        when(io.grant.fire().and(q.valid).and(q.msg.eq(g.msg)), () => {
          const capped = mux(g.offset.lt(q.length.zext(32)), g.offset.trunc(MSG_BITS), q.length);
          when(capped.gt(q.granted), () => q.granted.set(capped));
        });
        when(io.add.fire().and(freeIdx.eq(i)), () => {
          q.valid.set(true);
          q.msg.set(io.add.payload.msg);
          q.length.set(io.add.payload.length);
          q.next.set(0);
          q.granted.set(io.add.payload.unscheduled);
          q.unscheduled.set(io.add.payload.unscheduled);
          q.maxp.set(io.add.payload.maxp);
          q.birth.set(r.births);
        });
      });
      when(io.add.fire(), () => r.births.set(r.births.add(1)));
    });
  }, { config: c.name, entries: N });
}
