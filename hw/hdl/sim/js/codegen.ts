// hw/hdl/sim/js/codegen.ts — a flattened design to two straight-line programs: `comb`
// (settle every combinational signal, in the levelised order flatten.ts gives) and `edge`
// (the rising clock edge), each split into functions of bounded size.
//
// The edge has the semantics of the emitted Verilog's non-blocking assignments: every next
// value, memory address and write datum is computed from the pre-edge state. The memories go
// first, while nothing has changed yet: every read (old contents), then the writes in list
// order (the last write wins); then the registers take their next values. While `rst` is 1
// only the registers change (to their reset values): the Verilog puts memory statements in
// the not-reset branch.
//
// A register word that nothing reads after its next value is computed takes it in place; the
// others go through a shadow slot copied at the end (commitInPlace, with registers ordered so
// most are in place). Multi-statement sequences (carry chains) are single statements, so a
// function boundary never falls inside one.
//
// Why bounded functions: V8 stops optimising a function whose source passes ~60-90 KB (then
// it runs ~20x slower; with this generator's dense statements 48 KB already ran ~10-25x
// slower than 24 KB). Smaller is also cheaper to optimise (TurboFan's cost grows faster than
// the size): on bench/designs/lanes.ts 8 KB functions compiled in ~1.2 s in all against ~2.9 s
// at 24 KB, reached full speed sooner and ran as fast once there (6 KB: ~2% slower). So
// statements are packed into functions of at most CHUNK_CHARS (locals.ts, which also keeps
// values in locals) and a small driver calls them in order.

import type { Expr, FlatDesign, FlatMemory, FlatSignal, RegUpdate, Signal } from '../../ir.ts';
import { forEachRef } from '../../lower.ts';
import { SlotLayout } from './layout.ts';
import { countUses, ExprCompiler } from './expr.ts';
import { isLazy } from './wide-expr.ts';
import { bigToWords, wordsFor } from './wide.ts';
import { isAssignment, packFunctions, slotsRead } from './locals.ts';

/** Default bound on a generated function's source, in characters. */
export const CHUNK_CHARS = 8_000;

export interface Program {
  readonly layout: SlotLayout;
  readonly memories: readonly FlatMemory[];
  /** Function bodies (they find `s` and the memories as globals, see engine.ts link), run in order. */
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
  // Memories first, while every slot still holds its pre-edge value (so no operand needs a
  // copy): all reads (old contents), then the writes in list order. A read register that a
  // later edge statement reads is read into a temporary and committed at the end.
  const reads = flat.memReads.map((r) => {
    const m = r.mem as FlatMemory, n = wordsFor(m.width), mi = memIndex.get(m)!;
    const rd = layout.readData.get(m)![r.port]!, tmp = layout.alloc(n);
    const en = x.narrow(r.enable), addr = x.narrow(r.addr);
    // `to`: where the data goes (rd itself, or tmp, which keeps rd's value when not enabled).
    const text = (to: number) => {
      const copy = Array.from({ length: n }, (_, i) => `s[${to + i}]=m${mi}[a*${n}+${i}];`).join('');
      // An address past the depth (non-power-of-two memories) reads zero, as Verilator does.
      const zero = Array.from({ length: n }, (_, i) => `s[${to + i}]=0;`).join('');
      const hold = to === rd ? '' : `else{${Array.from({ length: n }, (_, i) => `s[${to + i}]=s[${rd + i}];`).join('')}}`;
      return `if(${en}){a=${addr};if(a<${m.depth}){${copy}}else{${zero}}}${hold}`;
    };
    edge.push(text(tmp));
    return { at: edge.length - 1, rd, tmp, n, text };
  });
  for (const w of flat.memWrites) {
    const m = w.mem as FlatMemory, n = wordsFor(m.width), mi = memIndex.get(m)!;
    const en = x.narrow(w.enable), addr = x.narrow(w.addr);
    const body = w.mask
      ? laneWrites(m, mi, (k) => x.simpleWord(w.data, k), (k) => x.simpleWord(w.mask!, k))
      : Array.from({ length: n }, (_, i) => `m${mi}[a*${n}+${i}]=${x.word(w.data, i)};`).join('');
    edge.push(`if(${en}){a=${addr};if(a<${m.depth}){${body}}}`);
  }
  const commits: { dst: number; src: number; at: number }[] = [];
  for (const r of inPlaceOrder(flat.regs)) {
    const sig = r.signal as FlatSignal, e = r.next;
    if (e.kind === 'ref' && e.signal === sig) continue; // holds forever
    const dst = layout.signal.get(sig)!, n = wordsFor(sig.width);
    // `at`: the statement computing a word of the next value, which may write the register in
    // place. Arithmetic wider than 32 bits is a multi-statement chain: it keeps its shadow.
    if (n > 1 && !isLazy(e) && e.kind !== 'ref' && e.kind !== 'memread' && e.kind !== 'const') {
      const src = x.wide(e);
      for (let i = 0; i < n; i++) commits.push({ dst: dst + i, src: src + i, at: -1 });
      continue;
    }
    const src = layout.alloc(n);
    for (let i = 0; i < n; i++) {
      edge.push(`s[${src + i}]=${x.word(e, i)};`);
      commits.push({ dst: dst + i, src: src + i, at: edge.length - 1 });
    }
  }
  // A read register no other edge statement reads takes the data directly.
  const readers = new Map<number, Set<number>>();
  edge.forEach((st, i) => { for (const k of slotsRead(st)) (readers.get(k) ?? readers.set(k, new Set()).get(k)!).add(i); });
  for (const r of reads) {
    if (Array.from({ length: r.n }, (_, i) => readers.get(r.rd + i)).some((at) => at && [...at].some((i) => i !== r.at))) {
      for (let i = 0; i < r.n; i++) commits.push({ dst: r.rd + i, src: r.tmp + i, at: -1 });
    } else edge[r.at] = r.text(r.rd);
  }
  edge.push(...commitInPlace(edge, commits));

  // --- reset: registers only ----------------------------------------------------------------
  const reset: string[] = [];
  for (const r of flat.regs) {
    const off = layout.signal.get(r.signal as FlatSignal)!;
    bigToWords(r.reset, r.signal.width).forEach((v, i) => reset.push(`s[${off + i}]=${v};`));
  }

  const rstSig = flat.inputs.find((s) => s.local === 'rst' && s.scope.length === 0);
  // Slots the engine reads directly (peek, port handles, VCD): every signal and read register.
  const pinned = new Set<number>();
  for (const [sig, off] of layout.signal) for (let i = 0; i < wordsFor(sig.width); i++) pinned.add(off + i);
  for (const [m, offs] of layout.readData) for (const o of offs) for (let i = 0; o >= 0 && i < wordsFor(m.width); i++) pinned.add(o + i);
  const [c, e, r] = packFunctions([comb, edge, reset], chunkChars, (slot) => pinned.has(slot));
  return {
    layout, memories: flat.memories, comb: c!, edge: e!, reset: r!,
    rst: rstSig ? layout.signal.get(rstSig)! : -1,
  };
}

/** Emits `dst = expr` for a signal. */
function assignInto(x: ExprCompiler, dst: number, e: Expr): void {
  if (e.width <= 32) { x.out.push(`s[${dst}]=${x.narrow(e)};`); return; }
  for (let i = 0; i < wordsFor(e.width); i++) x.out.push(`s[${dst + i}]=${x.word(e, i)};`);
}

/** A byte-masked write: lane i (8 bits) is written when mask bit i is set (`data(k)`, `mask(k)`: word k, simple texts). */
function laneWrites(m: FlatMemory, mi: number, data: (k: number) => string, mask: (k: number) => string): string {
  const n = wordsFor(m.width), lanes = m.width / m.laneWidth!;
  const out: string[] = [];
  for (let i = 0; i < lanes; i++) {
    const bit = `(${mask(i >>> 5)}>>>${i & 31})&1`;
    const k = (i * 8) >>> 5, sh = (i * 8) & 31;
    const lm = (0xff << sh) >>> 0;
    out.push(`if(${bit}){m${mi}[a*${n}+${k}]=(m${mi}[a*${n}+${k}]&${~lm >>> 0})|(${data(k)}&${lm});}`);
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
  // Reads are found in the text, wide helpers' operands included (slotsRead).
  const lastRead = new Map<number, number>();
  edge.forEach((st, i) => { for (const k of slotsRead(st)) lastRead.set(k, i); });
  const out: string[] = [];
  for (const c of commits) {
    const prefix = `s[${c.src}]=`;
    if (c.at >= 0 && (lastRead.get(c.dst) ?? -1) <= c.at && edge[c.at]!.startsWith(prefix) && isAssignment(edge[c.at]!) && (lastRead.get(c.src) ?? -1) <= c.at) {
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
