// hw/hdl/flatten.ts — a whole design flattened to one level and put in evaluation order.
//
// Children are inlined with their instance path as a prefix ('tx.fifo.count'). Instance
// ports become plain combinational links. The combinational assignments are then sorted so
// each reads only inputs, registers, memory read data, or signals earlier in the list; a
// cycle is a combinational loop, reported hop by hop with the file:line of each driver.

import type { CombAssign, Expr, FlatDesign, FlatMemory, FlatSignal, MemRead, MemWrite, Memory, ModuleIR, RegUpdate, Signal } from './ir.ts';
import { ElaborationError, type SourceLoc } from './loc.ts';
import { forEachRef, lowerModule } from './lower.ts';
import { moduleWarnings, type Warning } from './checks.ts';

interface Ctx {
  signals: FlatSignal[];
  memories: FlatMemory[];
  /** `port`: an instance port connection (wiring), not an assignment the designer wrote. */
  comb: { signal: FlatSignal; expr: Expr; loc: SourceLoc; port?: boolean }[];
  regs: RegUpdate[];
  memWrites: MemWrite[];
  memReads: MemRead[];
  warnings: Warning[];
}

export interface Design {
  readonly top: ModuleIR;
  readonly flat: FlatDesign;
  /** Every distinct module below and including the top, children first. */
  readonly modules: readonly ModuleIR[];
  readonly warnings: readonly Warning[];
}

/** Flattens and orders a design; throws ElaborationError on a combinational loop. */
export function flatten(top: ModuleIR): Design {
  const ctx: Ctx = { signals: [], memories: [], comb: [], regs: [], memWrites: [], memReads: [], warnings: [] };
  const topMap = new Map<Signal, FlatSignal>();
  for (const s of top.signals) topMap.set(s, addSignal(ctx, s, [], s.kind));
  inline(ctx, top, [], topMap);
  const ordered = levelise(ctx);
  const modules: ModuleIR[] = [];
  const seen = new Set<ModuleIR>();
  const visit = (m: ModuleIR) => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const i of m.instances) visit(i.module);
    modules.push(m);
  };
  visit(top);
  const inputs = top.ports.filter((p) => p.kind === 'input').map((p) => topMap.get(p)!);
  const outputs = top.ports.filter((p) => p.kind === 'output').map((p) => topMap.get(p)!);
  return {
    top, modules, warnings: ctx.warnings,
    flat: { top, signals: ctx.signals, inputs, outputs, memories: ctx.memories, comb: ordered, regs: ctx.regs, memWrites: ctx.memWrites, memReads: ctx.memReads },
  };
}

function addSignal(ctx: Ctx, s: Signal, scope: readonly string[], kind: Signal['kind']): FlatSignal {
  const f: FlatSignal = { ...s, id: ctx.signals.length, kind, name: [...scope, s.name].join('.'), scope, local: s.name };
  ctx.signals.push(f);
  return f;
}

function inline(ctx: Ctx, m: ModuleIR, scope: readonly string[], sigMap: Map<Signal, FlatSignal>): void {
  for (const w of moduleWarnings(m)) ctx.warnings.push(scope.length ? { ...w, message: `${w.message} (in ${scope.join('.')})` } : w);
  const memMap = new Map<Memory, FlatMemory>();
  for (const mem of m.memories) {
    const f: FlatMemory = { ...mem, id: ctx.memories.length, name: [...scope, mem.name].join('.'), scope, local: mem.name };
    ctx.memories.push(f);
    memMap.set(mem, f);
  }
  const memo = new Map<Expr, Expr>();
  const rw = (e: Expr) => rewrite(e, sigMap, memMap, memo);
  const low = lowerModule(m);
  for (const [sig, d] of low.comb) ctx.comb.push({ signal: sigMap.get(sig)!, expr: rw(d.expr), loc: d.loc });
  for (const [sig, d] of low.regs) ctx.regs.push({ signal: sigMap.get(sig)!, next: rw(d.expr), reset: sig.reset ?? 0n });
  for (const w of low.memWrites) ctx.memWrites.push({ mem: memMap.get(w.mem)!, port: w.port, enable: rw(w.enable), addr: rw(w.addr), data: rw(w.data), mask: w.mask ? rw(w.mask) : null });
  for (const r of low.memReads) ctx.memReads.push({ mem: memMap.get(r.mem)!, port: r.port, enable: rw(r.enable), addr: rw(r.addr) });

  for (const inst of m.instances) {
    const childScope = [...scope, inst.name];
    const childMap = new Map<Signal, FlatSignal>();
    for (const s of inst.module.signals) {
      if (s.kind === 'input' && (s.name === 'clk' || s.name === 'rst')) {
        // One clock and one reset for the whole design: the top's.
        childMap.set(s, findTopClock(ctx, s.name));
        continue;
      }
      childMap.set(s, addSignal(ctx, s, childScope, s.kind === 'input' || s.kind === 'output' ? 'wire' : s.kind));
    }
    for (const [port, e] of inst.inputs) {
      const p = inst.module.ports.find((x) => x.name === port)!;
      ctx.comb.push({ signal: childMap.get(p)!, expr: rw(e), loc: inst.loc, port: true });
    }
    for (const [port, parentSig] of inst.outputs) {
      const p = inst.module.ports.find((x) => x.name === port)!;
      const child = childMap.get(p)!;
      ctx.comb.push({ signal: sigMap.get(parentSig)!, expr: { kind: 'ref', width: child.width, signal: child }, loc: inst.loc, port: true });
    }
    inline(ctx, inst.module, childScope, childMap);
  }
}

function findTopClock(ctx: Ctx, name: string): FlatSignal {
  const s = ctx.signals.find((x) => x.scope.length === 0 && x.local === name);
  if (!s) throw new Error(`internal: top-level ${name} missing while a child is clocked`);
  return s;
}

function rewrite(e: Expr, sigMap: Map<Signal, FlatSignal>, memMap: Map<Memory, FlatMemory>, memo: Map<Expr, Expr>): Expr {
  const hit = memo.get(e);
  if (hit) return hit;
  const r = (x: Expr) => rewrite(x, sigMap, memMap, memo);
  let out: Expr;
  switch (e.kind) {
    case 'const': out = e; break;
    case 'ref': out = { kind: 'ref', width: e.width, signal: sigMap.get(e.signal)! }; break;
    case 'memread': out = { kind: 'memread', width: e.width, mem: memMap.get(e.mem)!, port: e.port }; break;
    case 'unary': out = { ...e, a: r(e.a) }; break;
    case 'binary': out = { ...e, a: r(e.a), b: r(e.b) }; break;
    case 'mux': out = { ...e, sel: r(e.sel), then: r(e.then), else: r(e.else) }; break;
    case 'slice': out = { ...e, a: r(e.a) }; break;
    case 'ext': out = { ...e, a: r(e.a) }; break;
    case 'concat': out = { ...e, parts: e.parts.map(r) }; break;
  }
  memo.set(e, out);
  return out;
}

/** Orders the combinational assignments by dependency (iterative DFS; loops are errors). */
function levelise(ctx: Ctx): CombAssign[] {
  const driver = new Map<FlatSignal, { signal: FlatSignal; expr: Expr; loc: SourceLoc; port?: boolean }>();
  for (const c of ctx.comb) driver.set(c.signal, c);
  const deps = new Map<FlatSignal, FlatSignal[]>();
  const depsOf = (s: FlatSignal): FlatSignal[] => {
    let d = deps.get(s);
    if (!d) {
      const out: FlatSignal[] = [];
      forEachRef(driver.get(s)!.expr, (x) => { if (driver.has(x as FlatSignal)) out.push(x as FlatSignal); });
      deps.set(s, out);
      d = out;
    }
    return d;
  };
  const state = new Map<FlatSignal, 1 | 2>(); // 1 = on the stack, 2 = done
  const order: CombAssign[] = [];
  for (const root of ctx.comb) {
    if (state.has(root.signal)) continue;
    const stack: { s: FlatSignal; i: number }[] = [{ s: root.signal, i: 0 }];
    state.set(root.signal, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const ds = depsOf(top.s);
      if (top.i < ds.length) {
        const d = ds[top.i++]!;
        const st = state.get(d);
        if (st === 1) throw loopError(stack.map((f) => f.s), d, driver);
        if (st === undefined) { state.set(d, 1); stack.push({ s: d, i: 0 }); }
        continue;
      }
      state.set(top.s, 2);
      const c = driver.get(top.s)!;
      order.push({ signal: c.signal, expr: c.expr });
      stack.pop();
    }
  }
  return order;
}

function loopError(stack: readonly FlatSignal[], back: FlatSignal, driver: Map<FlatSignal, { loc: SourceLoc; port?: boolean }>): ElaborationError {
  const start = stack.indexOf(back);
  const cycle = stack.slice(start);
  // The DFS walked from a signal to what it reads; print the loop in the direction data flows.
  const flow = [...cycle].reverse();
  // The assignment that closes the loop is the one in the outermost module (a parent feeding a
  // child's output back into its input): the headline names it, and the hops start from it.
  // Instance port connections are wiring, not the designer's assignment.
  const rank = (s: FlatSignal) => s.scope.length * 2 + (driver.get(s)!.port ? 1 : 0);
  let close = 0;
  flow.forEach((s, i) => { if (rank(s) < rank(flow[close]!)) close = i; });
  const hops = [...flow.slice(close), ...flow.slice(0, close)];
  const lines = hops.map((s) => `${s.name} (driven at ${driver.get(s)!.loc.text})`);
  lines.push(`${hops[0]!.name}`);
  const first = driver.get(hops[0]!)!.loc;
  const across = new Set(cycle.map((s) => s.scope.join('.'))).size > 1;
  const headline = `combinational loop through ${cycle.length} signal${cycle.length > 1 ? 's' : ''}${across ? `, closed by the assignment to ${hops[0]!.name} here` : ''}:`;
  return new ElaborationError(headline, first, lines.map((l, i) => (i === 0 ? l : `-> ${l}`)));
}
