// hw/hdl/sim/fuzz/expr.ts — random expressions over a pool of existing values, written with
// the DSL's own operators so the emitted Verilog is the emitter's, not ours.
//
// Every operator the IR has appears: add/sub/mul (wrapping and widening), and/or/xor/not/neg,
// the six comparisons signed and unsigned, variable shifts (amounts narrower and wider than
// the value, logical and arithmetic), constant shifts past the width, slices, concatenation,
// zero/sign extension, reductions and muxes.

import { Bits, Bool, SInt, UInt, cat, lit, mux, slit } from '../../index.ts';
import { randomWidth, type Rng } from './random.ts';

export type Value = UInt<number> | SInt<number>;

/** `v` reinterpreted, truncated or extended (zero or sign, at random) to `w` bits of the given signedness. */
export function fit(rng: Rng, v: Bits, w: number, signed: boolean): Value {
  let x: Value = v instanceof SInt ? v : v.asUInt();
  if (x.width > w) x = x.asUInt().trunc(w);
  else if (x.width < w) x = rng.chance(0.5) ? x.asSInt().sext(w) : x.asUInt().zext(w);
  return signed ? x.asSInt() : x.asUInt();
}

/** A one-bit condition from any value. */
export function asCond(v: Bits): Bool {
  return v.width === 1 ? v.asUInt().asBool() : v.orR();
}

/** A value of the same kind and width as `target`, for `target.set(...)`. */
export function like(rng: Rng, target: Bits, v: Bits): Bits {
  if (target instanceof Bool) return fit(rng, v, 1, false).asUInt().asBool();
  return fit(rng, v, target.width, target instanceof SInt);
}

export class ExprGen {
  constructor(private readonly rng: Rng, private readonly pool: () => readonly Bits[]) {}

  /** A random expression of `w` bits; `depth` bounds the nesting. */
  expr(depth: number, w: number, signed: boolean): Value {
    const rng = this.rng;
    if (depth <= 0 || rng.chance(0.2)) return this.leaf(w, signed);
    const d = depth - 1;
    const sub = (width = w, sg = signed) => this.expr(d, width, sg);
    const otherWidth = () => randomWidth(rng, 80);
    switch (rng.int(13)) {
      case 0: case 1: {
        const a = sub(), b = sub();
        const op = rng.pick(['add', 'sub', 'mul', 'and', 'or', 'xor'] as const);
        return (a as UInt<number>)[op](b as UInt<number>);
      }
      case 2: {
        const a = sub();
        if (rng.chance(0.5)) return a.not();
        return signed ? (a as SInt<number>).neg() : a.asSInt().neg().asUInt();
      }
      case 3: {
        const cw = otherWidth(), sg = rng.chance(0.5);
        const a = sub(cw, sg), b = rng.chance(0.2) ? a : sub(cw, sg);
        const op = rng.pick(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const);
        return fit(rng, (a as UInt<number>)[op](b as UInt<number>), w, signed);
      }
      case 4: {
        const a = sub(otherWidth(), false);
        const r = rng.pick(['andR', 'orR', 'xorR'] as const);
        return fit(rng, a[r](), w, signed);
      }
      case 5: {
        const a = sub();
        const right = rng.chance(0.6);
        let amt: number | UInt<number>;
        if (rng.chance(0.3)) amt = rng.int(w + 3);
        else amt = this.expr(d, rng.chance(0.15) ? rng.range(33, 70) : rng.range(1, 9), false).asUInt();
        if (right) return signed ? (a as SInt<number>).shr(amt) : (a as UInt<number>).shr(amt);
        return (a as UInt<number>).shl(amt);
      }
      case 6: {
        const extra = rng.int(rng.chance(0.3) ? 70 : 12);
        const lo = rng.int(extra + 1);
        const x = sub(w + extra, false).asUInt();
        const s = x.bits(lo + w - 1, lo) as UInt<number>;
        return signed ? s.asSInt() : s;
      }
      case 7: {
        if (w < 2) return this.leaf(w, signed);
        const parts: Bits[] = [];
        let left = w;
        while (left > 0) {
          const pw = parts.length === 3 ? left : rng.range(1, left);
          parts.push(rng.chance(0.2) && pw === 1 ? asCond(sub(rng.range(1, 8), false)) : sub(pw, rng.chance(0.5)));
          left -= pw;
        }
        const c = parts.length === 1 ? parts[0]!.asUInt() : cat(...parts);
        return signed ? c.asSInt() : c.asUInt();
      }
      case 8: {
        if (w < 2) return this.leaf(w, signed);
        const nw = rng.range(1, w - 1);
        const x = sub(nw, rng.chance(0.5));
        const e = x instanceof SInt ? x.sext(w) : x.zext(w);
        return signed ? e.asSInt() : e.asUInt();
      }
      case 9: case 10: {
        const sel = asCond(sub(rng.range(1, 6), false));
        return mux(sel, sub(), sub()) as Value;
      }
      case 11: {
        if (w < 2) return this.leaf(w, signed);
        const a = sub(w - 1), b = sub(w - 1);
        return rng.chance(0.5) ? (a as UInt<number>).addW(b as UInt<number>) : (a as UInt<number>).subW(b as UInt<number>);
      }
      default: {
        if (w < 2 || w % 2) return this.leaf(w, signed);
        const a = sub(w / 2), b = sub(w / 2);
        return (a as UInt<number>).mulW(b as UInt<number>);
      }
    }
  }

  /** A pool value fitted to `w` bits, or a constant. */
  leaf(w: number, signed: boolean): Value {
    const rng = this.rng, pool = this.pool();
    if (pool.length && rng.chance(0.8)) return fit(rng, rng.pick(pool), w, signed);
    const v = rng.bits(w);
    if (!signed) return lit(w, v);
    return slit(w, BigInt.asIntN(w, v));
  }

  /** A condition for when/elsewhen. */
  cond(depth: number): Bool {
    return asCond(this.expr(depth, this.rng.range(1, 4), false));
  }
}
