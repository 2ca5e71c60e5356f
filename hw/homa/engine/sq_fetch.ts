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
// One read at a time, of up to 8 descriptors that never crosses the ring's end, tag 8 (the
// engine's DMA read multiplexers route its data back by tag). Read data is always taken: the
// beats go into a 512-byte buffer (block RAM), so a stalled `desc` never holds up another
// block's reads on the shared port. Queue pairs with work take turns, round robin, a read at a
// time. Each descriptor is loaded from the buffer (64 / beatBytes words) as soon as its beats
// are in, checked as its last word arrives, and handed on; at one word a descriptor the next
// one's word is read while a descriptor waits, so descriptors leave one a cycle. When the
// read's last descriptor has gone, sq_head.
//
// Enable and disable are taken at any time but while sq_head is being reported: an enable
// starts a new ring (head and tail 0); a disable or enable of the queue pair whose read
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
export const SQ_READ_DESCRIPTORS = 8;
/** Bits of a count of descriptors in one read (0 ..= SQ_READ_DESCRIPTORS). */
const NB = clog2(SQ_READ_DESCRIPTORS + 1);
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
    const fsm = m.fsm('sq', ['pick', 'issue', 'fill', 'load', 'emit', 'report']);
    const r = m.regs({
      rr_last: u(qw), qp: u(qw), abandon: bool,
      n: u(NB), k: u(NB), head: u(32), next_id: u(64), send_size: u(32), gen: u(8),
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
    const upTo = mux(avail.lt(SQ_READ_DESCRIPTORS), avail.trunc(NB), lit(NB, SQ_READ_DESCRIPTORS));
    const n = m.let('read_descs', mux(toEnd.lt(upTo.zext(33)), toEnd.trunc(NB), upTo));
    const work = m.let('work', bitOf(q.active, r.qp).and(avail.ne(0)).and(avail.zext(33).le(entries)));
    const issues = m.let('issues', fsm.is('issue').and(work).and(abandoned.not()).and(o.rd_full.not()));

    // ---- a descriptor: loaded from the buffer and checked as its last word arrives, handed on ----
    const f = imageFields(sendDescriptor, d);
    const op = f['opcode']!, length = f['length']!, sendOffset = f['send_offset']!, addr = f['peer_addr']!;
    // The image as it stands once the word arriving now is in (the check reads the buffer's
    // registered output, the same depth as reading `d`).
    const arriving = (wordsPerDesc === 1 ? buffer.ports[1]!.data : buffer.ports[1]!.data.cat(d.bits(8 * DESC_BYTES - 1, 8 * B))) as UInt<number>;
    const g = imageFields(sendDescriptor, arriving);
    const gOp = g['opcode']!, gLength = g['length']!, gAddr = g['peer_addr']!;
    const isRequest = gOp.eq(SendOpcode.REQUEST), isReply = gOp.eq(SendOpcode.REPLY), isAbort = gOp.eq(SendOpcode.ABORT);
    const badOp = isRequest.or(isReply).or(isAbort).not();
    const badLength = gLength.eq(0).or(gLength.gt(HOMA_MAX_MESSAGE_LENGTH));
    const badRange = g['send_offset']!.zext(33).add(gLength.zext(33)).gt(r.send_size.zext(33));
    const badRequest = isRequest.and(g['id']!.ne(0).or(g['dport']!.eq(0)));
    const badReply = isReply.and(g['cookie']!.ne(0));
    const v4Mapped = gAddr.bits(127, 32).eq(0xffff);
    const badFamily = io.ipv4.and(v4Mapped.not()).and(isReply.and(gAddr.eq(0)).not());
    const fault = m.let('desc_fault', isAbort.not().and(badOp.or(badLength).or(badRange).or(badRequest).or(badReply).or(badFamily)));
    // The buffer word of word `w` of descriptor `k`, and whether its beat is in.
    const wordAt = (k: UInt<number>, w: UInt<number>): UInt<number> => k.zext(16).shl(Math.log2(wordsPerDesc)).add(w.zext(16)).trunc(clog2(bufWords)) as UInt<number>;
    const arrived = (word: UInt<number>): Bool => word.zext(16).lt(r.rx_words.zext(16));
    const nextFirst = m.let('next_first_word', wordAt(r.k.add(1), lit(1, 0)));
    const nextReady = m.let('next_first_in', arrived(nextFirst));
    const lastDesc = m.let('last_desc', r.k.add(1).eq(r.n));
    const emits = m.let('emits', fsm.is('emit').and(abandoned.not()).and(mux(verdict.refuse,
      o.cq_full.not().and(o.upd_full.not()), o.desc_full.not().or(io.desc.ready))));   // a descriptor taken this cycle makes room for the next

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
          // Descriptors are loaded as soon as their beats are in; an abandoned read waits here
          // for all its beats (the buffer is written a beat per word) before the next read.
          const wantWords = m.let('want_words', r.n.zext(16).shl(Math.log2(wordsPerDesc)).trunc(clog2(bufWords + 1)));
          when(abandoned, () => when(r.rx_words.eq(wantWords).and(o.rd_full.not()), () => fsm.goto('pick')))
            .elsewhen(r.rx_words.zext(16).ge(wordsPerDesc).and(o.rd_full.not()), () => {
              r.ld_issue.set(0);
              r.ld_got.set(0);
              r.ld_valid.set(false);
              fsm.goto('load');
            });
        },
        load: () => {
          // Words in order, each read once its beat is in; each arrives a cycle after its read
          // and enters at the top, so the first ends at the bottom (byte 0 of the descriptor at
          // bits 7..0). With the last word the verdict is taken too.
          const word = wordAt(r.k, r.ld_issue);
          const issue = m.let('ld_issues', r.ld_issue.lt(wordsPerDesc).and(arrived(word)));
          when(issue, () => {
            buffer.ports[1]!.read(word);
            r.ld_issue.set(r.ld_issue.add(1));
          });
          r.ld_valid.set(issue);
          when(r.ld_valid, () => {
            d.set(arriving);
            r.ld_got.set(r.ld_got.add(1));
            when(r.ld_got.add(1).eq(wordsPerDesc), () => {
              verdict.refuse.set(fault);
              verdict.is_request.set(isRequest);
              fsm.goto('emit');
              // One word a descriptor: the next one's word is read now, to be checked as this
              // one is handed on (ld_valid then says the buffer's output holds it).
              if (wordsPerDesc === 1) {
                const pre = m.let('ld_prefetch', lastDesc.not().and(nextReady));
                when(pre, () => buffer.ports[1]!.read(nextFirst));
                r.ld_valid.set(pre);
              }
            });
          });
        },
        emit: () => {
          when(abandoned, () => fsm.goto('fill'));
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
            when(lastDesc, () => fsm.goto('report')).elsewhen(r.ld_valid, () => {
              // The next descriptor was read while this one waited: checked now, handed on next
              // (a descriptor a cycle), and the one after it read if its beat is in.
              d.set(arriving);
              verdict.refuse.set(fault);
              verdict.is_request.set(isRequest);
              const after = m.let('ld_prefetch2', r.k.add(2).lt(r.n).and(arrived(wordAt(r.k.add(2), lit(1, 0)))));
              when(after, () => buffer.ports[1]!.read(wordAt(r.k.add(2), lit(1, 0))));
              r.ld_valid.set(after);
            }).otherwise(() => {
              // The next descriptor's first word is read now if its beat is in.
              when(nextReady, () => buffer.ports[1]!.read(nextFirst));
              r.ld_issue.set(mux(nextReady, lit(r.ld_issue.width, 1), lit(r.ld_issue.width, 0)));
              r.ld_got.set(0);
              r.ld_valid.set(nextReady);
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
