// sim/verilator/glue.ts — the per-design C++ that ties a Verilated model to the shared buffer.
//
// The JS side and the addon share one Uint32Array: every signal owns ceil(width/32) words
// (little-endian, the layout of Verilator's own wide words). The glue header generated here
// copies inputs from the buffer into the model, outputs and signals back, reads and writes
// memories, and gives registers their reset values as initial values (as the JS engine does).
// Which internal signals exist in the model is read from the header Verilator wrote, so a
// signal Verilator renamed or dropped is simply not offered, never a compile error.

import type { FlatDesign } from '../../hw/hdl/index.ts';

export interface SlotInfo {
  /** Flat (hierarchical) name, as in the JS engine: 'wptr', 'tx.fifo.count'. */
  readonly name: string;
  readonly width: number;
  /** Offset in 32-bit words in the shared buffer. */
  readonly offset: number;
  readonly words: number;
  /** in: written by JS, out: top-level output, sig: internal (fetched on demand). */
  readonly kind: 'in' | 'out' | 'sig';
  /** Index for the addon's pullSignal. */
  readonly index: number;
}

export interface MemSlotInfo {
  readonly name: string;
  readonly width: number;
  readonly depth: number;
  readonly words: number;
  readonly index: number;
}

/** What the JS side needs to drive a built addon; stored beside it in the cache. */
export interface AddonLayout {
  readonly top: string;
  readonly clocked: boolean;
  readonly slots: readonly SlotInfo[];
  readonly memories: readonly MemSlotInfo[];
  /** Offset of the words a memory access reads or writes. */
  readonly scratch: number;
  readonly totalWords: number;
}

/**
 * Verilator configuration keeping every signal of the design readable and every memory
 * writable by name. Naming them one by one (not `-var "*"`) matters: the emitter's own
 * temporaries stay private, so Verilator still optimises them away (about 1.5x faster).
 */
export function publicConfig(flat: FlatDesign): string {
  const lines = ['`verilator_config'];
  const isTopPort = (s: FlatDesign['signals'][number]) => s.scope.length === 0 && (s.kind === 'input' || s.kind === 'output');
  const signals = new Set(flat.signals.filter((s) => !isTopPort(s)).map((s) => s.local));
  for (const m of flat.memories) for (const p of m.ports) if (p.read) signals.add(p.name);
  for (const name of [...signals].sort()) lines.push(`public_flat_rd -module "*" -var "${name}"`);
  for (const name of [...new Set(flat.memories.map((m) => m.local))].sort()) lines.push(`public_flat_rw -module "*" -var "${name}"`);
  return lines.join('\n') + '\n';
}

/** Maps flat names ('tx.count', 'wptr') to the C++ members Verilator declared in its root class. */
export function rootMembers(rootHeader: string): Map<string, string> {
  const ports = new Map<string, string>();
  const internal = new Map<string, string>();
  const decode = (s: string) => s.replace(/__0([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  for (const line of rootHeader.split('\n')) {
    const port = /\bVL_(?:IN|OUT|INOUT)\w*\((\w+),/.exec(line);
    if (port) { ports.set(decode(port[1]!), port[1]!); continue; }
    // Verilator's own members ('__Vdly__top__DOT__r', the value r takes at the edge, kept as a
    // member when --output-split-cfuncs splits the function using it) are not the signal.
    const v = /\s(\w+__DOT__\w+);\s*$/.exec(line);
    if (v && !v[1]!.startsWith('__V')) internal.set(v[1]!.split('__DOT__').slice(1).map(decode).join('.'), v[1]!);
  }
  // A public top-level port also has an internal copy ('top__DOT__clk'); the port itself is
  // what the model reads its inputs from.
  return new Map([...internal, ...ports]);
}

const words = (width: number) => Math.ceil(width / 32);

/** The buffer layout and the glue header for a design whose Verilated root header is `rootHeader`. */
export function generateGlue(flat: FlatDesign, top: string, rootHeader: string): { layout: AddonLayout; header: string } {
  const members = rootMembers(rootHeader);
  const clocked = flat.inputs.some((s) => s.name === 'clk');
  // Verilator 5 finds edges by comparing clk with its value at the last evaluation, kept in
  // this member ('__Vtrigrprev__TOP__clk' in 5.006, '__Vtrigprevexpr___TOP__clk__0' later).
  // Clearing it with clk saves the clk=0 evaluation of every cycle. Without it: two evaluations.
  const prev = clocked ? /\s(__Vtrig\w*prev\w*_TOP__clk(?:__0)?);/.exec(rootHeader) : null;
  const clockPrev = prev ? prev[1]! : null;
  const slots: SlotInfo[] = [];
  let offset = 0;
  const add = (name: string, width: number, kind: SlotInfo['kind']) => {
    slots.push({ name, width, offset, words: words(width), kind, index: slots.length });
    offset += words(width);
  };
  for (const s of flat.inputs) if (s.name !== 'clk') add(s.name, s.width, 'in');
  for (const s of flat.outputs) add(s.name, s.width, 'out');
  const ports = new Set([...flat.inputs, ...flat.outputs].map((s) => s.name));
  for (const s of flat.signals) if (!ports.has(s.name) && members.has(s.name)) add(s.name, s.width, 'sig');
  // Memory read data registers, under their Verilog names (as the JS engine offers them).
  for (const m of flat.memories) {
    for (const p of m.ports) {
      const name = [...m.scope, p.name].join('.');
      if (p.read && members.has(name)) add(name, m.width, 'sig');
    }
  }
  const memories: MemSlotInfo[] = [];
  for (const m of flat.memories) {
    if (members.has(m.name)) memories.push({ name: m.name, width: m.width, depth: m.depth, words: words(m.width), index: memories.length });
  }
  const scratch = offset;
  offset += Math.max(1, ...memories.map((m) => m.words));
  const layout: AddonLayout = { top, clocked, slots, memories, scratch, totalWords: offset };

  const member = (name: string) => {
    const m = members.get(name);
    if (!m) throw new Error(`internal: Verilator's model of ${top} has no member for port '${name}'`);
    return `r->${m}`;
  };
  const copyOut = (s: SlotInfo) => `toWords(${member(s.name)}, b + ${s.offset});`;
  const regInits: string[] = [];
  for (const r of flat.regs) {
    const m = members.get(r.signal.name);
    // Registers start at their reset values; one out of reach would start at 0 instead.
    if (!m && r.reset !== 0n) throw new Error(`internal: Verilator's model of ${top} has no member for register '${r.signal.name}', which must start at ${r.reset}`);
    if (!m || r.reset === 0n) continue;
    const w = Array.from({ length: words(r.signal.width) }, (_, i) => `0x${((r.reset >> BigInt(32 * i)) & 0xffffffffn).toString(16)}u`);
    regInits.push(`  { static const uint32_t w[] = {${w.join(', ')}}; fromWords(r->${m}, w); }`);
  }
  const h = [
    `// Generated by sim/verilator/glue.ts for ${top}. Do not edit.`,
    '#pragma once',
    '#include <cstdint>',
    `#include "V${top}.h"`,
    `#include "V${top}___024root.h"`,
    `using Model = V${top};`,
    `using Root = V${top}___024root;`,
    `static constexpr bool kClocked = ${clocked};`,
    `static constexpr int kSlots = ${slots.length};`,
    `static constexpr int kMemories = ${memories.length};`,
    `static constexpr uint32_t kScratch = ${scratch};`,
    `static inline void setClk(Root* r, uint8_t v) { ${clocked ? 'r->clk = v;' : '(void)r; (void)v;'} }`,
    '/** Lowers clk as if the model had evaluated it, so the next evaluation with clk=1 is a rising edge. */',
    `static constexpr bool kFastClock = ${clockPrev !== null};`,
    `static inline void clkFallNoEval(Root* r) { ${clockPrev !== null ? `r->clk = 0; r->${clockPrev} = 0;` : '(void)r;'} }`,
    'static inline void pushInputs(Root* r, const uint32_t* b) {',
    ...slots.filter((s) => s.kind === 'in').map((s) => `  fromWords(${member(s.name)}, b + ${s.offset});`),
    '  (void)r; (void)b;',
    '}',
    'static inline void pullOutputs(Root* r, uint32_t* b) {',
    ...slots.filter((s) => s.kind === 'out').map((s) => `  ${copyOut(s)}`),
    '  (void)r; (void)b;',
    '}',
    'static inline void pullSignal(Root* r, int i, uint32_t* b) {',
    '  switch (i) {',
    ...slots.map((s) => `  case ${s.index}: ${copyOut(s)} break;`),
    '  default: (void)r; (void)b; break;',
    '  }',
    '}',
    'static inline uint32_t memDepth(int m) {',
    '  switch (m) {',
    ...memories.map((m) => `  case ${m.index}: return ${m.depth};`),
    '  default: return 0;',
    '  }',
    '}',
    '/** Copies word `a` of memory `m` to (write=false) or from (write=true) `w`; the caller checks bounds. */',
    'static inline void memAccess(Root* r, int m, uint32_t a, uint32_t* w, bool write) {',
    '  switch (m) {',
    ...memories.map((m) => `  case ${m.index}: if (write) fromWords(r->${members.get(m.name)}[a], w); else toWords(r->${members.get(m.name)}[a], w); break;`),
    '  default: (void)r; (void)a; (void)w; (void)write; break;',
    '  }',
    '}',
    'static inline void initRegs(Root* r) {',
    ...regInits,
    '  (void)r;',
    '}',
    '',
  ];
  return { layout, header: h.join('\n') };
}
