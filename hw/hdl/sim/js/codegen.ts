// hw/hdl/sim/js/codegen.ts — a flattened design to two straight-line programs: `comb`
// (settle every combinational signal, in the levelised order flatten.ts gives) and `edge`
// (the rising clock edge), each split into functions of bounded size.
//
// The edge has the semantics of the emitted Verilog's non-blocking assignments: every next
// value, memory address and write datum is computed from the pre-edge state first; then the
// memories are read (old contents), then written in list order (the last write wins), then
// the registers take their next values. While `rst` is 1 only the registers change (to their
// reset values): the Verilog puts memory statements in the not-reset branch.
//
// A register that nothing reads after its next value is computed takes it in place; the others
// go through a shadow slot copied at the end (commitInPlace, with registers ordered so most
// are in place). Multi-statement sequences (carry chains) are single statements, so a
// function boundary never falls inside one.
//
// Why bounded functions: V8 stops optimising a function whose source passes ~60-90 KB (then
// it runs ~20x slower; with this generator's dense statements 48 KB already ran ~25x slower
// than 24 KB), so statements are packed into functions of at most CHUNK_CHARS and a small
// driver calls them in order.

import type { Expr, FlatDesign, FlatMemory, FlatSignal, RegUpdate, Signal } from '../../ir.ts';
import { forEachRef } from '../../lower.ts';
import { SlotLayout } from './layout.ts';
import { countUses, ExprCompiler } from './expr.ts';
import { isLazy } from './wide-expr.ts';
import { bigToWords, wordsFor } from './wide.ts';

/** Default bound on a generated function's source, in characters. */
export const CHUNK_CHARS = 24_000;

export interface Program {
  readonly layout: SlotLayout;
  readonly memories: readonly FlatMemory[];
  /** Function bodies (each takes `s`), run in order. */
  readonly comb: readonly string[];
  readonly edge: readonly string[];
  readonly reset: readonly string[];
  /** Offset of the `rst` input, or -1 for a design without state. */
  readonly rst: number;
}

export function generate(flat: FlatDesign, chunkChars = CHUNK_CHARS): Program {
  const layout = new SlotLayout(flat);
  const roots: Expr[] = [];
  for (const c of flat.comb) roots.push(c.expr);
  for (const r of flat.regs) roots.push(r.next);
  for (const w of flat.memWrites) { roots.push(w.enable, w.addr, w.data); if (w.mask) roots.push(w.mask); }
  for (const r of flat.memReads) roots.push(r.enable, r.addr);
  const x = new ExprCompiler(layout, countUses(roots));
  const memIndex = new Map<FlatMemory, number>(flat.memories.map((m, i) => [m, i]));

  // --- combinational settle ----------------------------------------------------------------
  const comb: string[] = [];
  x.out = comb;
  for (const c of flat.comb) if (!layout.aliases.has(c.signal as FlatSignal)) assignInto(x, layout.signal.get(c.signal as FlatSignal)!, c.expr);

  // --- clock edge: compute everything from the pre-edge state ------------------------------
  const edge: string[] = [];
  x.out = edge;
  // Memory operands first: then no register has been written in place yet when they are read.
  // Slots the edge writes before the memory statements run: operands reading them are copied.
  const live = new Set<number>();
  for (const r of flat.regs) for (let i = 0, o = layout.signal.get(r.signal as FlatSignal)!; i < wordsFor(r.signal.width); i++) live.add(o + i);
  for (const offs of layout.readData.values()) for (const o of offs) live.add(o);
  const operand = (e: Expr): string => {
    const t = x.narrow(e);
    const m = /^s\[(\d+)\]$/.exec(t);
    return /^\d+$/.test(t) || (m && !live.has(Number(m[1]))) ? t : `s[${scalarSlot(x, layout, e)}]`;
  };
  const writes = flat.memWrites.map((w) => ({
    w, en: operand(w.enable), addr: operand(w.addr),
    data: valueSlot(x, layout, w.data), mask: w.mask ? valueSlot(x, layout, w.mask) : -1,
  }));
  const reads = flat.memReads.map((r) => ({ r, en: operand(r.enable), addr: operand(r.addr) }));
  const commits: { dst: number; src: number; at: number }[] = [];
  for (const r of inPlaceOrder(flat.regs)) {
    const sig = r.signal as FlatSignal;
    if (r.next.kind === 'ref' && r.next.signal === sig) continue; // holds forever
    const dst = layout.signal.get(sig)!, n = wordsFor(sig.width);
    const src = valueSlot(x, layout, r.next);
    // `at`: the statement computing a one-word next value, which may write the register in place.
    for (let i = 0; i < n; i++) commits.push({ dst: dst + i, src: src + i, at: n === 1 ? edge.length - 1 : -1 });
  }

  for (const { r, en, addr } of reads) {
    const m = r.mem as FlatMemory, n = wordsFor(m.width), mi = memIndex.get(m)!;
    const rd = layout.readData.get(m)![r.port]!;
    const copy = Array.from({ length: n }, (_, i) => `s[${rd + i}]=m${mi}[a*${n}+${i}];`).join('');
    // An address past the depth (non-power-of-two memories) reads zero, as Verilator does.
    const zero = Array.from({ length: n }, (_, i) => `s[${rd + i}]=0;`).join('');
    edge.push(`if(${en}){a=${addr};if(a<${m.depth}){${copy}}else{${zero}}}`);
  }
  for (const { w, en, addr, data, mask } of writes) {
    const m = w.mem as FlatMemory, n = wordsFor(m.width), mi = memIndex.get(m)!;
    let body: string;
    if (mask < 0) body = Array.from({ length: n }, (_, i) => `m${mi}[a*${n}+${i}]=s[${data + i}];`).join('');
    else body = laneWrites(m, mi, data, mask);
    edge.push(`if(${en}){a=${addr};if(a<${m.depth}){${body}}}`);
  }
  edge.push(...commitInPlace(edge, commits));

  // --- reset: registers only ----------------------------------------------------------------
  const reset: string[] = [];
  for (const r of flat.regs) {
    const off = layout.signal.get(r.signal as FlatSignal)!;
    bigToWords(r.reset, r.signal.width).forEach((v, i) => reset.push(`s[${off + i}]=${v};`));
  }

  const rstSig = flat.inputs.find((s) => s.local === 'rst' && s.scope.length === 0);
  return {
    layout, memories: flat.memories,
    comb: chunk(comb, chunkChars), edge: chunk(edge, chunkChars), reset: chunk(reset, chunkChars),
    rst: rstSig ? layout.signal.get(rstSig)! : -1,
  };
}

/** Emits `dst = expr` for a signal. */
function assignInto(x: ExprCompiler, dst: number, e: Expr): void {
  if (e.width <= 32) { x.out.push(`s[${dst}]=${x.narrow(e)};`); return; }
  for (let i = 0; i < wordsFor(e.width); i++) x.out.push(`s[${dst + i}]=${x.word(e, i)};`);
}

/** A narrow value computed now into a fresh slot (so later state changes cannot alter it). */
function scalarSlot(x: ExprCompiler, layout: SlotLayout, e: Expr): number {
  const off = layout.alloc(1);
  x.out.push(`s[${off}]=${x.narrow(e)};`);
  return off;
}

/** Any value computed now into slots nothing writes before the commit. */
function valueSlot(x: ExprCompiler, layout: SlotLayout, e: Expr): number {
  if (e.width <= 32) return scalarSlot(x, layout, e);
  // Arithmetic results sit in slots nothing else writes; anything that may read a signal or a
  // read register (which change during the edge) is copied out first.
  if (!isLazy(e) && e.kind !== 'ref' && e.kind !== 'memread' && e.kind !== 'const') return x.wide(e);
  const n = wordsFor(e.width), off = layout.alloc(n);
  for (let i = 0; i < n; i++) x.out.push(`s[${off + i}]=${x.word(e, i)};`);
  return off;
}

/** A byte-masked write: lane i (8 bits) is written when mask bit i is set. */
function laneWrites(m: FlatMemory, mi: number, data: number, mask: number): string {
  const n = wordsFor(m.width), lanes = m.width / m.laneWidth!;
  const out: string[] = [];
  for (let i = 0; i < lanes; i++) {
    const bit = lanes <= 32 ? `(s[${mask}]>>>${i})&1` : `(s[${mask + (i >>> 5)}]>>>${i & 31})&1`;
    const k = (i * 8) >>> 5, sh = (i * 8) & 31;
    const lm = (0xff << sh) >>> 0;
    out.push(`if(${bit}){m${mi}[a*${n}+${k}]=(m${mi}[a*${n}+${k}]&${~lm >>> 0})|(s[${data + k}]&${lm});}`);
  }
  return out.join('');
}

/**
 * Registers are committed from their shadow after everything has read the pre-edge state.
 * A register nothing reads after the statement computing its next value can take that value
 * right there instead (rewriting the statement), saving the shadow copy. Returns the copies
 * still needed.
 */
function commitInPlace(edge: string[], commits: readonly { dst: number; src: number; at: number }[]): string[] {
  // Reads are found in the text (`s[n]`). The wide helpers (mulW, shlW, shrW) take offsets,
  // invisible here, but only for values over 32 bits, and only one-word registers (at >= 0)
  // are ever written in place.
  const lastRead = new Map<number, number>();
  // A slot is read wherever it appears other than as the target of a plain assignment.
  const READ = /s\[(\d+)\](?!=[^=])/g;
  edge.forEach((st, i) => { for (const m of st.matchAll(READ)) lastRead.set(Number(m[1]), i); });
  const out: string[] = [];
  for (const c of commits) {
    const prefix = `s[${c.src}]=`;
    if (c.at >= 0 && (lastRead.get(c.dst) ?? -1) <= c.at && edge[c.at]!.startsWith(prefix) && (lastRead.get(c.src) ?? -1) <= c.at) {
      edge[c.at] = `s[${c.dst}]=${edge[c.at]!.slice(prefix.length)}`;
    } else out.push(`s[${c.dst}]=s[${c.src}];`);
  }
  return out;
}

/**
 * Registers in an order where each comes after every other register whose next value reads
 * it, so it can be written in place (see commitInPlace); registers in a cycle (a swap, a
 * ring) are placed as late as possible and keep their shadow copy.
 */
function inPlaceOrder(regs: readonly RegUpdate[]): RegUpdate[] {
  const bySig = new Map<Signal, RegUpdate>(regs.map((r) => [r.signal, r]));
  // reads.get(q): the other registers q's next value reads; waiting.get(r): readers of r not yet placed.
  const reads = new Map<RegUpdate, Set<RegUpdate>>(), waiting = new Map<RegUpdate, number>(regs.map((r) => [r, 0]));
  for (const q of regs) {
    const set = new Set<RegUpdate>();
    forEachRef(q.next, (sig) => { const r = bySig.get(sig); if (r && r !== q) set.add(r); });
    reads.set(q, set);
    for (const r of set) waiting.set(r, waiting.get(r)! + 1);
  }
  const placed = new Set<RegUpdate>(), out: RegUpdate[] = [];
  const queue = regs.filter((r) => waiting.get(r) === 0);
  const place = (q: RegUpdate) => {
    placed.add(q);
    out.push(q);
    for (const r of reads.get(q)!) {
      const n = waiting.get(r)! - 1;
      waiting.set(r, n);
      if (n === 0 && !placed.has(r)) queue.push(r);
    }
  };
  let next = 0;
  while (out.length < regs.length) {
    const q = queue.pop();
    if (q) { if (!placed.has(q)) place(q); continue; }
    // A cycle: place the next register still waiting (it keeps its shadow copy).
    while (placed.has(regs[next]!)) next++;
    place(regs[next]!);
  }
  return out;
}

/** Packs statements into function bodies of at most `limit` characters (a longer statement gets one of its own). */
function chunk(stmts: readonly string[], limit: number): string[] {
  const out: string[] = [];
  let cur: string[] = [], size = 0;
  for (const st of stmts) {
    if (size + st.length > limit && cur.length) { out.push(cur.join('\n')); cur = []; size = 0; }
    cur.push(st);
    size += st.length + 1;
  }
  if (cur.length) out.push(cur.join('\n'));
  return out;
}
