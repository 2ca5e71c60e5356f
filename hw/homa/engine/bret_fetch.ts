// hw/homa/engine/bret_fetch.ts — the bpage-return ring consumer: offsets the host gives back
// (spec §4: "once recvmsg returns a message the app owns its bpages until it lists them in a
// later recvmsg"), read from each queue pair's return ring by DMA and handed to bpool one by
// one, in ring order.
//
// The ring follows ABI v2 (hw/homa/abi/records.ts): 4-byte entries, free-running 32-bit head
// and tail, slot = counter & (entries - 1); the host produces (bret_tail doorbell), the engine
// consumes and reports bret_head once the entries before it have gone to `release`.
//
// Fetch side: a doorbell marks its queue pair `pending`; a round-robin pick over the pending
// queue pairs reads that queue pair's ring registers (block RAM) and, next cycle, issues one
// read of up to 16 entries that never crosses the ring's end, then marks it pending again if
// more remain, so busy rings take turns a read at a time. A tail more than a ring ahead of the
// head breaks the ring rules: it is ignored (nothing is read) until a sane tail arrives.
//
// Reads in flight: up to 8, tags 0..7 given in order. Responses to different tags may
// interleave (beats of one tag arrive in order): every beat is written at once into the tag's
// 64-byte slot of a response buffer (block RAM; rd_data is always ready), and offsets leave in
// issue order, from the oldest tag, each as soon as its 4 bytes are in. When the last offset
// of a read has been taken by `release`, `update` reports the new bret_head and `event` names
// the queue pair (the host may be waiting for room in the ring).
//
// Enable and disable: once a disable is taken nothing more of that queue pair leaves (an
// event waits while one of its offsets or reports is on the way out); its reads in flight are
// drained, not delivered: their offsets belong to a pool that no longer exists. An enable
// waits until the queue pair has no read in flight, so a new ring never sees an old read.

import {
  bool, lit, module, mux, output, record, stream, u, unpack, vec, when, type Bool, type UInt,
} from '../../hdl/index.ts';
import { bpageReturnEntry } from '../abi.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { engineLayouts, DMA_LEN_BITS } from './types.ts';
import { roundRobinPick } from './bpool.ts';

/** Reads in flight (tags 0..7; tag bit 3 belongs to the DMA multiplexer). */
const TAGS = 8;
/** Entries one read fetches at most. */
const MAX_READ_ENTRIES = 16;
const ENTRY_BYTES = bpageReturnEntry.width / 8;
const SLOT_BYTES = MAX_READ_ENTRIES * ENTRY_BYTES;

export function bretFetch(c: EngineConfig) {
  const L = engineLayouts(c);
  const w = engineWidths(c);
  const Q = c.queuePairs, qw = w.qp, B = c.beatBytes;
  // The response buffer's word: a beat, or one entry when beats are narrower than an entry.
  const wordBytes = Math.max(B, ENTRY_BYTES);
  const entriesPerWord = wordBytes / ENTRY_BYTES;
  const wordsPerSlot = SLOT_BYTES / wordBytes;
  const ringCfg = record({ base: u(64), log: u(5) });

  return module(`bret_fetch_${c.name}`, {
    qp_event: stream.sink(L.qpEvent),
    doorbell: stream.sink(L.doorbell),
    rd_req: stream.source(L.dmaRdReq),
    rd_data: stream.sink(L.dmaRdData),
    release: stream.source(L.bpoolRelease),
    update: stream.source(L.qpUpdate),
    event: stream.source(u(qw)),
    idle: output(bool),
  }, (m, io) => {
    // ---- per queue pair ----
    const cfgRam = m.memory('ring_cfg', { layout: ringCfg, depth: Q, ports: ['w', 'r'] });
    const tailRam = m.memory('ring_tail', { layout: u(32), depth: Q, ports: ['w', 'r'] });
    const headRam = m.memory('fetch_head', { layout: u(32), depth: Q, ports: ['w', 'r'] });   // entries read so far
    const q = m.regs({ active: u(Q), pending: u(Q) });                                       // a bit per queue pair
    const onehot = (qp: UInt<number>): UInt<number> => lit(Q, 1).shl(qp);
    const bitOf = (v: UInt<number>, qp: UInt<number>): Bool => v.shr(qp).bit(0);

    // ---- reads in flight, by tag ----
    const rec = m.regs({
      rec_qp: vec(u(qw), TAGS), rec_n: vec(u(5), TAGS), rec_end: vec(u(32), TAGS),
      rx_bytes: vec(u(7), TAGS), rx_last: u(TAGS),
    });
    const ptr = m.regs({ issue_ptr: u(4), deliver_ptr: u(4), deliver_entry: u(4) });
    const buffer = m.memory('responses', {
      layout: u(8 * wordBytes), depth: TAGS * wordsPerSlot, ports: ['w', 'r'], byteEnables: B < ENTRY_BYTES,
    });

    // ---- outputs: the offset being handed over, and the last read's report ----
    const rel = m.regs({ rel_full: bool, rel_qp: u(qw), rel_last: bool, rel_end: u(32) });
    const selBits = Math.log2(entriesPerWord);
    const relSel = selBits ? m.reg('rel_sel', u(selBits)) : null;   // the entry within the word read
    const upd = m.regs({ report_full: bool, report_qp: u(qw), report_head: u(32), irq_full: bool, irq_qp: u(qw) });

    // ---- fetch: pick a pending queue pair, then issue its read ----
    const fetch = m.fsm('fetch', ['pick', 'issue']);
    const f = m.regs({ rr_last: u(qw), sel_qp: u(qw) });
    const rdReq = m.reg('rd_req_reg', L.dmaRdReq);
    const rdReqFull = m.reg('rd_req_full', bool);
    io.rd_req.valid.set(rdReqFull);
    io.rd_req.payload.addr.set(rdReq.addr);
    io.rd_req.payload.len.set(rdReq.len);
    io.rd_req.payload.tag.set(rdReq.tag);
    io.rd_req.payload.qp.set(rdReq.qp);
    io.idle.set(q.pending.eq(0).and(ptr.issue_ptr.eq(ptr.deliver_ptr)).and(rdReqFull.not()).and(rel.rel_full.not())
      .and(upd.report_full.not()).and(upd.irq_full.not()).and(fetch.is('pick')));

    // Events and doorbells change the per-queue-pair words; an event waits for the fetch side to
    // be between reads, and a doorbell for the event (they share the tail RAM's write port).
    // An event also waits while an offset or a report of its queue pair is still on the way
    // out: once a disable is taken nothing more of that queue pair leaves (reads in flight are
    // drained, not delivered), so nothing of the old ring can reach the pool of a new one.
    // An enable also waits until no read of its queue pair is in flight, so every read in
    // flight belongs to the queue pair's current ring (or to none, once disabled).
    const evQp = io.qp_event.payload.qp;
    const inFlight = ptr.issue_ptr.sub(ptr.deliver_ptr);
    let readOfEvQp: Bool = rel.rel_full.and(rel.rel_qp.eq(evQp));
    for (let t = 0; t < TAGS; t++) {
      const busy = lit(3, t).sub(ptr.deliver_ptr.trunc(3)).zext(4).lt(inFlight);
      readOfEvQp = readOfEvQp.or(busy.and(rec.rec_qp.at(t).eq(evQp)).and(io.qp_event.payload.kind.is('enable')));
    }
    const evBlocked = readOfEvQp.or(upd.report_full.and(upd.report_qp.eq(evQp))).or(upd.irq_full.and(upd.irq_qp.eq(evQp)));
    const eventReady = m.let('qp_event_take_ok', fetch.is('pick').and(evBlocked.not()));
    const eventTake = m.let('event_take', io.qp_event.valid.and(eventReady));
    io.qp_event.ready.set(eventReady);
    io.doorbell.ready.set(eventTake.not());
    const isEnable = io.qp_event.payload.kind.is('enable');
    const bellRings = m.let('bell_rings', io.doorbell.fire().and(io.doorbell.payload.kind.is('bret')).and(bitOf(q.active, io.doorbell.payload.qp)));

    const pickQp = m.let('pick_qp', roundRobinPick(q.pending, f.rr_last));
    const picks = m.let('picks', fetch.is('pick').and(eventTake.not()).and(q.pending.ne(0)));

    const cfg = cfgRam.ports[1]!.data;
    const head = headRam.ports[1]!.data;
    const avail = m.let('avail', tailRam.ports[1]!.data.sub(head));
    const entries = m.let('ring_entries', lit(17, 1).shl(cfg.log));
    const slot = m.let('slot', head.trunc(17).and(entries.sub(1)));
    const toEnd = entries.sub(slot);
    const upTo16 = mux(avail.lt(MAX_READ_ENTRIES), avail.trunc(5), lit(5, MAX_READ_ENTRIES));
    const n = m.let('read_entries', mux(toEnd.lt(upTo16.zext(17)), toEnd.trunc(5), upTo16));
    const sane = avail.le(entries.zext(32));
    const work = m.let('work', bitOf(q.active, f.sel_qp).and(avail.ne(0)).and(sane));
    const newHead = m.let('new_head', head.add(n.zext(32)));
    const issues = m.let('issues', fetch.is('issue').and(work).and(inFlight.bit(3).not()).and(rdReqFull.not().or(io.rd_req.ready)));
    const issueTag = ptr.issue_ptr.trunc(3);

    // ---- deliver: the oldest read's offsets, in order ----
    const dTag = ptr.deliver_ptr.trunc(3);
    const dQp = rec.rec_qp.get(dTag);
    const dN = rec.rec_n.get(dTag);
    const e = ptr.deliver_entry;
    const waiting = m.let('delivering', ptr.deliver_ptr.ne(ptr.issue_ptr));
    const live = m.let('live', bitOf(q.active, dQp));
    const arrived = m.let('arrived', rec.rx_bytes.get(dTag).ge(e.zext(7).add(1).shl(2)));
    const lastOfRead = m.let('last_of_read', e.zext(5).eq(dN.sub(1)));
    // The read's bret_head and event wait in single registers: its last offset goes out only
    // when they are free, so a read's report is never lost.
    const reportFree = upd.report_full.not().and(upd.irq_full.not()).and(rel.rel_full.and(rel.rel_last).not());
    const delivers = m.let('delivers', waiting.and(live).and(arrived).and(rel.rel_full.not().or(io.release.ready))
      .and(eventTake.and(evQp.eq(dQp)).not())
      .and(lastOfRead.not().or(reportFree)));
    const drops = m.let('drops', waiting.and(live.not()).and(rec.rx_last.shr(dTag).bit(0)));

    const word = buffer.ports[1]!.data;
    const entryOut = relSel ? unpack(vec(u(32), entriesPerWord), word).get(relSel) : word;
    io.release.valid.set(rel.rel_full);
    io.release.payload.qp.set(rel.rel_qp);
    io.release.payload.offset.set(entryOut.as(32));
    io.update.valid.set(upd.report_full);
    io.update.payload.kind.setTo('bret_head');
    io.update.payload.qp.set(upd.report_qp);
    io.update.payload.value.set(upd.report_head);
    io.event.valid.set(upd.irq_full);
    io.event.payload.set(upd.irq_qp);
    io.rd_data.ready.set(true);

    const bufferAddr = (tag: UInt<number>, wordIdx: UInt<number> | null) => (wordIdx ? tag.cat(wordIdx) : tag);
    const wordOf = (byteOrEntry: UInt<number>, unitLog: number): UInt<number> | null => {
      // Word index within a slot of a byte position (unitLog 0) or an entry (unitLog 2).
      const lo = Math.log2(wordBytes) - unitLog, hi = Math.log2(SLOT_BYTES) - unitLog - 1;
      return wordsPerSlot === 1 ? null : byteOrEntry.bits(hi, lo);
    };

    m.seq(() => {
      // Queue-pair events and doorbells. Enable and disable forget the ring's pending work (ctrl
      // changes nothing here); a read that leaves entries behind keeps it pending.
      let clearMask: UInt<number> = mux(eventTake.and(io.qp_event.payload.kind.is('ctrl').not()), onehot(evQp), lit(Q, 0));
      clearMask = clearMask.or(mux(picks, onehot(pickQp), lit(Q, 0)));
      const setMask = mux(bellRings, onehot(io.doorbell.payload.qp), lit(Q, 0))
        .or(mux(issues.and(n.zext(32).ne(avail)), onehot(f.sel_qp), lit(Q, 0)));
      q.pending.set(q.pending.and(clearMask.not()).or(setMask));
      when(eventTake, () => {
        when(isEnable, () => {
          q.active.set(q.active.or(onehot(evQp)));
          cfgRam.ports[0]!.write(evQp, { base: io.qp_event.payload.bret_base, log: io.qp_event.payload.bret_log });
          tailRam.ports[0]!.write(evQp, lit(32, 0));
          headRam.ports[0]!.write(evQp, lit(32, 0));
        }).elsewhen(io.qp_event.payload.kind.is('disable'), () => q.active.set(q.active.and(onehot(evQp).not())));
      });
      when(bellRings, () => tailRam.ports[0]!.write(io.doorbell.payload.qp, io.doorbell.payload.value));

      // Fetch.
      when(io.rd_req.fire(), () => rdReqFull.set(false));
      fetch.on({
        pick: () => when(picks, () => {
          cfgRam.ports[1]!.read(pickQp);
          tailRam.ports[1]!.read(pickQp);
          headRam.ports[1]!.read(pickQp);
          f.sel_qp.set(pickQp);
          f.rr_last.set(pickQp);
          fetch.goto('issue');
        }),
        issue: () => {
          when(issues, () => {
            rdReqFull.set(true);
            rdReq.addr.set(cfg.base.add(slot.zext(64).shl(2)));
            rdReq.len.set(n.zext(DMA_LEN_BITS).shl(2));
            rdReq.tag.set(issueTag.zext(4));
            rdReq.qp.set(f.sel_qp);
            headRam.ports[0]!.write(f.sel_qp, newHead);
            for (let t = 0; t < TAGS; t++) {
              when(issueTag.eq(t), () => {
                rec.rec_qp.at(t).set(f.sel_qp);
                rec.rec_n.at(t).set(n);
                rec.rec_end.at(t).set(newHead);
                rec.rx_bytes.at(t).set(0);
              });
            }
            ptr.issue_ptr.set(ptr.issue_ptr.add(1));
            fetch.goto('pick');
          }).elsewhen(work.not(), () => fetch.goto('pick'));
        },
      });

      // Responses: each beat straight into its tag's slot.
      const rTag = io.rd_data.payload.tag.trunc(3);
      const pos = rec.rx_bytes.get(rTag);
      // A tag's slot starts empty when its read is issued.
      let rxLast: UInt<number> = mux(issues, rec.rx_last.and(lit(TAGS, 1).shl(issueTag).not()), rec.rx_last);
      when(io.rd_data.fire(), () => {
        const data = io.rd_data.payload.data;
        if (B < ENTRY_BYTES) {
          buffer.ports[0]!.write(bufferAddr(rTag, wordOf(pos, 0)), data.cat(data).cat(data).cat(data), lit(4, 1).shl(pos.bits(1, 0)));
        } else {
          buffer.ports[0]!.write(bufferAddr(rTag, wordOf(pos, 0)), data);
        }
        for (let t = 0; t < TAGS; t++) when(rTag.eq(t), () => rec.rx_bytes.at(t).set(pos.add(B)));
      });
      rxLast = mux(io.rd_data.fire().and(io.rd_data.payload.last), rxLast.or(lit(TAGS, 1).shl(rTag)), rxLast);
      rec.rx_last.set(rxLast.as(TAGS));

      // Deliver.
      when(delivers, () => {
        buffer.ports[1]!.read(bufferAddr(dTag, wordOf(e, 2)));
        rel.rel_full.set(true);
        rel.rel_qp.set(dQp);
        if (relSel) relSel.set(e.bits(selBits - 1, 0));
        rel.rel_last.set(lastOfRead);
        rel.rel_end.set(rec.rec_end.get(dTag));
        when(lastOfRead, () => {
          ptr.deliver_entry.set(0);
          ptr.deliver_ptr.set(ptr.deliver_ptr.add(1));
        }).otherwise(() => ptr.deliver_entry.set(e.add(1)));
      }).elsewhen(io.release.fire(), () => rel.rel_full.set(false));
      when(drops, () => {
        ptr.deliver_entry.set(0);
        ptr.deliver_ptr.set(ptr.deliver_ptr.add(1));
      });

      // A read's report, once its last offset has gone.
      when(io.update.fire(), () => upd.report_full.set(false));
      when(io.event.fire(), () => upd.irq_full.set(false));
      when(io.release.fire().and(rel.rel_last), () => {
        upd.report_full.set(true);
        upd.report_qp.set(rel.rel_qp);
        upd.report_head.set(rel.rel_end);
        upd.irq_full.set(true);
        upd.irq_qp.set(rel.rel_qp);
      });
    });
  }, { queuePairs: Q, beatBytes: B });
}
