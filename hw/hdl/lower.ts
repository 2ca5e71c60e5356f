// hw/hdl/lower.ts — from statements to one expression per driven signal.
//
// A combinational block runs its statements in order with blocking semantics (as Verilog's
// `always @*`): reading a signal the block assigned earlier sees the new value. Branches
// become multiplexers. A signal left unassigned on some path would be a latch: an error.
// A clocked block has non-blocking semantics: reads see the value before the edge, the last
// assignment wins, and a register not assigned on a path holds its value.

import type { Expr, Memory, Signal, Stmt, ModuleIR } from './ir.ts';
import { ElaborationError, type SourceLoc } from './loc.ts';

export interface Driver { readonly expr: Expr; readonly loc: SourceLoc; readonly blockLoc: SourceLoc }
export interface LoweredMemWrite { readonly mem: Memory; readonly port: number; readonly enable: Expr; readonly addr: Expr; readonly data: Expr; readonly mask: Expr | null; readonly loc: SourceLoc }
export interface LoweredMemRead { readonly mem: Memory; readonly port: number; readonly enable: Expr; readonly addr: Expr; readonly loc: SourceLoc }

export interface LoweredModule {
  /** Combinational signals and their single driver. */
  readonly comb: Map<Signal, Driver>;
  /** Registers and their next-state expression. */
  readonly regs: Map<Signal, Driver>;
  readonly memWrites: LoweredMemWrite[];
  /** At most one per read port (several reads of one port are merged, last one winning). */
  readonly memReads: LoweredMemRead[];
  /** Registers no block assigns: they hold their reset value (and are in `regs`, holding). */
  readonly unassignedRegs: readonly Signal[];
}

const PARTIAL: unique symbol = Symbol('partial');
type Val = Expr | typeof PARTIAL;

/**
 * The values assigned so far on the current path. A branch gets a child scope that records
 * only its own assignments and reads through to its parent, so a block with thousands of
 * conditional assignments lowers in linear time.
 */
class Scope<V> {
  readonly local = new Map<Signal, V>();
  constructor(private readonly parent: Scope<V> | null) {}
  get(s: Signal): V | undefined {
    for (let sc: Scope<V> | null = this; sc; sc = sc.parent) {
      const v = sc.local.get(s);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  set(s: Signal, v: V): void { this.local.set(s, v); }
  get empty(): boolean { return this.local.size === 0 && (this.parent?.empty ?? true); }
}

const TRUE: Expr = { kind: 'const', width: 1, value: 1n };

export function and(a: Expr, b: Expr): Expr {
  if (a === TRUE) return b;
  if (b === TRUE) return a;
  return { kind: 'binary', op: 'and', signed: false, width: 1, a, b };
}
export function not(a: Expr): Expr { return { kind: 'unary', op: 'not', width: 1, a }; }
export function or(a: Expr, b: Expr): Expr { return { kind: 'binary', op: 'or', signed: false, width: 1, a, b }; }
function mux(sel: Expr, t: Expr, e: Expr): Expr { return t === e ? t : { kind: 'mux', width: t.width, sel, then: t, else: e }; }

/** The condition under which case `i` of a switch is taken (any of its values). */
export function caseCond(subject: Expr, values: readonly bigint[]): Expr {
  let c: Expr | null = null;
  for (const v of values) {
    const e: Expr = { kind: 'binary', op: 'eq', signed: false, width: 1, a: subject, b: { kind: 'const', width: subject.width, value: v } };
    c = c ? or(c, e) : e;
  }
  return c ?? { kind: 'const', width: 1, value: 0n };
}

/** A switch as an if/else-if chain (what both Verilog `case` and the simulator mean). */
function switchAsIf(s: Extract<Stmt, { kind: 'switch' }>): Stmt[] {
  let tail: Stmt[] = s.default ?? [];
  for (let i = s.cases.length - 1; i >= 0; i--) {
    const c = s.cases[i]!;
    tail = [{ kind: 'if', cond: caseCond(s.subject, c.values), then: c.body, else: tail, loc: c.loc, elseIf: false }];
  }
  return tail;
}

/** Rewrites references to signals this block already assigned to their current values. */
function substitute(e: Expr, env: Scope<Val>, memo: Map<Expr, Expr>, loc: SourceLoc): Expr {
  const hit = memo.get(e);
  if (hit) return hit;
  let out: Expr = e;
  switch (e.kind) {
    case 'ref': {
      const v = env.get(e.signal);
      if (v === PARTIAL) {
        throw new ElaborationError(`'${e.signal.name}' is read after being assigned on only some paths of this combinational block (that would be a latch); give it a value on every path first`, loc);
      }
      if (v) out = v;
      break;
    }
    case 'unary': { const a = substitute(e.a, env, memo, loc); if (a !== e.a) out = { ...e, a }; break; }
    case 'binary': { const a = substitute(e.a, env, memo, loc), b = substitute(e.b, env, memo, loc); if (a !== e.a || b !== e.b) out = { ...e, a, b }; break; }
    case 'mux': {
      const sel = substitute(e.sel, env, memo, loc), t = substitute(e.then, env, memo, loc), el = substitute(e.else, env, memo, loc);
      if (sel !== e.sel || t !== e.then || el !== e.else) out = { ...e, sel, then: t, else: el };
      break;
    }
    case 'slice': case 'ext': { const a = substitute(e.a, env, memo, loc); if (a !== e.a) out = { ...e, a } as Expr; break; }
    case 'concat': {
      const parts = e.parts.map((p) => substitute(p, env, memo, loc));
      if (parts.some((p, i) => p !== e.parts[i])) out = { ...e, parts };
      break;
    }
    default: break;
  }
  memo.set(e, out);
  return out;
}

interface SeqOut { writes: LoweredMemWrite[]; reads: Map<string, LoweredMemRead> }

function execComb(stmts: readonly Stmt[], env: Scope<Val>, lastLoc: Map<Signal, SourceLoc>): void {
  for (const s of stmts) {
    switch (s.kind) {
      case 'assign': {
        const v = env.empty ? s.value : substitute(s.value, env, new Map(), s.loc);
        env.set(s.target, v);
        lastLoc.set(s.target, s.loc);
        break;
      }
      case 'if': {
        const cond = env.empty ? s.cond : substitute(s.cond, env, new Map(), s.loc);
        const te = new Scope<Val>(env), ee = new Scope<Val>(env);
        execComb(s.then, te, lastLoc);
        execComb(s.else, ee, lastLoc);
        for (const k of new Set([...te.local.keys(), ...ee.local.keys()])) {
          const t = te.get(k), e = ee.get(k);
          if (t === e) env.set(k, t!);
          else if (t === undefined || e === undefined || t === PARTIAL || e === PARTIAL) env.set(k, PARTIAL);
          else env.set(k, mux(cond, t, e));
        }
        break;
      }
      case 'switch': execComb(switchAsIf(s), env, lastLoc); break;
      case 'memwrite': case 'memread':
        throw new ElaborationError('memory access outside m.seq', s.loc);
    }
  }
}

function execSeq(stmts: readonly Stmt[], env: Scope<Expr>, path: Expr, out: SeqOut, lastLoc: Map<Signal, SourceLoc>): void {
  for (const s of stmts) {
    switch (s.kind) {
      case 'assign': env.set(s.target, s.value); lastLoc.set(s.target, s.loc); break;
      case 'if': {
        const te = new Scope<Expr>(env), ee = new Scope<Expr>(env);
        execSeq(s.then, te, and(path, s.cond), out, lastLoc);
        execSeq(s.else, ee, and(path, not(s.cond)), out, lastLoc);
        for (const k of new Set([...te.local.keys(), ...ee.local.keys()])) {
          const hold: Expr = env.get(k) ?? { kind: 'ref', width: k.width, signal: k };
          env.set(k, mux(s.cond, te.local.get(k) ?? hold, ee.local.get(k) ?? hold));
        }
        break;
      }
      case 'switch': execSeq(switchAsIf(s), env, path, out, lastLoc); break;
      case 'memwrite':
        out.writes.push({ mem: s.mem, port: s.port, enable: path, addr: s.addr, data: s.data, mask: s.mask, loc: s.loc });
        break;
      case 'memread': {
        const key = `${s.mem.id}:${s.port}`;
        const prev = out.reads.get(key);
        // Later reads on the same port win, as a later non-blocking assignment does.
        const r: LoweredMemRead = prev
          ? { mem: s.mem, port: s.port, enable: or(prev.enable, path), addr: mux(path, s.addr, prev.addr), loc: prev.loc }
          : { mem: s.mem, port: s.port, enable: path, addr: s.addr, loc: s.loc };
        out.reads.set(key, r);
        break;
      }
    }
  }
}

const cache = new WeakMap<ModuleIR, LoweredModule>();

/** Lowers every block of a module; throws on latches and on signals driven from two blocks. */
export function lowerModule(m: ModuleIR): LoweredModule {
  const hit = cache.get(m);
  if (hit) return hit;
  const comb = new Map<Signal, Driver>();
  const regs = new Map<Signal, Driver>();
  const out: SeqOut = { writes: [], reads: new Map() };
  const owner = new Map<Signal, SourceLoc>();
  const claim = (sig: Signal, loc: SourceLoc, blockLoc: SourceLoc) => {
    const prev = owner.get(sig);
    if (prev) {
      throw new ElaborationError(`'${sig.name}' has two drivers: it is assigned here and in another block (at ${prev.text}); assign it in one block`, loc, [`other driver: ${prev.text}`]);
    }
    owner.set(sig, blockLoc === loc ? loc : loc);
  };
  for (const b of m.blocks) {
    const lastLoc = new Map<Signal, SourceLoc>();
    if (b.kind === 'comb') {
      const env = new Scope<Val>(null);
      execComb(b.body, env, lastLoc);
      for (const [sig, v] of env.local) {
        const loc = lastLoc.get(sig)!;
        if (v === PARTIAL) {
          throw new ElaborationError(`'${sig.name}' is not assigned on every path of the combinational block at ${b.loc.text}, which would infer a latch; assign it a default value at the top of the block`, loc);
        }
        claim(sig, loc, b.loc);
        comb.set(sig, { expr: v, loc, blockLoc: b.loc });
      }
    } else {
      const env = new Scope<Expr>(null);
      execSeq(b.body, env, TRUE, out, lastLoc);
      for (const [sig, next] of env.local) {
        const loc = lastLoc.get(sig)!;
        claim(sig, loc, b.loc);
        regs.set(sig, { expr: next, loc, blockLoc: b.loc });
      }
    }
  }
  const unassignedRegs: Signal[] = [];
  for (const sig of m.signals) {
    if (sig.kind !== 'reg' || regs.has(sig)) continue;
    unassignedRegs.push(sig);
    regs.set(sig, { expr: { kind: 'ref', width: sig.width, signal: sig }, loc: sig.loc, blockLoc: sig.loc });
  }
  const lowered: LoweredModule = { comb, regs, memWrites: out.writes, memReads: [...out.reads.values()], unassignedRegs };
  cache.set(m, lowered);
  return lowered;
}

/** Calls `fn` on every signal an expression reads (each subexpression once). */
export function forEachRef(e: Expr, fn: (s: Signal) => void, seen: Set<Expr> = new Set(), onSlice?: (s: Signal, lo: number, width: number) => void): void {
  const stack: Expr[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    switch (x.kind) {
      case 'ref': fn(x.signal); break;
      // With onSlice, a bit range of a signal is reported as such rather than as a read of it.
      case 'slice': if (onSlice && x.a.kind === 'ref') onSlice(x.a.signal, x.lo, x.width); else stack.push(x.a); break;
      case 'unary': case 'ext': stack.push(x.a); break;
      case 'binary': stack.push(x.a, x.b); break;
      case 'mux': stack.push(x.sel, x.then, x.else); break;
      case 'concat': for (const p of x.parts) stack.push(p); break;
      default: break;
    }
  }
}
