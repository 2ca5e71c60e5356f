// hw/lib/min_finder.ts — SRPT structure (a): the exact minimum over N entries, one decision per
// cycle.
//
// A tournament tree of 2-input compare-selects, pipelined: a register after every
// `levelsPerStage` levels (default 1, so the longest path is one rank comparator and one
// multiplexer, whatever N). The answer for the inputs of cycle t appears ceil(log2 N /
// levelsPerStage) cycles later, and a new answer comes every cycle. Invalid entries never
// win; among equal ranks the lower id wins. Each candidate carries only the id bits its
// subtree needs (a winner at level l knows its top bits from its position), so the tree's
// registers grow with log N, not N log N.

import { bool, cat, clog2, input, lit, module, mux, output, record, u, vec, type Bool, type UInt } from '../hdl/index.ts';
import { requireParam } from './beat.ts';

export interface MinFinderOptions {
  /** Number of entries (>= 2). */
  readonly entries: number;
  /** Bits of rank; lower rank is better. */
  readonly rankWidth: number;
  /** Tree levels between pipeline registers (default 1). */
  readonly levelsPerStage?: number;
}

export function minFinderLatency(o: MinFinderOptions): number {
  return Math.ceil(clog2(o.entries) / (o.levelsPerStage ?? 1));
}

interface Candidate { valid: Bool; rank: UInt<number>; sub: UInt<number> | null }

export function minFinder(o: MinFinderOptions) {
  const n = o.entries, rw = o.rankWidth, lps = o.levelsPerStage ?? 1;
  requireParam(Number.isInteger(n) && n >= 2, `minFinder: entries must be an integer >= 2 (got ${n})`);
  requireParam(Number.isInteger(lps) && lps >= 1, `minFinder: levelsPerStage must be >= 1 (got ${lps})`);
  const idw = clog2(n);
  return module(`min_finder${n}`, {
    valid: input(u(n)),
    rank: input(vec(u(rw), n)),
    best: output(record({ valid: bool, id: u(idw), rank: u(rw) })),
  }, (m, io) => {
    const ranks = io.rank;
    let level: Candidate[] = [];
    for (let i = 0; i < n; i++) level.push({ valid: io.valid.bit(i), rank: ranks.at(i) as UInt<number>, sub: null });
    let depth = 0, stage = 0;
    const levels = clog2(n);
    while (level.length > 1) {
      const next: Candidate[] = [];
      for (let j = 0; j < level.length; j += 2) {
        const a = level[j]!, b = level[j + 1];
        if (!b) { next.push({ ...a, sub: a.sub ? cat(lit(1, 0), a.sub) : lit(1, 0) }); continue; } // an odd one out: its id bit here is 0
        // b wins only when strictly better, so ties go to the lower id (a).
        const takeB = b.valid.and(a.valid.not().or(b.rank.lt(a.rank)));
        const sub = a.sub && b.sub ? cat(takeB, mux(takeB, b.sub, a.sub)) : takeB.asUInt() as UInt<number>;
        next.push({ valid: a.valid.or(b.valid), rank: mux(takeB, b.rank, a.rank), sub });
      }
      depth++;
      if (depth % lps === 0 || depth === levels) {
        stage++;
        level = next.map((c, j) => {
          const r = m.reg(`s${stage}_${j}`, record({ valid: bool, rank: u(rw), sub: u(c.sub!.width) }));
          m.seq(() => { r.valid.set(c.valid); r.rank.set(c.rank); r.sub.set(c.sub!); });
          return { valid: r.valid, rank: r.rank, sub: r.sub };
        });
      } else level = next;
    }
    const w = level[0]!;
    io.best.valid.set(w.valid);
    io.best.rank.set(w.rank);
    io.best.id.set(w.sub!.as(idw));
  }, { entries: n, rankWidth: rw, levelsPerStage: lps });
}
