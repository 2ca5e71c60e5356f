// hw/homa/engine/sq_fetch.ts — the send-queue consumer (ENGINE.md `sq_fetch`): descriptors the
// host writes into a queue pair's send ring, read by DMA, checked against ABI v2, and handed
// on (accepted) or refused with an ERROR completion.
//
// The ring follows ABI v2 (hw/homa/abi/records.ts): 64-byte sendDescriptor entries,
// free-running 32-bit head and tail, slot = counter & (entries - 1); the host produces (sq_tail
// doorbell), the engine consumes and reports sq_head once every descriptor before it was
// handed on or refused (the host may then reuse those slots).
//
// A descriptor is refused when descriptorFault (hw/homa/abi/descriptor.ts) would refuse it: an
// opcode other than REQUEST, REPLY or ABORT; a REQUEST or REPLY of 0 or more than 1,000,000
// bytes, or whose bytes [send_offset, send_offset + length) leave the queue pair's send
// region; a REQUEST with an id or to port 0; a REPLY with a cookie; an IPv6 peer on an IPv4
// NIC. A refused descriptor touches no memory: an ERROR completion (EINVAL, the descriptor's
// id, cookie, peer_addr, and dport as peer_port) goes to `cq`, status BAD_DESCRIPTOR to
// `update`, and `bad` pulses for the bad_descriptors counter. An accepted REQUEST gets its id
// here from the engine's one counter (HomaModule's next_outgoing_id: 2 after reset, then +2,
// spec §1.2; ids are unique per client host, as peers key server RPCs by them), and leaves
// on `desc` with the rest of the descriptor; REPLY and ABORT leave as they came (matching a
// reply to its RPC is the next stage's work).
//
// One read at a time, of up to 4 descriptors that never crosses the ring's end, tag 8 (tag bit
// 3 marks this block's reads at the DMA read multiplexer). Read data is always taken: the beats
// go into a 256-byte buffer (block RAM), so a stalled `desc` never holds up another block's
// reads on the shared port. Queue pairs with work take turns, round robin, a read at a time.
// Then each descriptor is loaded from the buffer (64 / beatBytes words), checked (one
// registered stage) and handed on; when the read's last descriptor has gone, sq_head.
//
// Enable and disable are taken at any time but while sq_head is being reported: an enable
// starts a new ring (head, tail 0, next id 2); a disable or enable of the queue pair whose read
// is in progress abandons it (its remaining descriptors are dropped, nothing is reported). A
// tail more than a ring ahead of the head breaks the ring rules: nothing is read until a sane
// tail arrives. `idle` is high when nothing is to be read and nothing is in progress except a
// descriptor offered on `desc` (its consumer's own idle covers it).

import { assign, bool, clog2, lit, module, mux, output, input, record, stream, u, when, type Bool, type UInt } from '../../hdl/index.ts';
import { CompletionType, QpStatus, SendOpcode, sendDescriptor } from '../abi.ts';
import { HOMA_MAX_MESSAGE_LENGTH } from '../wire/index.ts';
import { roundRobinPick } from './bpool.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { imageFields } from './mem_image.ts';
import { completionRequestLayout } from './rx_data.ts';
import { DMA_LEN_BITS, MSG_BITS, engineLayouts } from './types.ts';

/** Descriptors one read fetches at most. */
export const SQ_READ_DESCRIPTORS = 4;
/** The DMA read tag of this block's reads (bit 3: the read multiplexer's second requester). */
export const SQ_READ_TAG = 8;
const DESC_BYTES = sendDescriptor.width / 8;
const EINVAL = 22;

/** An accepted send descriptor (REQUEST with its assigned id, REPLY or ABORT), for queue pair `qp` in its enable `gen`. */
export function txDescLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({
    qp: u(w.qp), gen: u(8), opcode: u(8), flags: u(8), dport: u(16), length: u(MSG_BITS), send_offset: u(32),
    error: u(32), id: u(64), cookie: u(64), peer_addr: u(128),
  });
}

export function sqFetch(c: EngineConfig) {
  const L = engineLayouts(c);
  const w = engineWidths(c);
  const Q = c.queuePairs, qw = w.qp, B = c.beatBytes;
  const wordsPerDesc = DESC_BYTES / B;
  const bufWords = SQ_READ_DESCRIPTORS * wordsPerDesc;
  const descL = txDescLayout(c);
  const creq = completionRequestLayout(c);
  const ringCfg = record({ base: u(64), log: u(5), send_size: u(32), gen: u(8) });

  return module(`sq_fetch_${c.name}`, {
    qp_event: stream.sink(L.qpEvent),
    doorbell: stream.sink(L.doorbell),
    /** The NIC's address is IPv4: descriptors must name IPv4 peers (::ffff:a.b.c.d). */
    ipv4: input(bool),
    rd_req: stream.source(L.dmaRdReq),
    rd_data: stream.sink(L.dmaRdData),
    desc: stream.source(descL),
    cq: stream.source(creq),
    update: stream.source(L.qpUpdate),
    /** A descriptor was refused (counter bad_descriptors). */
    bad: output(bool),
    idle: output(bool),
  }, (m, io) => {
    // ---- per queue pair ----
    const cfgRam = m.memory('ring_cfg', { layout: ringCfg, depth: Q, ports: ['w', 'r'] });
    const tailRam = m.memory('ring_tail', { layout: u(32), depth: Q, ports: ['w', 'r'] });
    const headRam = m.memory('ring_head', { layout: u(32), depth: Q, ports: ['w', 'r'] });
    const q = m.regs({ active: u(Q), pending: u(Q) });
    const onehot = (qp: UInt<number>): UInt<number> => lit(Q, 1).shl(qp);
    const bitOf = (v: UInt<number>, qp: UInt<number>): Bool => v.shr(qp).bit(0);

    // ---- the read in progress ----
    const fsm = m.fsm('sq', ['pick', 'issue', 'fill', 'load', 'check', 'emit', 'report']);
    const r = m.regs({
      rr_last: u(qw), qp: u(qw), abandon: bool,
      n: u(3), k: u(3), head: u(32), next_id: u(64), send_size: u(32), gen: u(8),
      rx_words: u(clog2(bufWords + 1)), ld_issue: u(clog2(wordsPerDesc + 1)), ld_got: u(clog2(wordsPerDesc + 1)), ld_valid: bool,
    });
    const buffer = m.memory('descs', { layout: u(8 * B), depth: bufWords, ports: ['w', 'r'] });
    const d = m.reg('desc_image', u(8 * DESC_BYTES));
    const verdict = m.regs({ refuse: bool, is_request: bool });
    const verdictHolds = () => verdict.refuse.not().and(r.abandon.not());

    // ---- outputs, each a register ----
    const rdReq = m.reg('rd_req_reg', L.dmaRdReq);
    const o = m.regs({ rd_full: bool, desc_full: bool, cq_full: bool, upd_full: bool, bad_pulse: bool });
    const descReg = m.reg('desc_reg', descL);
    const cqReg = m.reg('cq_reg', creq);
    const updReg = m.reg('update_reg', L.qpUpdate);
    io.rd_req.valid.set(o.rd_full);
    io.rd_req.payload.addr.set(rdReq.addr);
    io.rd_req.payload.len.set(rdReq.len);
    io.rd_req.payload.tag.set(rdReq.tag);
    io.rd_req.payload.qp.set(rdReq.qp);
    io.desc.valid.set(o.desc_full);
    assign(io.desc.payload, descReg);
    io.cq.valid.set(o.cq_full);
    assign(io.cq.payload, cqReg);
    io.update.valid.set(o.upd_full);
    assign(io.update.payload, updReg);
    io.bad.set(o.bad_pulse);
    io.rd_data.ready.set(true);
    // Idle: nothing to read, or nothing can move until `desc` is taken (its consumer's idle covers that).
    const heldByDesc = fsm.is('emit').and(verdictHolds()).and(o.desc_full);
    io.idle.set(q.pending.eq(0).and(fsm.is('pick')).or(heldByDesc).and(o.rd_full.not()).and(o.cq_full.not()).and(o.upd_full.not()));

    // Events: taken at once but while sq_head is reported (it writes the head RAM); a doorbell
    // waits for an event (both write the tail RAM).
    const ev = io.qp_event.payload;
    const eventTake = m.let('event_take', io.qp_event.valid.and(fsm.is('report').not()));
    io.qp_event.ready.set(fsm.is('report').not());
    io.doorbell.ready.set(eventTake.not());
    const isEnable = ev.kind.is('enable');
    const restarts = m.let('restarts', eventTake.and(ev.kind.is('ctrl').not()));
    const bellRings = m.let('bell_rings', io.doorbell.fire().and(io.doorbell.payload.kind.is('sq')).and(bitOf(q.active, io.doorbell.payload.qp)));
    // An enable or disable of the queue pair whose read is in progress abandons that read.
    const hitsRead = m.let('hits_read', restarts.and(ev.qp.eq(r.qp)).and(fsm.is('pick').not()));
    const abandoned = r.abandon.or(hitsRead);

    // ---- pick and issue ----
    const pickQp = m.let('pick_qp', roundRobinPick(q.pending, r.rr_last));
    const picks = m.let('picks', fsm.is('pick').and(eventTake.not()).and(q.pending.ne(0)));
    const cfg = cfgRam.ports[1]!.data;
    const head = headRam.ports[1]!.data;
    const avail = m.let('avail', tailRam.ports[1]!.data.sub(head));
    const entries = m.let('ring_entries', lit(33, 1).shl(cfg.log).trunc(33));
    const slot = m.let('slot', head.zext(33).and(entries.sub(1)));
    const toEnd = entries.sub(slot);
    const upTo = mux(avail.lt(SQ_READ_DESCRIPTORS), avail.trunc(3), lit(3, SQ_READ_DESCRIPTORS));
    const n = m.let('read_descs', mux(toEnd.lt(upTo.zext(33)), toEnd.trunc(3), upTo));
    const work = m.let('work', bitOf(q.active, r.qp).and(avail.ne(0)).and(avail.zext(33).le(entries)));
    const issues = m.let('issues', fsm.is('issue').and(work).and(abandoned.not()).and(o.rd_full.not()));

    // ---- a descriptor: loaded from the buffer, checked, handed on ----
    const f = imageFields(sendDescriptor, d);
    const op = f['opcode']!, length = f['length']!, sendOffset = f['send_offset']!, addr = f['peer_addr']!;
    const isRequest = op.eq(SendOpcode.REQUEST), isReply = op.eq(SendOpcode.REPLY), isAbort = op.eq(SendOpcode.ABORT);
    const badOp = isRequest.or(isReply).or(isAbort).not();
    const badLength = length.eq(0).or(length.gt(HOMA_MAX_MESSAGE_LENGTH));
    const badRange = sendOffset.zext(33).add(length.zext(33)).gt(r.send_size.zext(33));
    const badRequest = isRequest.and(f['id']!.ne(0).or(f['dport']!.eq(0)));
    const badReply = isReply.and(f['cookie']!.ne(0));
    const v4Mapped = addr.bits(127, 32).eq(0xffff);
    const badFamily = io.ipv4.and(v4Mapped.not()).and(isReply.and(addr.eq(0)).not());
    const fault = m.let('desc_fault', isAbort.not().and(badOp.or(badLength).or(badRange).or(badRequest).or(badReply).or(badFamily)));
    const lastDesc = m.let('last_desc', r.k.add(1).eq(r.n));
    const emits = m.let('emits', fsm.is('emit').and(abandoned.not()).and(mux(verdict.refuse,
      o.cq_full.not().and(o.upd_full.not()), o.desc_full.not())));

    m.seq(() => {
      // Queue-pair events and doorbells (ctrl changes nothing here).
      let clearMask: UInt<number> = mux(restarts, onehot(ev.qp), lit(Q, 0));
      clearMask = clearMask.or(mux(picks, onehot(pickQp), lit(Q, 0)));
      const setMask = mux(bellRings, onehot(io.doorbell.payload.qp), lit(Q, 0))
        .or(mux(issues.and(n.zext(32).ne(avail)), onehot(r.qp), lit(Q, 0)));
      q.pending.set(q.pending.and(clearMask.not()).or(setMask));
      when(restarts, () => {
        when(isEnable, () => {
          q.active.set(q.active.or(onehot(ev.qp)));
          cfgRam.ports[0]!.write(ev.qp, { base: ev.sq_base, log: ev.sq_log, send_size: ev.send_size, gen: ev.gen });
          tailRam.ports[0]!.write(ev.qp, lit(32, 0));
          headRam.ports[0]!.write(ev.qp, lit(32, 0));
        }).otherwise(() => q.active.set(q.active.and(onehot(ev.qp).not())));
      });
      when(bellRings, () => tailRam.ports[0]!.write(io.doorbell.payload.qp, io.doorbell.payload.value));
      when(hitsRead, () => r.abandon.set(true));

      when(io.rd_req.fire(), () => o.rd_full.set(false));
      when(io.desc.fire(), () => o.desc_full.set(false));
      when(io.cq.fire(), () => o.cq_full.set(false));
      when(io.update.fire(), () => o.upd_full.set(false));
      o.bad_pulse.set(false);
      // Read data goes into the buffer whatever happens to the read.
      when(io.rd_data.fire(), () => {
        buffer.ports[0]!.write(r.rx_words.trunc(clog2(bufWords)), io.rd_data.payload.data);
        r.rx_words.set(r.rx_words.add(1));
      });

      fsm.on({
        pick: () => when(picks, () => {
          cfgRam.ports[1]!.read(pickQp);
          tailRam.ports[1]!.read(pickQp);
          headRam.ports[1]!.read(pickQp);
          r.qp.set(pickQp);
          r.rr_last.set(pickQp);
          r.abandon.set(false);
          fsm.goto('issue');
        }),
        issue: () => {
          when(issues, () => {
            o.rd_full.set(true);
            rdReq.addr.set(cfg.base.add(slot.zext(64).shl(6)));
            rdReq.len.set(n.zext(DMA_LEN_BITS).shl(6));
            rdReq.tag.set(SQ_READ_TAG);
            rdReq.qp.set(r.qp);
            r.n.set(n);
            r.k.set(0);
            r.head.set(head);
            r.send_size.set(cfg.send_size);
            r.gen.set(cfg.gen);
            r.rx_words.set(0);
            fsm.goto('fill');
          }).elsewhen(work.not().or(abandoned), () => fsm.goto('pick'));
        },
        fill: () => {
          // Every beat of the read is in (the buffer is written a beat per word).
          const wantWords = m.let('want_words', r.n.zext(16).shl(Math.log2(wordsPerDesc)).trunc(clog2(bufWords + 1)));
          when(r.rx_words.eq(wantWords).and(o.rd_full.not()), () => {
            when(abandoned, () => fsm.goto('pick')).otherwise(() => {
              r.ld_issue.set(0);
              r.ld_got.set(0);
              r.ld_valid.set(false);
              fsm.goto('load');
            });
          });
        },
        load: () => {
          // Words in order; each arrives a cycle after its read and enters at the top, so the
          // first ends at the bottom (byte 0 of the descriptor at bits 7..0).
          const word = r.k.zext(16).shl(Math.log2(wordsPerDesc)).add(r.ld_issue.zext(16)).trunc(clog2(bufWords));
          when(r.ld_issue.lt(wordsPerDesc), () => {
            buffer.ports[1]!.read(word);
            r.ld_issue.set(r.ld_issue.add(1));
          });
          r.ld_valid.set(r.ld_issue.lt(wordsPerDesc));
          when(r.ld_valid, () => {
            if (wordsPerDesc === 1) d.set(buffer.ports[1]!.data);
            else d.set(buffer.ports[1]!.data.cat(d.bits(8 * DESC_BYTES - 1, 8 * B)));
            r.ld_got.set(r.ld_got.add(1));
            when(r.ld_got.add(1).eq(wordsPerDesc), () => fsm.goto('check'));
          });
        },
        check: () => {
          verdict.refuse.set(fault);
          verdict.is_request.set(isRequest);
          fsm.goto('emit');
        },
        emit: () => {
          when(abandoned, () => fsm.goto('pick'));
          when(emits, () => {
            when(verdict.refuse, () => {
              o.cq_full.set(true);
              cqReg.qp.set(r.qp);
              cqReg.gen.set(r.gen);
              cqReg.type.set(CompletionType.ERROR);
              cqReg.id.set(f['id']!.as(64));
              cqReg.cookie.set(f['cookie']!.as(64));
              cqReg.peer_addr.set(addr.as(128));
              cqReg.peer_port.set(f['dport']!.as(16));
              cqReg.length.set(0);
              cqReg.error.set(EINVAL);
              cqReg.num_bpages.set(0);
              for (let i = 0; i < 16; i++) cqReg.bpage_offsets.at(i).set(0);
              o.upd_full.set(true);
              updReg.kind.setTo('status_set');
              updReg.qp.set(r.qp);
              updReg.value.set(QpStatus.BAD_DESCRIPTOR);
              o.bad_pulse.set(true);
            }).otherwise(() => {
              o.desc_full.set(true);
              descReg.qp.set(r.qp);
              descReg.gen.set(r.gen);
              descReg.opcode.set(op.as(8));
              descReg.flags.set(f['flags']!.as(8));
              descReg.dport.set(f['dport']!.as(16));
              descReg.length.set(length.trunc(MSG_BITS));
              descReg.send_offset.set(sendOffset.as(32));
              descReg.error.set(f['error']!.as(32));
              descReg.id.set(mux(verdict.is_request, r.next_id.add(2), f['id']!.as(64)));
              descReg.cookie.set(f['cookie']!.as(64));
              descReg.peer_addr.set(addr.as(128));
              when(verdict.is_request, () => r.next_id.set(r.next_id.add(2)));
            });
            r.k.set(r.k.add(1));
            when(lastDesc, () => fsm.goto('report')).otherwise(() => {
              r.ld_issue.set(0);
              r.ld_got.set(0);
              r.ld_valid.set(false);
              fsm.goto('load');
            });
          });
        },
        report: () => when(abandoned, () => fsm.goto('pick')).elsewhen(o.upd_full.not(), () => {
          const newHead = r.head.add(r.n.zext(32));
          o.upd_full.set(true);
          updReg.kind.setTo('sq_head');
          updReg.qp.set(r.qp);
          updReg.value.set(newHead);
          headRam.ports[0]!.write(r.qp, newHead);
          fsm.goto('pick');
        }),
      });
    });
  }, { queuePairs: Q, beatBytes: B });
}
