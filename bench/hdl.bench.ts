// bench/hdl.bench.ts — `npm run bench:hdl`: elaborates and emits a large generated design
// and prints `hdl-emit: <nodes> nodes, <ms> ms, <kb> KB verilog` (goal: 100,000 nodes < 2 s).
//
// The design is a ring of mixed-width lanes with registers, comparisons, muxes, arithmetic,
// slices and concatenations in clocked and combinational blocks: the shapes real datapaths
// have, not one long chain.

import { parseArgs } from 'node:util';
import { bool, elaborate, emitVerilog, input, module, output, u, when, type UInt } from '../hw/hdl/index.ts';
import type { Expr } from '../hw/hdl/ir.ts';

const { values } = parseArgs({ options: { lanes: { type: 'string', default: '4200' } } });
const lanes = Number(values.lanes);

const big = module('hdl_bench', { go: input(bool), seed: input(u(32)), out: output(u(32)) }, (m, io) => {
  const regs: UInt<number>[] = [];
  for (let i = 0; i < lanes; i++) regs.push(m.reg(`lane${i}`, u(i % 3 === 0 ? 32 : i % 3 === 1 ? 16 : 8)));
  const mixed = regs.map((r, i) => {
    const prev = regs[(i + lanes - 1) % lanes]!;
    const other = regs[(i * 7 + 3) % lanes]!;
    const p = prev.width >= r.width ? prev.trunc(r.width) : prev.zext(r.width);
    const o = other.width >= r.width ? other.trunc(r.width) : other.zext(r.width);
    return m.let(`mix${i}`, p.add(o).xor(r.shr(1)));
  });
  m.seq(() => {
    regs.forEach((r, i) => {
      const x = mixed[i]!;
      when(io.go, () => {
        when(x.gt(r), () => r.set(x.sub(r)))
          .elsewhen(x.bit(0), () => r.set(x.shl(2).or(r.and(3))))
          .otherwise(() => r.set(r.add(io.seed.trunc(r.width))));
      });
    });
  });
  let acc: UInt<32> = io.seed;
  for (let i = 0; i < lanes; i += 3) acc = acc.xor(regs[i] as UInt<32>);
  io.out.set(acc);
});

function countNodes(design: ReturnType<typeof elaborate>): number {
  const seen = new Set<Expr>();
  const visit = (e: Expr) => {
    if (seen.has(e)) return;
    seen.add(e);
    switch (e.kind) {
      case 'unary': case 'slice': case 'ext': visit(e.a); break;
      case 'binary': visit(e.a); visit(e.b); break;
      case 'mux': visit(e.sel); visit(e.then); visit(e.else); break;
      case 'concat': e.parts.forEach(visit); break;
      default: break;
    }
  };
  const f = design.flat;
  for (const c of f.comb) visit(c.expr);
  for (const r of f.regs) visit(r.next);
  return seen.size + f.signals.length;
}

const t0 = performance.now();
const design = elaborate(big);
const t1 = performance.now();
const v = emitVerilog(design.top);
const t2 = performance.now();
const nodes = countNodes(design);
console.log(`elaborate+check+flatten ${(t1 - t0).toFixed(0)} ms, emit ${(t2 - t1).toFixed(0)} ms (cold: one run, no warm-up)`);
console.log(`hdl-emit: ${nodes} nodes, ${(t2 - t0).toFixed(0)} ms, ${(v.text.length / 1024).toFixed(0)} KB verilog`);
