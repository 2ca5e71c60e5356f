// hw/hdl/sim/js/wide-expr.ts — expressions wider than 32 bits, word by word.
//
// Bitwise operators, slices, concatenations, extensions and muxes are "lazy": word i of the
// result is a short text over words of the operands, produced where it is consumed, so a
// `cat(a, b).bits(70, 39)` or a zero-extension costs no copies. Arithmetic (add, sub, neg,
// mul, shifts by a run-time amount) is computed into a slot: carries and shifts need the
// whole value. Every word text is a value in [0, 2^32) with the top word's spare bits zero.

import type { Expr } from '../../ir.ts';
import { U32, sx, type ExprCompiler } from './expr.ts';
import { topMask, wordsFor } from './wide.ts';

/** Kinds computed per word where used (when not shared by several parents). */
export function isLazy(e: Expr): boolean {
  switch (e.kind) {
    case 'unary': return e.op === 'not';
    case 'binary': return e.op === 'and' || e.op === 'or' || e.op === 'xor';
    case 'mux': case 'slice': case 'concat': case 'ext': return true;
    default: return false;
  }
}

/** `x & topMask` for the top word of a `w`-bit value (nothing when the top word is full). */
function top(x: string, w: number, isTop: boolean): string {
  const tm = topMask(w);
  return isTop && tm !== U32 ? `((${x})&${tm})` : `((${x})>>>0)`;
}

/** Text of word i of a lazy wide node. */
export function lazyWord(x: ExprCompiler, e: Expr, i: number): string {
  const w = e.width, n = wordsFor(w), isTop = i === n - 1;
  switch (e.kind) {
    case 'unary': return top(`~${x.word(e.a, i)}`, w, isTop);
    case 'binary': {
      const op = { and: '&', or: '|', xor: '^' }[e.op as 'and' | 'or' | 'xor'];
      return `((${x.word(e.a, i)}${op}${x.word(e.b, i)})>>>0)`;
    }
    case 'mux': return `(${x.simple(e.sel)}?${x.word(e.then, i)}:${x.word(e.else, i)})`;
    case 'slice': {
      const an = wordsFor(e.a.width), bit = e.lo + 32 * i, k = bit >>> 5, r = bit & 31;
      if (r === 0) return isTop ? top(x.word(e.a, k), w, true) : x.word(e.a, k);
      let t = `(${x.simpleWord(e.a, k)}>>>${r})`;
      if (k + 1 < an) t = `${t}|(${x.simpleWord(e.a, k + 1)}<<${32 - r})`;
      return top(t, w, isTop);
    }
    case 'concat': {
      // Every part overlapping bits [32i, 32i+32) contributes its bits, shifted into place.
      const terms: string[] = [];
      let lsb = w;
      for (const p of e.parts) {
        lsb -= p.width;
        const lo = Math.max(lsb, 32 * i), hi = Math.min(lsb + p.width, 32 * i + 32);
        if (lo >= hi) continue;
        // Part bits [lo - lsb, hi - lsb) land at result bits [lo, hi).
        const pbit = lo - lsb, pk = pbit >>> 5, pr = pbit & 31, dst = lo - 32 * i, bits = hi - lo;
        // A part word that feeds two result words is read twice: make it a slot, not a formula.
        const straddles = lsb >>> 5 !== (lsb + p.width - 1) >>> 5;
        const once = !straddles || (p.width > 32 && (lsb & 31) === 0);
        const pw = (k: number) => (once ? x.word(p, k) : x.simpleWord(p, k));
        let v = pr === 0 ? pw(pk) : `(${pw(pk)}>>>${pr})`;
        if (pr !== 0 && 32 - pr < bits) v = `(${v}|(${pw(pk + 1)}<<${32 - pr}))`;
        // Bits of the part above the ones wanted here must not leak into the next part.
        if (bits < 32 && pbit + bits < p.width) v = `(${v}&${2 ** bits - 1})`;
        terms.push(dst === 0 ? v : `(${v}<<${dst})`);
      }
      return terms.length ? `((${terms.join('|')})>>>0)` : '0';
    }
    case 'ext': {
      const an = wordsFor(e.a.width);
      if (!e.signed) return i < an ? x.word(e.a, i) : '0';
      const atb = e.a.width - 32 * (an - 1);
      if (i < an - 1) return x.word(e.a, i);
      const sign = sx(x.simpleWord(e.a, an - 1), atb);
      if (i === an - 1) return top(sign, w, isTop);
      return top(`${sign}>>31`, w, isTop);
    }
    default: throw new Error(`internal: lazyWord(${e.kind})`);
  }
}

/** Emits statements computing `e` (wider than 32 bits) into the words at `d`. */
export function wideInto(x: ExprCompiler, e: Expr, d: number): void {
  const w = e.width, n = wordsFor(w), tm = topMask(w);
  const topStore = (v: string) => (tm === U32 ? v : `(${v})&${tm}`);
  if (isLazy(e)) {
    for (let i = 0; i < n; i++) x.emit(`s[${d + i}]=${lazyWord(x, e, i)};`);
    return;
  }
  const S: string[] = [];
  if (e.kind === 'unary' && e.op === 'neg') {
    for (let i = 0; i < n; i++) S.push(`t=-${x.word(e.a, i)}${i ? '-c' : ''};s[${d + i}]=${i === n - 1 ? topStore('t') : 't'};${i < n - 1 ? 'c=t<0?1:0;' : ''}`);
  } else if (e.kind === 'binary' && (e.op === 'shl' || e.op === 'shr' || e.op === 'sra')) {
    const A = x.wide(e.a), amt = x.amount(e.b);
    S.push(e.op === 'shl' ? `shlW(s,${d},${A},${n},${w},${amt});` : `shrW(s,${d},${A},${n},${w},${amt},${e.op === 'sra'});`);
  } else if (e.kind === 'binary' && e.op === 'mul') {
    S.push(`mulW(s,${d},${x.wide(e.a)},${x.wide(e.b)},${n},${tm});`);
  } else if (e.kind === 'binary' && (e.op === 'add' || e.op === 'sub')) {
    const op = e.op === 'add' ? '+' : '-';
    for (let i = 0; i < n; i++) {
      const carry = i === 0 ? '' : `${op}c`;
      const next = i === n - 1 ? '' : e.op === 'add' ? 'c=t>4294967295?1:0;' : 'c=t<0?1:0;';
      S.push(`t=${x.word(e.a, i)}${op}${x.word(e.b, i)}${carry};s[${d + i}]=${i === n - 1 ? topStore('t') : 't'};${next}`);
    }
  } else throw new Error(`internal: wideInto(${e.kind}${'op' in e ? ` ${e.op}` : ''})`);
  // One statement: a carry chain split between two generated functions would lose `c`.
  x.emit(S.join(''));
}

/** Comparisons of operands wider than 32 bits (the result is one bit). */
export function wideCompare(x: ExprCompiler, e: Extract<Expr, { kind: 'binary' }>): string {
  const n = wordsFor(e.a.width);
  if (e.op === 'eq' || e.op === 'ne') {
    const all = Array.from({ length: n }, (_, i) => `${x.word(e.a, i)}===${x.word(e.b, i)}`).join('&&');
    return e.op === 'eq' ? `(${all}?1:0)` : `(${all}?0:1)`;
  }
  if (!['lt', 'le', 'gt', 'ge'].includes(e.op)) throw new Error(`internal: wide ${e.op} with a narrow result`);
  // a < b (or b < a for gt/le), decided by the most significant differing word; le/ge are
  // the strict comparison with the operands swapped, negated.
  const swap = e.op === 'gt' || e.op === 'le';
  const [X, Y] = swap ? [e.b, e.a] : [e.a, e.b];
  const tb = e.a.width - 32 * (n - 1);
  const wd = (v: Expr, i: number) => {
    const t = x.simpleWord(v, i);
    return i === n - 1 && e.signed ? sx(t, tb) : t;
  };
  let t = `${wd(X, 0)}<${wd(Y, 0)}`;
  for (let i = 1; i < n; i++) {
    const xi = wd(X, i), yi = wd(Y, i);
    t = `${xi}<${yi}||(${xi}===${yi}&&(${t}))`;
  }
  return e.op === 'lt' || e.op === 'gt' ? `((${t})?1:0)` : `((${t})?0:1)`;
}
