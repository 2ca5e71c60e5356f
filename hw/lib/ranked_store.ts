// hw/lib/ranked_store.ts — SRPT structure (b): a large backlog (thousands of entries) in block
// RAM that always shows its best (lowest-rank) entry and takes rank updates, one per cycle.
//
// Trade-off chosen: an exact tournament tree of fan-out F stored level by level in block RAM.
// A level-k word holds the F children of one node: at level 0 the entries' own (valid, rank),
// above it each child subtree's winner (valid, rank, id). An update rewrites one slot per
// level on its way up: at level k it reads that level's word (issued the cycle before), puts
// its slot in, writes the word back and passes the word's winner up to level k+1. Levels work
// on consecutive updates at once, like a pipeline; the one write a read can miss (made at the
// very edge the read was issued) is forwarded from a register.
//
//  - best: a register, read at any time; it reflects an update L+1 cycles after the update is
//    accepted (L = ceil(log2 N / log2 F) levels) and never lags more than that.
//  - updates: one per cycle, always accepted (ready is constant 1); rank changes, inserts
//    (present=1) and removals (present=0) are all the same operation.
//  - worst case: the longest path is one level's work, a log2(F)-deep compare tree over F
//    slots plus the slot insert and forwarding multiplexers (grows with F, not N); storage is
//    about N(1 + rank) bits at level 0 plus N/F (1 + rank + id) above. A larger F means fewer
//    levels (lower latency, fewer RAMs) and a longer path; F = 8 suits 250 MHz class parts.
// Ties go to the lower id. Why not a sorted list or a bucketed (approximate) queue: a sorted
// list needs O(N) work per update, buckets give up exactness; the tree is exact with O(log N).

import { bool, cat, clog2, lit, module, mux, output, record, stream, u, vec, when, type Bool, type UInt } from '../hdl/index.ts';
import { isPow2, requireParam } from './beat.ts';

export interface RankedStoreOptions {
  /** Number of entries (a power of two >= 4); ids are 0..entries-1. */
  readonly entries: number;
  /** Bits of rank; lower is better. */
  readonly rankWidth: number;
  /** Children per tree node (a power of two >= 2; default 8). */
  readonly fanout?: number;
}

/** Cycles from an accepted update to `best` reflecting it. */
export function rankedStoreLatency(o: RankedStoreOptions): number {
  const lf = clog2(o.fanout ?? 8);
  return Math.ceil(clog2(o.entries) / lf) + 1;
}

interface Cand { valid: Bool; rank: UInt<number>; id: UInt<number> }
/** A stored slot: level 0 has no id (an entry's id is its word address and slot). */
interface Slot { readonly valid: Bool; readonly rank: UInt<number>; readonly id?: UInt<number> }

export function rankedStore(o: RankedStoreOptions) {
  const n = o.entries, rw = o.rankWidth, f = o.fanout ?? 8;
  requireParam(isPow2(n) && n >= 4, `rankedStore: entries must be a power of two >= 4 (got ${n})`);
  requireParam(isPow2(f) && f >= 2 && f <= n, `rankedStore: fanout must be a power of two in 2..entries (got ${f})`);
  const idw = clog2(n), lf = clog2(f);
  const levels = Math.ceil(idw / lf);
  const entry = record({ valid: bool, id: u(idw), rank: u(rw) });
  // `present` = 0 removes the entry; (a field named `valid` would clash with the stream's).
  return module(`ranked_store${n}`, {
    update: stream.sink(record({ id: u(idw), present: bool, rank: u(rw) })),
    best: output(entry),
  }, (m, io) => {
    io.update.ready.set(true);
    const best = m.reg('top', entry);
    io.best.valid.set(best.valid);
    io.best.id.set(best.id);
    io.best.rank.set(best.rank);
    // Stage register k: the update working on level k, the id bits it still needs (`hi`, the
    // id without its k lowest digits) and the value it puts in its slot there.
    type Stage = { active: Bool; hi: UInt<number>; valid: Bool; rank: UInt<number>; win: UInt<number> | null };
    const first = m.reg('at0', record({ active: bool, hi: u(idw), valid: bool, rank: u(rw) }));
    let cur: Stage = { ...first, win: null };
    m.seq(() => {
      first.active.set(io.update.fire());
      first.hi.set(io.update.payload.id);
      first.valid.set(io.update.payload.present);
      first.rank.set(io.update.payload.rank);
    });
    // Word address at a level: the id digits above that level's slot digit.
    const above = (hi: UInt<number>, digits: number, aw: number): UInt<number> =>
      (lf * digits >= hi.width ? lit(aw, 0) : hi.shr(lf * digits).trunc(hi.width - lf * digits).zext(aw) as UInt<number>);
    let readHi: UInt<number> = io.update.payload.id; // the read for level 0 is issued at accept
    for (let k = 0; k < levels; k++) {
      const words = Math.max(2, n >> (lf * (k + 1)));
      const aw = clog2(words);
      const slot = k === 0 ? record({ valid: bool, rank: u(rw) }) : record({ valid: bool, rank: u(rw), id: u(idw) });
      const layout = vec(slot, f);
      const ram = m.memory(`level${k}`, { layout, depth: words, ports: ['w', 'r'] });
      const [wr, rd] = [ram.ports[0]!, ram.ports[1]!];
      const issued = above(readHi, k === 0 ? 1 : 2, aw);
      m.seq(() => rd.read(issued));
      const addr = m.let(`addr${k}`, above(cur.hi, 1, aw));
      const fwd = m.reg(`fwd${k}`, record({ valid: bool, addr: u(aw) }));
      const fwdWord = m.reg(`fwd${k}_word`, layout);
      const hit = m.let(`fwd${k}_hit`, fwd.valid.and(fwd.addr.eq(addr)));
      const old = rd.data;
      const slotIdx = m.let(`slot${k}`, cur.hi.trunc(Math.min(lf, cur.hi.width)).zext(lf));
      const word: Cand[] = [];
      for (let i = 0; i < f; i++) {
        const s: Slot = mux(hit, fwdWord.at(i), old.at(i));
        const mine = slotIdx.eq(i);
        // Level 0 stores no ids: an entry's id is its word address and slot.
        const sid = k === 0 ? (idw > lf ? cur.hi.shr(lf).trunc(idw - lf).cat(lit(lf, i)) : lit(idw, i)) as UInt<number> : s.id!;
        word.push({
          valid: m.let(`w${k}_${i}_valid`, mux(mine, cur.valid, s.valid)),
          rank: m.let(`w${k}_${i}_rank`, mux(mine, cur.rank, s.rank)),
          id: k === 0 ? sid : m.let(`w${k}_${i}_id`, mux(mine, cur.win!, sid)),
        });
      }
      const winner = minOf(word);
      const nextHiWidth = cur.hi.width - lf;
      const next = k + 1 < levels ? m.reg(`at${k + 1}`, record({ active: bool, hi: u(nextHiWidth), valid: bool, rank: u(rw), win: u(idw) })) : null;
      m.seq(() => {
        when(cur.active, () => wr.write(addr, packWord(word, k === 0) as never));
        fwd.valid.set(cur.active);
        fwd.addr.set(addr);
        for (let i = 0; i < f; i++) {
          const t: Slot = fwdWord.at(i);
          t.valid.set(word[i]!.valid);
          t.rank.set(word[i]!.rank);
          if (t.id) t.id.set(word[i]!.id);
        }
        if (next) {
          next.active.set(cur.active);
          next.hi.set(cur.hi.shr(lf).trunc(nextHiWidth));
          next.valid.set(winner.valid);
          next.rank.set(winner.rank);
          next.win.set(winner.id);
        } else {
          when(cur.active, () => { best.valid.set(winner.valid); best.rank.set(winner.rank); best.id.set(winner.id); });
        }
      });
      readHi = cur.hi;
      if (next) cur = next;
    }
  }, { entries: n, rankWidth: rw, fanout: f });
}

/** A level's word as bits: slot 0 least significant, each slot (valid, rank[, id]) valid first. */
function packWord(word: readonly Cand[], noIds: boolean): UInt<number> {
  const parts = [...word].reverse().map((c) => (noIds ? cat(c.valid, c.rank) : cat(c.valid, c.rank, c.id)));
  return cat(...parts);
}

/** The best of a list of candidates: valid first, then lower rank, then the earlier one. */
function minOf(list: readonly Cand[]): Cand {
  let level = list.slice();
  while (level.length > 1) {
    const next: Cand[] = [];
    for (let j = 0; j < level.length; j += 2) {
      const a = level[j]!, b = level[j + 1]!;
      const takeB = b.valid.and(a.valid.not().or(b.rank.lt(a.rank)));
      next.push({ valid: a.valid.or(b.valid), rank: mux(takeB, b.rank, a.rank), id: mux(takeB, b.id, a.id) });
    }
    level = next;
  }
  return level[0]!;
}
