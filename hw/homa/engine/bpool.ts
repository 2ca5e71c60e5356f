// hw/homa/engine/bpool.ts — the per-queue-pair bpage pools (spec §4) in hardware: the same
// answers as BpagePool (hw/homa/bpages.ts), call for call.
//
// What a pool holds, per queue pair (the rules are BpagePool's):
// - a free-page bitmap in block RAM, 32 pages a word, and a summary word with one bit per
//   bitmap word ("has a free page"): the lowest free page (BpagePool takes the lowest) is the
//   lowest set bit of the lowest word the summary names, one RAM read away;
// - free_count, and the owned page {owned_page, owned_used, owned_pieces}: the page small
//   messages share (§4), its bytes handed out and the pieces not yet given back;
// - per page, in block RAM, its references less one (page_refs_m1): written when a page is
//   handed out whole (1 reference) or when the pool gives up its owned page with pieces
//   outstanding (§4: "give up ownership and claim a fresh owned page"). Only pages that hold
//   something have a meaningful entry, and they always hold at least one reference, so one
//   less fits 16 bits (a page holds at most 65,536 one-byte pieces).
// The per-queue-pair words {num_bpages, free_count, owned_*, summary} sit in one RAM
// (pool_state); the queue pair being worked on is copied in registers, written through.
//
// Operations, one at a time, each accepted the cycle the previous one finishes:
//   accept (stage 0): take one request (qp_event first, then alloc and release alternately),
//     read the queue pair's pool_state and, for a release, the page's bitmap word and
//     page_refs_m1 entry;
//   exec (stage 1): decide. A refused alloc, a tail carved from the owned page, a message of
//     length 0, every release and every event but enable finish here: 1 cycle each, so the
//     common cases go at one per cycle, answered 2 cycles after they are offered.
//   take: one free page per cycle (whole pages first, then a fresh owned page for the tail):
//     take the lowest bit of the current word, write the word back; when the word empties,
//     read the next lowest word the summary names in the same cycle.
//   sweep: enable writes the queue pair's bitmap, one word a cycle (maxRegionBpages / 32
//     cycles), then its pool_state. Every request waits meanwhile (enables are rare).
// A read made at the clock edge where the previous operation writes the same word would miss
// that write: the last write to each RAM is kept in a register and forwarded.
//
// `update` carries {avail_bytes, value = BpagePool.availBytes} after every operation that
// changes it (enable, a granted message, a release that frees space), and {status_set,
// BPAGE_DOUBLE_FREE} for every release BpagePool refuses (double_free pulses then too).

import {
  assign, bool, cat, enumType, False, lit, module, mux, output, pack, record, stream, switchOn, u, when,
  UInt, type Bool, type RecordValue, type VecValue,
} from '../../hdl/index.ts';
import { QpStatus } from '../abi.ts';
import { BPAGE_SHIFT, BPAGE_SIZE } from '../bpages.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { engineLayouts, MSG_BITS } from './types.ts';

/** Pages per bitmap word (log2). */
const WORD_LOG = 5;
const WORD_BITS = 1 << WORD_LOG;

const bpoolOp = enumType('bpool_op', ['alloc', 'release', 'enable', 'other']);

export function bpool(c: EngineConfig) {
  const L = engineLayouts(c);
  const w = engineWidths(c);
  const Q = c.queuePairs, P = c.maxRegionBpages, pw = w.bpage, qw = w.qp;
  const WORDS = P / WORD_BITS;
  const ww = pw - WORD_LOG;
  if (ww < 1) throw new RangeError(`bpool: maxRegionBpages ${P} < ${2 * WORD_BITS}`);
  const poolState = record({
    num_bpages: u(pw + 1),
    free_count: u(pw + 1),
    owned_valid: bool,
    owned_page: u(pw),
    owned_used: u(BPAGE_SHIFT + 1),
    owned_pieces: u(BPAGE_SHIFT + 1),
    summary: u(WORDS),
  });
  type PoolState = RecordValue<typeof poolState.fields>;

  return module(`bpool_${c.name}`, {
    qp_event: stream.sink(L.qpEvent),
    alloc: stream.sink(L.bpoolAlloc),
    grant: stream.source(L.bpoolGrant),
    release: stream.sink(L.bpoolRelease),
    update: stream.source(L.qpUpdate),
    double_free: output(bool),
    idle: output(bool),
  }, (m, io) => {
    // ---- storage ----
    const stateRam = m.memory('pool_state', { layout: poolState, depth: Q, ports: ['w', 'r'] });
    const bitmap = m.memory('free_bitmap', { layout: u(WORD_BITS), depth: Q * WORDS, ports: ['w', 'r'] });
    const refsRam = m.memory('page_refs_m1', { layout: u(16), depth: Q * P, ports: ['w', 'r'] });

    // ---- registers ----
    const pool = m.regs(poolState.fields);                       // one queue pair's pool, written through
    const loaded = m.regs({ pool_qp: u(qw), pool_loaded: bool });
    const op = m.regs({ op_kind: bpoolOp, op_qp: u(qw), op_length: u(MSG_BITS), op_page: u(32 - BPAGE_SHIFT), op_bpages: u(pw + 1) });
    const phase = m.fsm('phase', ['idle', 'exec', 'take', 'sweep']);
    const t = m.regs({
      word_idx: u(ww),                                             // the bitmap word pages are taken from
      take_left: u(5), take_index: u(4), take_fresh: bool,         // pages still to take; the last is the owned page?
      sweep_word: u(ww),
    });
    const fwd = m.regs({
      bm_raddr: u(qw + ww), bm_last_valid: bool, bm_last_addr: u(qw + ww), bm_last_data: u(WORD_BITS),
      rf_raddr: u(qw + pw), rf_last_valid: bool, rf_last_addr: u(qw + pw), rf_last_data: u(16),
    });
    const preferRelease = m.reg('prefer_release', bool);
    const grantReg = m.reg('grant_reg', L.bpoolGrant);
    const grantFull = m.reg('grant_full', bool);
    const updateReg = m.reg('update_reg', L.qpUpdate);
    const updateFull = m.reg('update_full', bool);
    const refused = m.reg('refused', bool);

    io.grant.valid.set(grantFull);
    io.grant.payload.ok.set(grantReg.ok);
    io.grant.payload.tail_offset.set(grantReg.tail_offset);
    assign(io.grant.payload.pages, grantReg.pages);
    io.update.valid.set(updateFull);
    assign(io.update.payload, updateReg);
    io.double_free.set(refused);
    io.idle.set(phase.is('idle').and(grantFull.not()).and(updateFull.not()));

    // ---- the pool of the operation's queue pair, and the words read for it ----
    const hit = m.let('pool_hit', loaded.pool_loaded.and(loaded.pool_qp.eq(op.op_qp)));
    const cur: PoolState = mux(hit, pool, stateRam.ports[1]!.data);
    const bmWord = m.let('bm_rdata', mux(fwd.bm_last_valid.and(fwd.bm_last_addr.eq(fwd.bm_raddr)), fwd.bm_last_data, bitmap.ports[1]!.data));
    const refsM1 = m.let('refs_m1', mux(fwd.rf_last_valid.and(fwd.rf_last_addr.eq(fwd.rf_raddr)), fwd.rf_last_data, refsRam.ports[1]!.data));

    // ---- alloc: BpagePool.pagesNeeded and allocate's branches ----
    const whole = m.let('whole', op.op_length.bits(MSG_BITS - 1, BPAGE_SHIFT));
    const tail = m.let('tail', op.op_length.bits(BPAGE_SHIFT - 1, 0));
    const hasTail = m.let('has_tail', tail.ne(0));
    // owned_used is 0 whenever owned_pieces is 0 (a fresh page starts at 0, and the release of
    // its last piece restarts it at 0), so BpagePool's "only the owner's reference left: reuse
    // from 0" never meets a full page: a tail that does not fit means pieces are outstanding,
    // and the page is given up.
    const over = m.let('tail_over', cur.owned_used.zext(BPAGE_SHIFT + 2).add(tail.zext(BPAGE_SHIFT + 2)).gt(BPAGE_SIZE));
    const tailFits = m.let('tail_fits', cur.owned_valid.and(over.not()));
    const needFresh = m.let('need_fresh', hasTail.and(tailFits.not()));
    const needed = m.let('pages_needed', whole.zext(5).add(needFresh.asUInt().zext(5)));
    const fits = m.let('fits', needed.zext(pw + 1).le(cur.free_count));
    const slow = m.let('slow', fits.and(whole.ne(0).or(needFresh)));
    const giveUp = m.let('give_up', needFresh.and(cur.owned_valid));

    // ---- release: BpagePool.release ----
    const relPage = m.let('rel_page', op.op_page.bits(pw - 1, 0));
    const relBit = relPage.bits(WORD_LOG - 1, 0);
    const relWord = relPage.bits(pw - 1, WORD_LOG);
    const inRange = m.let('rel_in_range', op.op_page.lt(cur.num_bpages.zext(32 - BPAGE_SHIFT)));
    const relOwned = m.let('rel_owned', cur.owned_valid.and(cur.owned_page.eq(relPage)));
    const relWasFree = m.let('rel_was_free', bmWord.shr(relBit).bit(0));
    const refuse = m.let('refuse', inRange.not().or(mux(relOwned, cur.owned_pieces.eq(0), relWasFree)));

    // ---- take: the lowest free page ----
    // The word is read the cycle before its first take; later takes from it see their own
    // write back through the forwarding register.
    const word = bmWord;
    const takenPage = m.let('taken_page', t.word_idx.cat(lowestSet(word)));
    const wordLeft = m.let('word_left', word.and(word.sub(1)));
    const emptied = m.let('word_emptied', wordLeft.eq(0));
    const summaryLeft = m.let('summary_left', mux(emptied, pool.summary.and(pool.summary.sub(1)), pool.summary));
    const lastTake = m.let('last_take', t.take_left.eq(1));
    const takeOwned = m.let('take_owned', t.take_fresh.and(lastTake));

    // ---- sweep: word sweep_word of a region of op_bpages pages ----
    const sweepBase = t.sweep_word.cat(lit(WORD_LOG, 0)).zext(pw + 1);
    const N = op.op_bpages;
    const ones = lit(WORD_BITS, 2 ** WORD_BITS - 1);
    const sweepMask = m.let('sweep_mask', mux(N.ge(sweepBase.add(WORD_BITS)), ones,
      mux(N.le(sweepBase), lit(WORD_BITS, 0), ones.shl(N.sub(sweepBase).trunc(WORD_LOG)).not())));
    const summaryInit = fromBits(Array.from({ length: WORDS }, (_, i) => N.gt(i * WORD_BITS)));

    // ---- one step per cycle while the outputs have room ----
    const done = m.let('done', phase.is('exec').and(op.op_kind.is('enable').not()).and(op.op_kind.is('alloc').not().or(slow.not()))
      .or(phase.is('take').and(lastTake))
      .or(phase.is('sweep').and(t.sweep_word.eq(WORDS - 1))));
    const outFree = m.let('out_free', grantFull.not().or(io.grant.ready).and(updateFull.not().or(io.update.ready)));
    const advance = m.let('advance', phase.is('idle').not().and(outFree));
    const canAccept = m.let('can_accept', phase.is('idle').or(advance.and(done)));
    const noEvent = io.qp_event.valid.not();
    io.qp_event.ready.set(canAccept);
    io.release.ready.set(canAccept.and(noEvent).and(io.alloc.valid.not().or(preferRelease)));
    io.alloc.ready.set(canAccept.and(noEvent).and(io.release.valid.not().or(preferRelease.not())));
    const acceptQp = m.let('accept_qp', mux(io.qp_event.valid, io.qp_event.payload.qp, mux(io.release.fire(), io.release.payload.qp, io.alloc.payload.qp)));

    const availBytes = (s: PoolState): UInt<number> => s.free_count.zext(32).shl(BPAGE_SHIFT)
      .add(mux(s.owned_valid, lit(32, BPAGE_SIZE).sub(s.owned_used.zext(32)), lit(32, 0)));

    m.seq(() => {
      const bmWrite = (addr: UInt<number>, data: UInt<number>) => {
        bitmap.ports[0]!.write(addr, data);
        fwd.bm_last_valid.set(true); fwd.bm_last_addr.set(addr); fwd.bm_last_data.set(data);
      };
      const bmRead = (addr: UInt<number>) => { bitmap.ports[1]!.read(addr); fwd.bm_raddr.set(addr); };
      const refsWrite = (page: UInt<number>, data: UInt<number>) => {
        const addr = op.op_qp.cat(page);
        refsRam.ports[0]!.write(addr, data.as(16));
        fwd.rf_last_valid.set(true); fwd.rf_last_addr.set(addr); fwd.rf_last_data.set(data.as(16));
      };
      const commit = (s: PoolState) => {
        assign(pool, s);
        stateRam.ports[0]!.write(op.op_qp, s);
        loaded.pool_qp.set(op.op_qp);
        loaded.pool_loaded.set(true);
      };
      const grantOut = (ok: boolean, tailOffset: UInt<number>) => {
        grantFull.set(true);
        grantReg.ok.set(ok);
        grantReg.tail_offset.set(tailOffset.as(16));
      };
      const setPage = (index: UInt<number>, page: UInt<number>) => {
        for (let i = 0; i < grantReg.pages.length; i++) when(index.eq(i), () => grantReg.pages.at(i).set(page));
      };
      const updateOut = (kind: 'avail_bytes' | 'status_set', value: UInt<number>) => {
        updateFull.set(true);
        updateReg.kind.setTo(kind);
        updateReg.qp.set(op.op_qp);
        updateReg.value.set(value.as(32));
      };

      when(io.grant.fire(), () => grantFull.set(false));
      when(io.update.fire(), () => updateFull.set(false));
      refused.set(false);

      when(advance, () => phase.on({
        exec: () => switchOn(op.op_kind)
          .is('alloc', () => {
            when(fits.not(), () => {
              commit(cur);
              grantOut(false, lit(16, 0));
            }).elsewhen(slow, () => {
              // Whole pages (and a fresh owned page) one per cycle from here on. A page given
              // up keeps its pieces' references and frees with the last one (§4).
              when(giveUp, () => refsWrite(cur.owned_page, cur.owned_pieces.sub(1).trunc(16)));
              commit({ ...cur, owned_valid: cur.owned_valid.and(giveUp.not()) });
              const first = lowestSet(cur.summary);
              t.word_idx.set(first);
              bmRead(op.op_qp.cat(first));
              t.take_left.set(needed);
              t.take_index.set(0);
              t.take_fresh.set(needFresh);
              phase.goto('take');
            }).otherwise(() => {
              // Length 0, or the tail carved from the owned page: the common case.
              when(hasTail, () => {
                const s = { ...cur, owned_used: cur.owned_used.add(tail.zext(BPAGE_SHIFT + 1)), owned_pieces: cur.owned_pieces.add(1) };
                commit(s);
                setPage(lit(4, 0), cur.owned_page);
                updateOut('avail_bytes', availBytes(s));
              }).otherwise(() => commit(cur));
              grantOut(true, mux(hasTail, cur.owned_used.trunc(16), lit(16, 0)));
            });
          })
          .is('release', () => {
            const pieces = cur.owned_pieces.sub(1);
            when(refuse, () => {
              commit(cur);
              updateOut('status_set', lit(32, QpStatus.BPAGE_DOUBLE_FREE));
              refused.set(true);
            }).elsewhen(relOwned, () => {
              // The owned page stays owned; with no piece left it is carved from 0 again.
              const s = { ...cur, owned_pieces: pieces, owned_used: mux(pieces.eq(0), lit(BPAGE_SHIFT + 1, 0), cur.owned_used) };
              commit(s);
              when(pieces.eq(0), () => updateOut('avail_bytes', availBytes(s)));
            }).elsewhen(refsM1.eq(0), () => {
              // The last reference: the page is free again.
              bmWrite(op.op_qp.cat(relWord), bmWord.or(lit(WORD_BITS, 1).shl(relBit)));
              const s = { ...cur, free_count: cur.free_count.add(1), summary: cur.summary.or(lit(WORDS, 1).shl(relWord)) };
              commit(s);
              updateOut('avail_bytes', availBytes(s));
            }).otherwise(() => {
              refsWrite(relPage, refsM1.sub(1));
              commit(cur);
            });
          })
          .is('enable', () => {
            t.sweep_word.set(0);
            phase.goto('sweep');
          })
          .default(() => {}),

        take: () => {
          bmWrite(op.op_qp.cat(t.word_idx), wordLeft);
          t.take_left.set(t.take_left.sub(1));
          t.take_index.set(t.take_index.add(1));
          when(takeOwned.not(), () => {
            setPage(t.take_index, takenPage);
            refsWrite(takenPage, lit(16, 0));
          });
          // The owned page after this take, then the tail carved from it (on the last take).
          const owned = {
            owned_valid: takeOwned.or(pool.owned_valid),
            owned_page: mux(takeOwned, takenPage, pool.owned_page),
            owned_used: mux(takeOwned, lit(BPAGE_SHIFT + 1, 0), pool.owned_used),
            owned_pieces: mux(takeOwned, lit(BPAGE_SHIFT + 1, 0), pool.owned_pieces),
          };
          const carve = lastTake.and(hasTail);
          const s: PoolState = {
            ...pool,
            free_count: pool.free_count.sub(1),
            ...owned,
            owned_used: mux(carve, owned.owned_used.add(tail.zext(BPAGE_SHIFT + 1)), owned.owned_used),
            owned_pieces: mux(carve, owned.owned_pieces.add(1), owned.owned_pieces),
            summary: summaryLeft,
          };
          commit(s);
          when(lastTake, () => {
            when(hasTail, () => setPage(whole, owned.owned_page));
            grantOut(true, mux(hasTail, owned.owned_used.trunc(16), lit(16, 0)));
            updateOut('avail_bytes', availBytes(s));
          }).otherwise(() => {
            when(emptied, () => {
              const next = lowestSet(summaryLeft);
              t.word_idx.set(next);
              bmRead(op.op_qp.cat(next));
            });
          });
        },

        sweep: () => {
          bmWrite(op.op_qp.cat(t.sweep_word), sweepMask);
          t.sweep_word.set(t.sweep_word.add(1));
          when(t.sweep_word.eq(WORDS - 1), () => {
            // A new pool: every page free, no owned page (BpagePool's constructor).
            const s: PoolState = {
              ...pool, num_bpages: N, free_count: N, owned_valid: False, owned_page: lit(pw, 0),
              owned_used: lit(BPAGE_SHIFT + 1, 0), owned_pieces: lit(BPAGE_SHIFT + 1, 0), summary: summaryInit,
            };
            commit(s);
            updateOut('avail_bytes', N.zext(32).shl(BPAGE_SHIFT));
          });
        },
      }));

      // Stage 0: the next request, accepted as the current one finishes.
      when(canAccept, () => {
        stateRam.ports[1]!.read(acceptQp);
        op.op_qp.set(acceptQp);
        when(io.qp_event.valid, () => {
          op.op_kind.setTo('other');
          when(io.qp_event.payload.kind.is('enable'), () => op.op_kind.setTo('enable'));
          op.op_bpages.set(io.qp_event.payload.bpool_bpages);
          phase.goto('exec');
        }).elsewhen(io.release.fire(), () => {
          op.op_kind.setTo('release');
          op.op_page.set(io.release.payload.offset.bits(31, BPAGE_SHIFT));   // the byte in the page does not matter (§4)
          const page = io.release.payload.offset.bits(BPAGE_SHIFT + pw - 1, BPAGE_SHIFT);
          bmRead(io.release.payload.qp.cat(page.bits(pw - 1, WORD_LOG)));
          refsRam.ports[1]!.read(io.release.payload.qp.cat(page));
          fwd.rf_raddr.set(io.release.payload.qp.cat(page));
          preferRelease.set(false);
          phase.goto('exec');
        }).elsewhen(io.alloc.fire(), () => {
          op.op_kind.setTo('alloc');
          op.op_length.set(io.alloc.payload.length);
          preferRelease.set(true);
          phase.goto('exec');
        }).otherwise(() => phase.goto('idle'));
      });
    });
  }, { queuePairs: Q, maxRegionBpages: P });
}

/** Index of the lowest set bit of `x` (a power-of-two width), as a tree of halves. */
export function lowestSet(x: UInt<number>): UInt<number> {
  const n = x.width;
  if (n < 2 || (n & (n - 1)) !== 0) throw new RangeError(`lowestSet: width ${n} is not a power of two >= 2`);
  if (n === 2) return x.bit(0).not().asUInt();
  const lo = x.bits(n / 2 - 1, 0), hi = x.bits(n - 1, n / 2);
  const loAny = lo.orR();
  return loAny.not().asUInt().cat(mux(loAny, lowestSet(lo), lowestSet(hi)));
}

/** Round robin over the set bits of `pending`: the lowest above `last`, else the lowest. */
export function roundRobinPick(pending: UInt<number>, last: UInt<number>): UInt<number> {
  const n = pending.width;
  const above = pending.and(lit(n, (1n << BigInt(n)) - 1n).shl(last).shl(1));
  return mux(above.ne(0), lowestSet(above), lowestSet(pending));
}

/** A UInt from single bits, bit 0 first. */
export function fromBits(bits: readonly Bool[]): UInt<number> {
  return cat(...[...bits].reverse());
}

