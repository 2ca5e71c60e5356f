// hw/hdl/checks.ts — per-module elaboration checks, each reported with the designer's
// file:line: latches and double drivers (found while lowering), undriven outputs, wires that
// are read but never driven, children's inputs left unconnected; unused inputs are warnings.
// Combinational loops cross module boundaries, so they are found on the flattened design
// (flatten.ts).

import type { ModuleIR, Signal } from './ir.ts';
import { ElaborationError } from './loc.ts';
import { forEachRef, lowerModule } from './lower.ts';

export interface Warning { readonly module: string; readonly message: string; readonly loc: string }

const warningsByModule = new WeakMap<ModuleIR, Warning[]>();

/** Warnings found while checking `m` (not its children). */
export function moduleWarnings(m: ModuleIR): readonly Warning[] { return warningsByModule.get(m) ?? []; }

export function checkModule(m: ModuleIR): void {
  const low = lowerModule(m);
  const read = new Set<Signal>();
  const seen = new Set<import('./ir.ts').Expr>();
  const mark = (s: Signal) => read.add(s);
  for (const d of low.comb.values()) forEachRef(d.expr, mark, seen);
  for (const d of low.regs.values()) forEachRef(d.expr, mark, seen);
  for (const w of low.memWrites) { forEachRef(w.enable, mark, seen); forEachRef(w.addr, mark, seen); forEachRef(w.data, mark, seen); if (w.mask) forEachRef(w.mask, mark, seen); }
  for (const r of low.memReads) { forEachRef(r.enable, mark, seen); forEachRef(r.addr, mark, seen); }
  const instanceDriven = new Set<Signal>();
  const childInput = new Map<Signal, string>();
  for (const inst of m.instances) {
    for (const [port, e] of inst.inputs) {
      forEachRef(e, mark, seen);
      if (e.kind === 'ref') childInput.set(e.signal, `input '${port}' of instance '${inst.name}' (${inst.module.baseName})`);
    }
    for (const s of inst.outputs.values()) instanceDriven.add(s);
  }
  const warnings: Warning[] = [];
  for (const s of m.signals) {
    const driven = low.comb.has(s) || low.regs.has(s) || instanceDriven.has(s);
    if (s.kind === 'output' && !driven) {
      throw new ElaborationError(`output '${s.name}' of module '${m.name}' is never driven`, s.loc);
    }
    if (s.kind === 'wire' && !driven) {
      const child = childInput.get(s);
      if (child) throw new ElaborationError(`${child} is not connected (drive '${s.name}')`, s.loc);
      if (read.has(s)) throw new ElaborationError(`wire '${s.name}' is read but never driven`, s.loc);
      warnings.push({ module: m.name, message: `wire '${s.name}' is never used`, loc: s.loc.text });
    }
    if (s.kind === 'input' && s.name !== 'clk' && s.name !== 'rst' && !read.has(s)) {
      warnings.push({ module: m.name, message: `input '${s.name}' is never used`, loc: s.loc.text });
    }
  }
  for (const r of low.unassignedRegs) {
    warnings.push({ module: m.name, message: `register '${r.name}' is never assigned: it keeps its reset value`, loc: r.loc.text });
  }
  warningsByModule.set(m, warnings);
}
