// hw/homa/engine/grant_order.ts — the grant scheduler's ordering logic (spec §3.2): a message
// outranks another with fewer bytes still to receive, then by age (birth order); the active
// set is kept sorted best first, and a round's candidates hold at most one message per peer.
// Pure combinational helpers for grant_sched.ts.

import { lit, mux, type Bool, type ModuleBuilder, type UInt } from '../../hdl/index.ts';

/** Most messages the active set holds (HomaModule's HOMA_MAX_GRANTS). */
export const MAX_ACTIVE = 8;

/** A message in the active set or among a round's candidates. */
export type Entry = {
  valid: Bool; slot: UInt<number>; rem: UInt<number>; birth: UInt<number>; peer: UInt<number>;
  granted: UInt<number>; received: UInt<number>; length: UInt<number>; charge: UInt<number>;
};

/** `a` outranks `b`: fewer bytes remaining, then older. */
export function better(a: { rem: UInt<number>; birth: UInt<number> }, b: { rem: UInt<number>; birth: UInt<number> }): Bool {
  return a.rem.lt(b.rem).or(a.rem.eq(b.rem).and(a.birth.lt(b.birth)));
}

/** How many valid entries satisfy `pred` (0..8). */
export function countWhere<T extends { valid: Bool }>(items: readonly T[], pred: (x: T) => Bool): UInt<4> {
  return items.reduce<UInt<4>>((s, x) => s.add(x.valid.and(pred(x)).asUInt().zext(4)), lit(4, 0));
}

/**
 * `items` (sorted best first) with `c` inserted in rank order; with `perPeer`, a better message
 * of a peer already present replaces it and a worse one is not taken; at most `cap` entries
 * stay. `takes`: the array changes.
 */
export function insertRanked(m: ModuleBuilder, name: string, items: readonly Entry[], c: Entry, perPeer: Bool, cap: UInt<4>): { takes: Bool; out: Entry[] } {
  const same = items.map((x) => x.valid.and(perPeer).and(x.peer.eq(c.peer)));
  const cBetter = items.map((x) => better(c, x));
  const hasSame = m.let(`${name}_has_same`, same.reduce<Bool>((a, b) => a.or(b), lit(1, 0).asBool()));
  const sameWorse = same.map((s, j) => s.and(cBetter[j]!)).reduce<Bool>((a, b) => a.or(b), lit(1, 0).asBool());
  const before = items.map((x, j) => x.valid.and(same[j]!.not()).and(cBetter[j]!.not()));
  const p = m.let(`${name}_at`, before.reduce<UInt<4>>((s, b) => s.add(b.asUInt().zext(4)), lit(4, 0)));
  let d: UInt<4> = lit(4, MAX_ACTIVE);
  for (let j = MAX_ACTIVE - 1; j >= 0; j--) d = mux(same[j]!, lit(4, j), d);
  const size = m.let(`${name}_size`, items.reduce<UInt<4>>((s2, x) => s2.add(x.valid.asUInt().zext(4)), lit(4, 0)));
  const takes = c.valid.and(hasSame.not().or(sameWorse)).and(p.lt(cap));
  const grows = m.let(`${name}_grows`, c.valid.and(hasSame.not()));
  const out = items.map((_, q) => {
    const prev = items[Math.max(q - 1, 0)]!, here = items[q]!;
    const worse = q === 0 ? here : mux(hasSame.and(lit(4, q - 1).ge(d)), here, prev);
    const pick = mux(lit(4, q).lt(p), here, mux(lit(4, q).eq(p), c, worse));
    const newSize = mux(grows, size.add(1), size);
    return { ...pick, valid: lit(4, q).lt(newSize).and(lit(4, q).lt(cap)) };
  });
  return { takes, out };
}
