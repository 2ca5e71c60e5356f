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
// Why bounded functions: V8 stops optimising a function whose source passes ~60-90 KB (then
// it runs ~20x slower), so statements are packed into functions of at most CHUNK_CHARS and a
// small driver calls them in order.

import type { Expr, FlatDesign, FlatMemory, FlatSignal } from '../../ir.ts';
import { SlotLayout } from './layout.ts';
import { countUses, ExprCompiler } from './expr.ts';
import { bigToWords, wordsFor } from './wide.ts';

const CHUNK_CHARS = 24_000;

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

export function generate(flat: FlatDesign): Program {
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
  for (const c of flat.comb) assignInto(x, layout.signal.get(c.signal as FlatSignal)!, c.expr);

  // --- clock edge: compute everything from the pre-edge state ------------------------------
  const edge: string[] = [];
  x.out = edge;
  const commits: string[] = [];
  for (const r of flat.regs) {
    const sig = r.signal as FlatSignal;
    if (r.next.kind === 'ref' && r.next.signal === sig) continue; // holds forever
    const dst = layout.signal.get(sig)!, n = wordsFor(sig.width);
    const src = valueSlot(x, layout, r.next);
    for (let i = 0; i < n; i++) commits.push(`s[${dst + i}]=s[${src + i}];`);
  }
  const writes = flat.memWrites.map((w) => ({
    w, en: scalarSlot(x, layout, w.enable), addr: scalarSlot(x, layout, w.addr),
    data: valueSlot(x, layout, w.data), mask: w.mask ? valueSlot(x, layout, w.mask) : -1,
  }));
  const reads = flat.memReads.map((r) => ({ r, en: scalarSlot(x, layout, r.enable), addr: scalarSlot(x, layout, r.addr) }));

  for (const { r, en, addr } of reads) {
    const m = r.mem as FlatMemory, n = wordsFor(m.width), mi = memIndex.get(m)!;
    const rd = layout.readData.get(m)![r.port]!;
    const copy = Array.from({ length: n }, (_, i) => `s[${rd + i}]=m${mi}[a*${n}+${i}];`).join('');
    // An address past the depth (non-power-of-two memories) reads zero, as Verilator does.
    const zero = Array.from({ length: n }, (_, i) => `s[${rd + i}]=0;`).join('');
    edge.push(`if(s[${en}]){a=s[${addr}];if(a<${m.depth}){${copy}}else{${zero}}}`);
  }
  for (const { w, en, addr, data, mask } of writes) {
    const m = w.mem as FlatMemory, n = wordsFor(m.width), mi = memIndex.get(m)!;
    let body: string;
    if (mask < 0) body = Array.from({ length: n }, (_, i) => `m${mi}[a*${n}+${i}]=s[${data + i}];`).join('');
    else body = laneWrites(m, mi, data, mask);
    edge.push(`if(s[${en}]){a=s[${addr}];if(a<${m.depth}){${body}}}`);
  }
  edge.push(...commits);

  // --- reset: registers only ----------------------------------------------------------------
  const reset: string[] = [];
  for (const r of flat.regs) {
    const off = layout.signal.get(r.signal as FlatSignal)!;
    bigToWords(r.reset, r.signal.width).forEach((v, i) => reset.push(`s[${off + i}]=${v};`));
  }

  const rstSig = flat.inputs.find((s) => s.local === 'rst' && s.scope.length === 0);
  return {
    layout, memories: flat.memories,
    comb: chunk(comb), edge: chunk(edge), reset: chunk(reset),
    rst: rstSig ? layout.signal.get(rstSig)! : -1,
  };
}

/** Emits `dst = expr` for a signal. */
function assignInto(x: ExprCompiler, dst: number, e: Expr): void {
  if (e.width <= 32) { x.out.push(`s[${dst}]=${x.narrow(e)};`); return; }
  const src = x.wide(e);
  for (let i = 0; i < wordsFor(e.width); i++) x.out.push(`s[${dst + i}]=s[${src + i}];`);
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
  const src = x.wide(e);
  // Signals and read registers change during the edge; computed slots do not.
  if (e.kind !== 'ref' && e.kind !== 'memread') return src;
  const n = wordsFor(e.width), off = layout.alloc(n);
  for (let i = 0; i < n; i++) x.out.push(`s[${off + i}]=s[${src + i}];`);
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

/** Packs statements into function bodies of at most CHUNK_CHARS characters. */
function chunk(stmts: readonly string[]): string[] {
  const out: string[] = [];
  let cur: string[] = [], size = 0;
  for (const st of stmts) {
    if (size + st.length > CHUNK_CHARS && cur.length) { out.push(cur.join('\n')); cur = []; size = 0; }
    cur.push(st);
    size += st.length + 1;
  }
  if (cur.length) out.push(cur.join('\n'));
  return out;
}
