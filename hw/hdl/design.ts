// hw/hdl/design.ts — the entry points: elaborate a design (with every check), emit it.

import type { ModuleDef } from './module.ts';
import type { IoSpec } from './ports.ts';
import { flatten, type Design } from './flatten.ts';
import { emitVerilog, type VerilogOptions, type VerilogOutput } from './verilog.ts';

const designs = new WeakMap<ModuleDef<IoSpec>, Design>();

/** Elaborates `def` and everything below it, runs every check, and flattens it for simulation. */
export function elaborate(def: ModuleDef<IoSpec>): Design {
  let d = designs.get(def);
  if (!d) { d = flatten(def.elaborate()); designs.set(def, d); }
  return d;
}

/** Verilog for `def` and every module below it, as one self-contained text. */
export function toVerilog(def: ModuleDef<IoSpec>, options?: VerilogOptions): VerilogOutput {
  return emitVerilog(elaborate(def).top, options);
}
