// hw/homa/engine/completion.ts — completions into each queue pair's completion ring (ABI v2,
// records.ts): a 64-byte entry with the phase bit, and a CONTINUATION entry after it when the
// message has more than COMPLETION_INLINE_BPAGES bpages; then an irq if the queue pair asked.
//
// Two stages: the queue pair's ring state is read (base, size, tail, the host's head); then the
// entry is built, its write requested, the tail advanced (forwarded to the next completion of
// the same queue pair) and the new tail reported for the user page. The entries' bytes go out
// one beat per cycle from a small FIFO, so back-to-back completions overlap. A full ring holds
// the completion until the host moves cq_head (nothing is lost; the receive path waits).

import { assign, bool, clog2, connect, lit, module, mux, output, record, stream, u, vec, when, VecValue, type UInt } from '../../hdl/index.ts';
import { COMPLETION_INLINE_BPAGES, CompletionType, completionContinuation, completionEntry } from '../abi.ts';
import { regFifo } from '../../lib/fifo.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { memoryImage } from './mem_image.ts';
import { completionRequestLayout } from './rx_data.ts';
import { engineLayouts } from './types.ts';

const ENTRY = completionEntry.width / 8;

export function completion(c: EngineConfig) {
  const L = engineLayouts(c);
  const w = engineWidths(c);
  const B = c.beatBytes;
  const beatsPerEntry = ENTRY / B;
  const creq = completionRequestLayout(c);
  const ring = record({ enabled: bool, gen: u(8), irq: bool, base: u(64), log: u(5) });
  /** One write: up to two entries' bytes, how many beats, and whether it is the last write of the completion. */
  const write = record({ image: u(16 * ENTRY), beats: u(clog2(2 * beatsPerEntry + 1)) });
  return module(`completion_${c.name}`, {
    req: stream.sink(creq),
    qp_event: stream.sink(L.qpEvent),
    doorbell: stream.sink(L.doorbell),
    wr_req: stream.source(L.dmaWrReq),
    wr_data: stream.source(L.dmaWrData),
    update: stream.source(L.qpUpdate),
    irq: stream.source(L.irq),
    idle: output(bool),
  }, (m, io) => {
    const ringRam = m.memory('ring_cfg', { layout: ring, depth: c.queuePairs, ports: ['w', 'r'] });
    const tailRam = m.memory('tail_ram', { layout: u(32), depth: c.queuePairs, ports: ['w', 'r'] });
    const headRam = m.memory('head_ram', { layout: u(32), depth: c.queuePairs, ports: ['w', 'r'] });
    const [ringW, ringR, tailW, tailR, headW, headR] = [ringRam.ports[0]!, ringRam.ports[1]!, tailRam.ports[0]!, tailRam.ports[1]!, headRam.ports[0]!, headRam.ports[1]!];
    const writes = m.instance('writes', regFifo(write, 2));
    const updates = m.instance('updates', regFifo(L.qpUpdate, 2));
    const irqs = m.instance('irqs', regFifo(L.irq, 2));
    io.qp_event.ready.set(true);
    io.doorbell.ready.set(true);

    // ---- stage 1: the ring's state is read ----
    const s = m.reg('s', record({ valid: bool, r: creq }));
    const last = m.reg('last', record({ valid: bool, qp: u(w.qp), tail: u(32) }));   // the tail just written
    const step = m.reg('second_write', bool);               // a wrapped pair: the continuation goes to slot 0
    const x = s.r;
    const rg = ringR.data;
    const tail = m.let('tail', mux(last.valid.and(last.qp.eq(x.qp)), last.tail, tailR.data));
    const head = headR.data;
    const size = m.let('ring_size', lit(33, 1).shl(rg.log).trunc(33));
    const two = m.let('two_entries', x.num_bpages.gt(COMPLETION_INLINE_BPAGES));
    const n = m.let('entries', mux(two, lit(33, 2), lit(33, 1)));
    const used = m.let('used', tail.sub(head).zext(33));
    const room = m.let('room', used.add(n).le(size));
    const live = m.let('ring_live', rg.enabled.and(rg.gen.eq(x.gen)));
    const mask = m.let('slot_mask', size.sub(1).trunc(32));
    const slot = m.let('slot', tail.and(mask));
    const wraps = m.let('pair_wraps', two.and(slot.eq(mask)));
    const phaseOf = (i: UInt<32>): UInt<8> => lit(7, 0).cat(i.shr(rg.log).bit(0).not()).as(8);

    // The entries, as host memory holds them.
    const offsets = x.bpage_offsets.items as readonly UInt<32>[];
    const entry = memoryImage(completionEntry, {
      type: x.type, phase: phaseOf(tail), peer_port: x.peer_port, length: x.length, id: x.id, cookie: x.cookie,
      peer_addr: x.peer_addr, error: x.error, num_bpages: x.num_bpages.zext(8),
      bpage_offsets: vecOf(offsets.slice(0, COMPLETION_INLINE_BPAGES), 32),
    });
    const cont = memoryImage(completionContinuation, {
      type: lit(8, CompletionType.CONTINUATION), phase: phaseOf(tail.add(1)),
      bpage_offsets: vecOf([...offsets.slice(COMPLETION_INLINE_BPAGES), ...Array.from({ length: 15 - (16 - COMPLETION_INLINE_BPAGES) }, () => lit(32, 0))], 32),
    });

    const issue = m.let('issue', s.valid.and(live).and(room));
    const firstOnly = m.let('first_only', wraps.and(step.not()));
    io.wr_req.valid.set(issue.and(writes.in.ready).and(updates.in.ready).and(irqs.in.ready));
    io.wr_req.payload.addr.set(rg.base.add(mux(step, lit(32, 0), slot).zext(64).shl(6)));
    io.wr_req.payload.len.set(mux(two.and(wraps.not()), lit(16, 2 * ENTRY), lit(16, ENTRY)));
    io.wr_req.payload.qp.set(x.qp);
    io.wr_req.payload.lane.set(0);
    writes.in.valid.set(io.wr_req.fire());
    writes.in.payload.image.set(mux(step, lit(8 * ENTRY, 0).cat(cont), mux(two, cont, lit(8 * ENTRY, 0)).cat(entry)).as(16 * ENTRY));
    writes.in.payload.beats.set(mux(two.and(wraps.not()), lit(clog2(2 * beatsPerEntry + 1), 2 * beatsPerEntry), lit(clog2(2 * beatsPerEntry + 1), beatsPerEntry)));
    const finish = m.let('finish', io.wr_req.fire().and(firstOnly.not()));
    const newTail = m.let('new_tail', tail.add(mux(two, lit(32, 2), lit(32, 1))));
    updates.in.valid.set(finish);
    updates.in.payload.kind.setTo('cq_tail');
    updates.in.payload.qp.set(x.qp);
    updates.in.payload.value.set(newTail);
    irqs.in.valid.set(finish.and(rg.irq));
    irqs.in.payload.set(x.qp);
    const advance = m.let('advance', s.valid.and(live.not().or(finish)));
    io.req.ready.set(s.valid.not().or(advance));

    // ---- data beats of the queued writes ----
    const beat = m.reg('beat', u(clog2(2 * beatsPerEntry + 1)));
    const img = writes.out.payload.image;
    const beatData = Array.from({ length: 2 * beatsPerEntry }, (_, k) => img.bits(8 * B * (k + 1) - 1, 8 * B * k) as UInt<number>);
    let data: UInt<number> = beatData[0]!;
    for (let k = 1; k < beatData.length; k++) data = mux(beat.eq(k), beatData[k]!, data);
    const lastBeat = m.let('last_beat', beat.add(1).eq(writes.out.payload.beats));
    io.wr_data.valid.set(writes.out.valid);
    io.wr_data.payload.data.set(data);
    io.wr_data.payload.last.set(lastBeat);
    writes.out.ready.set(io.wr_data.fire().and(lastBeat));
    connect(updates.out, io.update);
    io.irq.valid.set(irqs.out.valid);
    io.irq.payload.set(irqs.out.payload);
    irqs.out.ready.set(io.irq.ready);
    io.idle.set(s.valid.not().and(writes.count.eq(0)).and(updates.count.eq(0)).and(irqs.count.eq(0)));

    m.seq(() => {
      when(io.qp_event.valid, () => {
        const e = io.qp_event.payload;
        ringW.write(e.qp, { enabled: e.kind.is('disable').not(), gen: e.gen, irq: e.irq, base: e.cq_base, log: e.cq_log });
        when(e.kind.is('enable'), () => { tailW.write(e.qp, lit(32, 0)); headW.write(e.qp, lit(32, 0)); });
        when(e.kind.is('enable').and(last.qp.eq(e.qp)), () => last.valid.set(false));
      });
      when(io.doorbell.valid.and(io.doorbell.payload.kind.is('cq')), () => headW.write(io.doorbell.payload.qp, io.doorbell.payload.value));
      when(io.req.fire(), () => {
        ringR.read(io.req.payload.qp);
        tailR.read(io.req.payload.qp);
        headR.read(io.req.payload.qp);
        assign(s.r, io.req.payload);
      }).elsewhen(s.valid, () => headR.read(x.qp));         // a full ring: look at the host's head again
      s.valid.set(io.req.fire().or(s.valid.and(advance.not())));
      when(io.wr_req.fire(), () => step.set(firstOnly));
      when(finish, () => {
        tailW.write(x.qp, newTail);
        last.valid.set(true);
        last.qp.set(x.qp);
        last.tail.set(newTail);
      });
      when(io.wr_data.fire(), () => beat.set(mux(lastBeat, lit(clog2(2 * beatsPerEntry + 1), 0), beat.add(1))));
    });
  }, { config: c.name });
}

function vecOf(items: readonly UInt<number>[], width: number): VecValue {
  return new VecValue(vec(u(width), items.length), items as never);
}
