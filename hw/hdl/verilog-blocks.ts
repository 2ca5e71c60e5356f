// hw/hdl/verilog-blocks.ts — what the Verilog emitter needs to know about a block of
// statements: which signals it assigns and reads, and which subexpressions are shared (and
// so get a temporary, named after the signal they feed).

import type { Expr, ModuleIR, Signal, Stmt } from './ir.ts';
import { forEachRef } from './lower.ts';

export const TEMP_SUFFIX: Record<string, string> = { add: 'sum', sub: 'diff', mul: 'prod', and: 'and', or: 'or', xor: 'xor', eq: 'eq', ne: 'ne', lt: 'lt', le: 'le', gt: 'gt', ge: 'ge', shl: 'shl', shr: 'shr', sra: 'sra', not: 'inv', neg: 'neg', redand: 'all', redor: 'any', redxor: 'parity', mux: 'sel', slice: 'bits', concat: 'cat', ext: 'ext' };

/** A memory read port's data or a signal: something Verilog can index or slice directly. */
export function isName(e: Expr): boolean { return e.kind === 'ref' || e.kind === 'memread'; }

/** Signals read anywhere in a module (by its logic or by its children's inputs). */
export function readSignals(m: ModuleIR): Set<Signal> {
  const read = new Set<Signal>();
  const seen = new Set<Expr>();
  for (const b of m.blocks) for (const e of blockExprs(b.body)) forEachRef(e, (s) => read.add(s), seen);
  for (const i of m.instances) for (const e of i.inputs.values()) forEachRef(e, (s) => read.add(s), seen);
  return read;
}

/**
 * Signals some of whose bits nothing reads (read only through bit ranges that leave bits
 * out), or that nothing reads at all. The emitter tells the linter these are by design for
 * ports (an interface carries fields a block does not need) and for partly read values.
 */
export function unreadBits(m: ModuleIR): { partial: Set<Signal>; unread: Set<Signal> } {
  const whole = new Set<Signal>();
  const bits = new Map<Signal, Uint8Array>();
  const seen = new Set<Expr>();
  const visit = (e: Expr): void => forEachRef(e, (sig) => whole.add(sig), seen, (sig, lo, width) => {
    let b = bits.get(sig);
    if (!b) { b = new Uint8Array(sig.width); bits.set(sig, b); }
    b.fill(1, lo, lo + width);
  });
  for (const b of m.blocks) for (const e of blockExprs(b.body)) visit(e);
  for (const i of m.instances) for (const e of i.inputs.values()) visit(e);
  const partial = new Set<Signal>();
  const unread = new Set<Signal>();
  for (const sig of m.signals) {
    if (whole.has(sig)) continue;
    const b = bits.get(sig);
    if (!b) unread.add(sig);
    else if (b.includes(0)) partial.add(sig);
  }
  return { partial, unread };
}

/** Signals assigned anywhere in a statement list, in first-assignment order. */
export function assignedIn(list: readonly Stmt[], out: Signal[] = [], seen = new Set<Signal>()): Signal[] {
  for (const s of list) {
    if (s.kind === 'assign') { if (!seen.has(s.target)) { seen.add(s.target); out.push(s.target); } }
    else if (s.kind === 'if') { assignedIn(s.then, out, seen); assignedIn(s.else, out, seen); }
    else if (s.kind === 'switch') { for (const c of s.cases) assignedIn(c.body, out, seen); if (s.default) assignedIn(s.default, out, seen); }
  }
  return out;
}

export function firstTarget(list: readonly Stmt[]): string {
  for (const s of list) {
    if (s.kind === 'assign') return s.target.name;
    if (s.kind === 'memwrite' || s.kind === 'memread') return s.mem.name;
    const inner = s.kind === 'if' ? firstTarget([...s.then, ...s.else]) : s.kind === 'switch' ? firstTarget(s.cases.flatMap((c) => c.body)) : '';
    if (inner) return inner;
  }
  return 'cond';
}

export function blockExprs(list: readonly Stmt[], out: Expr[] = []): Expr[] {
  for (const s of list) {
    switch (s.kind) {
      case 'assign': out.push(s.value); break;
      case 'if': out.push(s.cond); blockExprs(s.then, out); blockExprs(s.else, out); break;
      case 'switch': out.push(s.subject); for (const c of s.cases) blockExprs(c.body, out); if (s.default) blockExprs(s.default, out); break;
      case 'memwrite': out.push(s.addr, s.data); if (s.mask) out.push(s.mask); break;
      case 'memread': out.push(s.addr); break;
    }
  }
  return out;
}

/** True when a block reads no signal at all (every value in it is a constant). */
export function readsNothing(list: readonly Stmt[]): boolean {
  let reads = false;
  const seen = new Set<Expr>();
  for (const e of blockExprs(list)) forEachRef(e, () => { reads = true; }, seen);
  return !reads && !blockExprs(list).some(hasMemRead);
}

function hasMemRead(e: Expr): boolean {
  switch (e.kind) {
    case 'memread': return true;
    case 'unary': case 'slice': case 'ext': return hasMemRead(e.a);
    case 'binary': return hasMemRead(e.a) || hasMemRead(e.b);
    case 'mux': return hasMemRead(e.sel) || hasMemRead(e.then) || hasMemRead(e.else);
    case 'concat': return e.parts.some(hasMemRead);
    default: return false;
  }
}

export function readsAny(list: readonly Stmt[], targets: readonly Signal[]): boolean {
  const t = new Set(targets);
  let hit = false;
  for (const e of blockExprs(list)) forEachRef(e, (s) => { if (t.has(s)) hit = true; });
  return hit;
}

/** Subexpressions used more than once among `exprs`, operands first, with names after `owner`. */
export function sharedExprs(exprs: readonly Expr[], fresh: (base: string) => string, owner: string, skip: (e: Expr) => boolean = () => false): [Expr, string][] {
  const count = new Map<Expr, number>();
  const order: Expr[] = [];
  const walk = (e: Expr) => {
    const n = (count.get(e) ?? 0) + 1;
    count.set(e, n);
    if (n > 1) return;
    switch (e.kind) {
      case 'unary': case 'slice': case 'ext': walk(e.a); break;
      case 'binary': walk(e.a); walk(e.b); break;
      case 'mux': walk(e.sel); walk(e.then); walk(e.else); break;
      case 'concat': e.parts.forEach(walk); break;
      default: break;
    }
    order.push(e); // post-order: operands are named before what uses them
  };
  exprs.forEach(walk);
  const out: [Expr, string][] = [];
  for (const e of order) {
    if ((count.get(e) ?? 0) < 2 || isName(e) || e.kind === 'const' || skip(e)) continue;
    const suffix = TEMP_SUFFIX[e.kind === 'binary' || e.kind === 'unary' ? e.op : e.kind] ?? 'tmp';
    out.push([e, fresh(`${owner}_${suffix}`)]);
  }
  return out;
}

/** Each statement-level expression of `list` with the name of what its statement feeds. */
export function ownedExprs(list: readonly Stmt[], out: [Expr, string][] = []): [Expr, string][] {
  for (const s of list) {
    switch (s.kind) {
      case 'assign': out.push([s.value, s.target.name]); break;
      case 'if': out.push([s.cond, firstTarget(s.then)]); ownedExprs(s.then, out); ownedExprs(s.else, out); break;
      case 'switch': out.push([s.subject, firstTarget(s.cases[0]?.body ?? [])]); for (const c of s.cases) ownedExprs(c.body, out); if (s.default) ownedExprs(s.default, out); break;
      case 'memwrite': out.push([s.addr, s.mem.name], [s.data, s.mem.name]); if (s.mask) out.push([s.mask, s.mem.name]); break;
      case 'memread': out.push([s.addr, s.mem.name]); break;
    }
  }
  return out;
}

/**
 * Subexpressions that more than one statement of a module uses (one JS value read in several
 * places), operands first, each with the name of the first statement that uses it: the
 * emitter computes each once, as a named temporary.
 */
export function moduleShared(owned: readonly [Expr, string][]): [Expr, string][] {
  const users = new Map<Expr, Set<number>>();
  const owner = new Map<Expr, string>();
  const order: Expr[] = [];
  owned.forEach(([top, name], k) => {
    const seen = new Set<Expr>();
    const walk = (e: Expr) => {
      if (seen.has(e)) return;
      seen.add(e);
      switch (e.kind) {
        case 'unary': case 'slice': case 'ext': walk(e.a); break;
        case 'binary': walk(e.a); walk(e.b); break;
        case 'mux': walk(e.sel); walk(e.then); walk(e.else); break;
        case 'concat': e.parts.forEach(walk); break;
        default: break;
      }
      let u = users.get(e);
      if (!u) { u = new Set(); users.set(e, u); owner.set(e, name); order.push(e); }
      u.add(k);
    };
    walk(top);
  });
  return order.filter((e) => users.get(e)!.size > 1 && !isName(e) && e.kind !== 'const').map((e) => [e, owner.get(e)!]);
}
