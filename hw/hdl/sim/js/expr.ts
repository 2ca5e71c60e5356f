// hw/hdl/sim/js/expr.ts — one IR expression to straight-line JavaScript.
//
// Values of up to 32 bits are JS numbers kept in [0, 2^width): every operator masks its
// result (`& mask`, or `>>> 0` at 32 bits), so what is stored equals what Verilog computes.
// Wider values are 32-bit words (wide.ts): word i of a bitwise/slice/concat/extend/mux node is
// a text formed where it is used, arithmetic is computed into a slot (wide-expr.ts). A node
// used more than once (the IR is a DAG) is computed once into a slot, before the statement
// that first needs it; every node is computed unconditionally, so a shared node inside one arm
// of a mux is still ready when the other code path reads it.

import type { Expr, FlatMemory, FlatSignal } from '../../ir.ts';
import type { SlotLayout } from './layout.ts';
import { bigToWords, topMask, wordsFor } from './wide.ts';
import { isLazy, lazyWord, wideCompare, wideInto } from './wide-expr.ts';

export const U32 = 4294967295;
/** Past this many characters an inline expression is stored to a slot (keeps statements short). */
const MAX_INLINE = 400;

export function mask(w: number): number { return w >= 32 ? U32 : 2 ** w - 1; }
/** Brings a JS int32/uint32/double result into [0, 2^w). */
export function fix(x: string, w: number): string { return w === 32 ? `((${x})>>>0)` : `((${x})&${mask(w)})`; }
/** A narrow value as a signed int32 (two's complement of width w). */
export function sx(x: string, w: number): string { return w === 32 ? `(${x}|0)` : `((${x}<<${32 - w})>>${32 - w})`; }

/** A literal or one slot: text that costs nothing to repeat. */
export function isSimple(t: string): boolean { return /^(\d+|s\[\d+\])$/.test(t); }

/** Counts how many parents (and roots) reference each node, each node's operands counted once. */
export function countUses(roots: Iterable<Expr>): Map<Expr, number> {
  const uses = new Map<Expr, number>();
  const stack: Expr[] = [];
  for (const r of roots) stack.push(r);
  while (stack.length) {
    const e = stack.pop()!;
    const n = (uses.get(e) ?? 0) + 1;
    uses.set(e, n);
    if (n > 1) continue;
    switch (e.kind) {
      case 'unary': case 'slice': case 'ext': stack.push(e.a); break;
      case 'binary': stack.push(e.a, e.b); break;
      case 'mux': stack.push(e.sel, e.then, e.else); break;
      case 'concat': for (const p of e.parts) stack.push(p); break;
      default: break;
    }
  }
  return uses;
}

export class ExprCompiler {
  /** Statements are appended here; the code generator swaps lists between phases. */
  out: string[] = [];
  private readonly done = new Map<Expr, number>();
  /** Single words of lazy nodes already stored to a slot (see simpleWord). */
  private readonly simpleWords = new Map<Expr, Map<number, string>>();

  constructor(readonly layout: SlotLayout, private readonly uses: Map<Expr, number>) {}

  emit(stmt: string): void { this.out.push(stmt); }

  sig(s: FlatSignal): number { return this.layout.signal.get(s)!; }
  rd(m: FlatMemory, port: number): number { return this.layout.readData.get(m)![port]!; }

  /** JS text for a value of <= 32 bits. */
  narrow(e: Expr): string {
    switch (e.kind) {
      case 'const': return String(Number(e.value));
      case 'ref': return `s[${this.sig(e.signal as FlatSignal)}]`;
      case 'memread': return `s[${this.rd(e.mem as FlatMemory, e.port)}]`;
      default: break;
    }
    const hit = this.done.get(e);
    if (hit !== undefined) return `s[${hit}]`;
    const text = this.narrowText(e);
    if ((this.uses.get(e) ?? 0) > 1 || text.length > MAX_INLINE) return this.store(e, text);
    return text;
  }

  private store(e: Expr, text: string): string {
    const off = this.layout.alloc(1);
    this.emit(`s[${off}]=${text};`);
    this.done.set(e, off);
    return `s[${off}]`;
  }

  /** A narrow value as text that is cheap to repeat: a literal or one slot. */
  simple(e: Expr): string {
    const t = this.narrow(e);
    if (isSimple(t)) return t;
    const off = this.layout.alloc(1);
    this.emit(`s[${off}]=${t};`);
    return `s[${off}]`;
  }

  /** The offset of the words of a value wider than 32 bits (computed into a slot if need be). */
  wide(e: Expr): number {
    switch (e.kind) {
      case 'const': return this.layout.constant(e.value, e.width);
      case 'ref': return this.sig(e.signal as FlatSignal);
      case 'memread': return this.rd(e.mem as FlatMemory, e.port);
      default: break;
    }
    const hit = this.done.get(e);
    if (hit !== undefined) return hit;
    const d = this.layout.alloc(wordsFor(e.width));
    wideInto(this, e, d);
    this.done.set(e, d);
    return d;
  }

  /**
   * Word `i` of any value as text in [0, 2^32) (narrow values are their own word 0). Bitwise
   * operators, slices, concatenations, extensions and muxes are computed word by word where
   * they are used, without a slot of their own; arithmetic and shared nodes get a slot.
   */
  word(e: Expr, i: number): string {
    if (e.width <= 32) return i === 0 ? this.narrow(e) : '0';
    switch (e.kind) {
      case 'const': return String(bigToWords(e.value, e.width)[i]);
      case 'ref': return `s[${this.sig(e.signal as FlatSignal) + i}]`;
      case 'memread': return `s[${this.rd(e.mem as FlatMemory, e.port) + i}]`;
      default: break;
    }
    const hit = this.done.get(e);
    if (hit !== undefined) return `s[${hit + i}]`;
    if (!isLazy(e) || (this.uses.get(e) ?? 0) > 1) return `s[${this.wide(e) + i}]`;
    const t = lazyWord(this, e, i);
    return t.length > MAX_INLINE ? `s[${this.wide(e) + i}]` : t;
  }

  /** Word `i` as a literal or one slot, for texts that use it more than once. */
  simpleWord(e: Expr, i: number): string {
    if (e.width <= 32) return i === 0 ? this.simple(e) : '0';
    let words = this.simpleWords.get(e);
    const hit = words?.get(i);
    if (hit) return hit;
    let t = this.word(e, i);
    if (!isSimple(t)) {
      const off = this.layout.alloc(1);
      this.emit(`s[${off}]=${t};`);
      t = `s[${off}]`;
    }
    if (!words) this.simpleWords.set(e, words = new Map());
    words.set(i, t);
    return t;
  }

  /** A shift amount as a simple text; amounts wider than 32 bits saturate (any high bit set means "past the width"). */
  amount(b: Expr): string {
    if (b.width <= 32) return this.simple(b);
    const n = wordsFor(b.width);
    const hi = Array.from({ length: n - 1 }, (_, i) => this.word(b, i + 1)).join('|');
    const off = this.layout.alloc(1);
    this.emit(`s[${off}]=(${hi})!==0?${U32}:${this.word(b, 0)};`);
    return `s[${off}]`;
  }

  private narrowText(e: Expr): string {
    const w = e.width;
    switch (e.kind) {
      case 'unary': {
        if (e.op === 'not' || e.op === 'neg') return fix(`${e.op === 'not' ? '~' : '-'}${this.narrow(e.a)}`, w);
        if (e.a.width <= 32) {
          const a = this.narrow(e.a);
          if (e.op === 'redand') return `(${a}===${mask(e.a.width)}?1:0)`;
          if (e.op === 'redor') return `(${a}!==0?1:0)`;
          return `par(${a})`;
        }
        const n = wordsFor(e.a.width);
        const ws = Array.from({ length: n }, (_, i) => this.word(e.a, i));
        if (e.op === 'redand') return `(${ws.map((x, i) => `${x}===${i === n - 1 ? topMask(e.a.width) : U32}`).join('&&')}?1:0)`;
        if (e.op === 'redor') return `((${ws.join('|')})!==0?1:0)`;
        return `par(${ws.join('^')})`;
      }
      case 'binary': return this.binaryText(e);
      case 'mux': return `(${this.narrow(e.sel)}?${this.narrow(e.then)}:${this.narrow(e.else)})`;
      case 'slice': {
        const lo = e.lo;
        if (e.a.width <= 32) {
          const a = this.narrow(e.a);
          if (lo === 0) return `(${a}&${mask(w)})`;
          return lo + w === e.a.width ? `(${a}>>>${lo})` : `((${a}>>>${lo})&${mask(w)})`;
        }
        const k = lo >>> 5, r = lo & 31;
        const an = wordsFor(e.a.width);
        let t = r === 0 ? this.word(e.a, k) : `(${this.word(e.a, k)}>>>${r})`;
        if (r !== 0 && r + w > 32 && k + 1 < an) t = `(${t}|(${this.word(e.a, k + 1)}<<${32 - r}))`;
        return w === 32 ? (r === 0 ? t : `(${t}>>>0)`) : `(${t}&${mask(w)})`;
      }
      case 'concat': {
        let off = w;
        const terms = e.parts.map((p) => {
          off -= p.width;
          const t = this.narrow(p);
          return off === 0 ? t : `(${t}<<${off})`;
        });
        return w === 32 ? `((${terms.join('|')})>>>0)` : `(${terms.join('|')})`;
      }
      case 'ext': {
        const a = this.narrow(e.a);
        return e.signed ? fix(sx(a, e.a.width), w) : a;
      }
      default: throw new Error(`internal: narrowText(${e.kind})`);
    }
  }

  private binaryText(e: Extract<Expr, { kind: 'binary' }>): string {
    const w = e.width, aw = e.a.width;
    if (aw > 32) return wideCompare(this, e);
    switch (e.op) {
      case 'add': return fix(`${this.narrow(e.a)}+${this.narrow(e.b)}`, w);
      case 'sub': return fix(`${this.narrow(e.a)}-${this.narrow(e.b)}`, w);
      case 'mul': return fix(`imul(${this.narrow(e.a)},${this.narrow(e.b)})`, w);
      case 'and': case 'or': case 'xor': {
        const t = `${this.narrow(e.a)}${{ and: '&', or: '|', xor: '^' }[e.op]}${this.narrow(e.b)}`;
        return w === 32 ? `((${t})>>>0)` : `(${t})`;
      }
      case 'eq': return `(${this.narrow(e.a)}===${this.narrow(e.b)}?1:0)`;
      case 'ne': return `(${this.narrow(e.a)}!==${this.narrow(e.b)}?1:0)`;
      case 'lt': case 'le': case 'gt': case 'ge': {
        const op = { lt: '<', le: '<=', gt: '>', ge: '>=' }[e.op];
        const a = this.narrow(e.a), b = this.narrow(e.b);
        return e.signed ? `(${sx(a, aw)}${op}${sx(b, aw)}?1:0)` : `(${a}${op}${b}?1:0)`;
      }
      case 'shl': case 'shr': case 'sra': {
        const B = this.amount(e.b);
        const a = this.narrow(e.a);
        if (e.op === 'shl') return `(${B}>=${w}?0:${fix(`${a}<<${B}`, w)})`;
        if (e.op === 'shr') return `(${B}>=${w}?0:(${a}>>>${B}))`;
        return fix(`${sx(a, w)}>>(${B}>31?31:${B})`, w);
      }
    }
  }

}
