// hw/hdl/sim/js/expr.ts — one IR expression to straight-line JavaScript.
//
// Values of up to 32 bits are JS numbers kept in [0, 2^width): every operator masks its
// result (`& mask`, or `>>> 0` at 32 bits), so what is stored equals what Verilog computes.
// Wider values live in word slots (wide.ts) and are computed by statements into a scratch slot
// per expression node. A node used more than once (the IR is a DAG) is computed once into a
// slot, before the statement that first needs it; every node is computed unconditionally, so a
// shared node inside one arm of a mux is still ready when the other code path reads it.

import type { Expr, FlatMemory, FlatSignal } from '../../ir.ts';
import type { SlotLayout } from './layout.ts';
import { topMask, wordsFor } from './wide.ts';

const U32 = 4294967295;
/** Past this many characters an inline expression is stored to a slot (keeps statements short). */
const MAX_INLINE = 400;

function mask(w: number): number { return w >= 32 ? U32 : 2 ** w - 1; }
/** Brings a JS int32/uint32/double result into [0, 2^w). */
function fix(x: string, w: number): string { return w === 32 ? `((${x})>>>0)` : `((${x})&${mask(w)})`; }
/** A narrow value as a signed int32 (two's complement of width w). */
function sx(x: string, w: number): string { return w === 32 ? `(${x}|0)` : `((${x}<<${32 - w})>>${32 - w})`; }

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

  constructor(private readonly layout: SlotLayout, private readonly uses: Map<Expr, number>) {}

  private emit(stmt: string): void { this.out.push(stmt); }

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
  private simple(e: Expr): string {
    const t = this.narrow(e);
    if (/^(\d+|s\[\d+\])$/.test(t)) return t;
    const off = this.layout.alloc(1);
    this.emit(`s[${off}]=${t};`);
    return `s[${off}]`;
  }

  /** The offset of the words of a value wider than 32 bits. */
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
    this.wideInto(e, d);
    this.done.set(e, d);
    return d;
  }

  /** Word `i` of any value as text (narrow values are their own word 0). */
  private word(e: Expr, i: number): string {
    if (e.width <= 32) return i === 0 ? this.narrow(e) : '0';
    return `s[${this.wide(e) + i}]`;
  }

  /** A shift amount as a simple text; amounts wider than 32 bits saturate (any high bit set means "past the width"). */
  private amount(b: Expr): string {
    if (b.width <= 32) return this.simple(b);
    const B = this.wide(b), n = wordsFor(b.width);
    const hi = Array.from({ length: n - 1 }, (_, i) => `s[${B + i + 1}]`).join('|');
    const off = this.layout.alloc(1);
    this.emit(`s[${off}]=(${hi})!==0?${U32}:s[${B}];`);
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
        const A = this.wide(e.a), n = wordsFor(e.a.width);
        const ws = Array.from({ length: n }, (_, i) => `s[${A + i}]`);
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
        const A = this.wide(e.a), k = lo >>> 5, r = lo & 31;
        const an = wordsFor(e.a.width);
        let t = r === 0 ? `s[${A + k}]` : `(s[${A + k}]>>>${r})`;
        if (r !== 0 && r + w > 32 && k + 1 < an) t = `(${t}|(s[${A + k + 1}]<<${32 - r}))`;
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
    if (aw > 32) return this.wideCompare(e);
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

  /** Comparisons of operands wider than 32 bits (the result is one bit). */
  private wideCompare(e: Extract<Expr, { kind: 'binary' }>): string {
    const n = wordsFor(e.a.width), A = this.wide(e.a), B = this.wide(e.b);
    if (e.op === 'eq' || e.op === 'ne') {
      const all = Array.from({ length: n }, (_, i) => `s[${A + i}]===s[${B + i}]`).join('&&');
      return e.op === 'eq' ? `(${all}?1:0)` : `(${all}?0:1)`;
    }
    if (!['lt', 'le', 'gt', 'ge'].includes(e.op)) throw new Error(`internal: wide ${e.op} with a narrow result`);
    // a < b (or b < a for gt/ge), decided by the most significant differing word; le/ge are
    // the strict comparison with operands swapped, negated.
    const swap = e.op === 'gt' || e.op === 'le';
    const [X, Y] = swap ? [B, A] : [A, B];
    const tb = e.a.width - 32 * (n - 1);
    const top = (o: number) => (e.signed ? sx(`s[${o + n - 1}]`, tb) : `s[${o + n - 1}]`);
    let t = `s[${X}]<s[${Y}]`;
    for (let i = 1; i < n; i++) {
      const xi = i === n - 1 ? top(X) : `s[${X + i}]`, yi = i === n - 1 ? top(Y) : `s[${Y + i}]`;
      t = `${xi}<${yi}||(${xi}===${yi}&&(${t}))`;
    }
    const lt = `(${t})`;
    return e.op === 'lt' || e.op === 'gt' ? `(${lt}?1:0)` : `(${lt}?0:1)`;
  }

  /** Emits statements computing `e` (wider than 32 bits) into words at `d`. */
  private wideInto(e: Expr, d: number): void {
    const w = e.width, n = wordsFor(w), tm = topMask(w);
    const top = (x: string) => (tm === U32 ? x : `(${x})&${tm}`);
    const S: string[] = [];
    switch (e.kind) {
      case 'unary': {
        const A = this.wide(e.a);
        if (e.op === 'not') for (let i = 0; i < n; i++) S.push(`s[${d + i}]=${i === n - 1 ? top(`~s[${A + i}]`) : `~s[${A + i}]`};`);
        else for (let i = 0; i < n; i++) S.push(`t=-s[${A + i}]${i ? '-c' : ''};s[${d + i}]=${i === n - 1 ? top('t') : 't'};${i < n - 1 ? 'c=t<0?1:0;' : ''}`);
        break;
      }
      case 'binary': {
        const A = this.wide(e.a);
        if (e.op === 'shl' || e.op === 'shr' || e.op === 'sra') {
          const amt = this.amount(e.b);
          S.push(e.op === 'shl' ? `shlW(s,${d},${A},${n},${w},${amt});` : `shrW(s,${d},${A},${n},${w},${amt},${e.op === 'sra'});`);
          break;
        }
        const B = this.wide(e.b);
        if (e.op === 'mul') { S.push(`mulW(s,${d},${A},${B},${n},${tm});`); break; }
        if (e.op === 'add' || e.op === 'sub') {
          const op = e.op === 'add' ? '+' : '-';
          for (let i = 0; i < n; i++) {
            const carry = i === 0 ? '' : `${op}c`;
            const next = i === n - 1 ? '' : e.op === 'add' ? 'c=t>4294967295?1:0;' : 'c=t<0?1:0;';
            S.push(`t=s[${A + i}]${op}s[${B + i}]${carry};s[${d + i}]=${i === n - 1 ? top('t') : 't'};${next}`);
          }
          break;
        }
        const op = { and: '&', or: '|', xor: '^' }[e.op as 'and' | 'or' | 'xor'];
        if (!op) throw new Error(`internal: wide ${e.op}`);
        for (let i = 0; i < n; i++) S.push(`s[${d + i}]=s[${A + i}]${op}s[${B + i}];`);
        break;
      }
      case 'mux': {
        const sel = this.narrow(e.sel), T = this.wide(e.then), E = this.wide(e.else);
        const copy = (src: number) => Array.from({ length: n }, (_, i) => `s[${d + i}]=s[${src + i}];`).join('');
        S.push(`if(${sel}){${copy(T)}}else{${copy(E)}}`);
        break;
      }
      case 'slice': {
        const A = this.wide(e.a), an = wordsFor(e.a.width), k = e.lo >>> 5, r = e.lo & 31;
        for (let i = 0; i < n; i++) {
          let t = r === 0 ? `s[${A + k + i}]` : `(s[${A + k + i}]>>>${r})`;
          if (r !== 0 && k + i + 1 < an) t = `${t}|(s[${A + k + i + 1}]<<${32 - r})`;
          S.push(`s[${d + i}]=${i === n - 1 ? top(t) : t};`);
        }
        break;
      }
      case 'concat': {
        for (let i = 0; i < n; i++) S.push(`s[${d + i}]=0;`);
        let off = w;
        for (const p of e.parts) {
          off -= p.width;
          const pn = wordsFor(p.width);
          for (let j = 0; j < pn; j++) {
            const bit = off + 32 * j, k = bit >>> 5, r = bit & 31;
            const bitsHere = Math.min(32, p.width - 32 * j);
            const v = p.width <= 32 ? this.narrow(p) : `s[${this.wide(p) + j}]`;
            if (r === 0) { S.push(`s[${d + k}]|=${v};`); continue; }
            S.push(`v=${v};s[${d + k}]|=v<<${r};`);
            if (r + bitsHere > 32) S.push(`s[${d + k + 1}]|=v>>>${32 - r};`);
          }
        }
        break;
      }
      case 'ext': {
        const an = wordsFor(e.a.width), atb = e.a.width - 32 * (an - 1);
        for (let i = 0; i < an - 1; i++) S.push(`s[${d + i}]=${this.word(e.a, i)};`);
        const aTop = this.word(e.a, an - 1);
        if (!e.signed) {
          S.push(`s[${d + an - 1}]=${aTop};`);
          for (let i = an; i < n; i++) S.push(`s[${d + i}]=0;`);
        } else {
          S.push(`v=${sx(aTop, atb)};s[${d + an - 1}]=${an === n ? top('v') : 'v'};v=v>>31;`);
          for (let i = an; i < n; i++) S.push(`s[${d + i}]=${i === n - 1 ? top('v') : 'v'};`);
        }
        break;
      }
      default: throw new Error(`internal: wideInto(${e.kind})`);
    }
    for (const x of S) this.emit(x);
  }
}
