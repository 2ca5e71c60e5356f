// hw/hdl/sim/js/layout.ts — where every value lives: one offset in one Uint32Array per
// signal, memory read register, temporary, constant and shadow (next-state) copy.
//
// One flat array (Hardcaml's Cyclesim does the same) lets generated code address every value
// as `s[constant]`, which V8 compiles to a bounds-checked load with no indirection.

import type { FlatDesign, FlatMemory, FlatSignal } from '../../ir.ts';
import { bigToWords, wordsFor } from './wide.ts';

export class SlotLayout {
  private size = 0;
  readonly signal = new Map<FlatSignal, number>();
  /** Memory -> offset of each port's read data register (-1 for write-only ports). */
  readonly readData = new Map<FlatMemory, number[]>();
  /** Words to write once at construction (constants, reset values of registers, memory read registers). */
  readonly initial: { off: number; words: number[] }[] = [];
  private readonly consts = new Map<string, number>();

  /** Combinational signals that are plain copies of another (instance ports): they share its slot. */
  readonly aliases = new Set<FlatSignal>();

  constructor(flat: FlatDesign) {
    // `x = y` (a port of an instance, a renamed wire) costs nothing at run time: x is y's slot.
    const copyOf = new Map<FlatSignal, FlatSignal>();
    for (const c of flat.comb) {
      if (c.expr.kind === 'ref' && c.expr.signal.width === c.signal.width) copyOf.set(c.signal as FlatSignal, c.expr.signal as FlatSignal);
    }
    const root = (s: FlatSignal): FlatSignal => {
      let r = s;
      for (let n = 0; copyOf.has(r) && n < copyOf.size; n++) r = copyOf.get(r)!;
      return r;
    };
    for (const s of flat.signals) if (!copyOf.has(s)) this.signal.set(s, this.alloc(wordsFor(s.width)));
    for (const s of copyOf.keys()) { this.signal.set(s, this.signal.get(root(s))!); this.aliases.add(s); }
    for (const m of flat.memories) {
      this.readData.set(m, m.ports.map((p) => (p.read ? this.alloc(wordsFor(m.width)) : -1)));
    }
    // Registers start at their reset values, so a design that is never reset is still defined.
    for (const r of flat.regs) this.initial.push({ off: this.signal.get(r.signal as FlatSignal)!, words: bigToWords(r.reset, r.signal.width) });
  }

  alloc(words: number): number {
    const off = this.size;
    this.size += words;
    return off;
  }

  /** A slot holding a constant wider than 32 bits (shared by equal constants). */
  constant(value: bigint, width: number): number {
    const key = `${width}:${value}`;
    let off = this.consts.get(key);
    if (off === undefined) {
      off = this.alloc(wordsFor(width));
      this.initial.push({ off, words: bigToWords(value, width) });
      this.consts.set(key, off);
    }
    return off;
  }

  get words(): number { return this.size; }
}
