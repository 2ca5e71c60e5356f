// hw/hdl/sim/fuzz/design.ts — random designs for differential testing of the simulators.
//
// `randomDesign(seed, index)` is a pure function of its arguments: the same design, with the
// same Verilog, every time. Each design has inputs and outputs of widths 1..200 (signed and
// unsigned), registers with reset values, combinational blocks that read what they assigned,
// nested when/elsewhen/otherwise and switch, an FSM, memories (one or two ports, byte
// enables, initial contents, depths that are not powers of two) and a child module that is
// instantiated once or twice. Module names carry the index, so many designs fit in one
// Verilog file.

import { Bits, bool, input, lit, module, mux, output, s, switchOn, u, when, type IoSpec, type Layout, type ModuleBuilder, type ModuleDef, type PortSpec, type UInt } from '../../index.ts';
import { ExprGen, like, type Value } from './expr.ts';
import { Rng, randomWidth } from './random.ts';

export interface FuzzDesignOptions {
  /** Upper bound on expression nesting (default 3). */
  readonly depth?: number;
}

/** Random design number `index` of the run seeded with `seed`; its top module is `fz<index>`. */
export function randomDesign(seed: number, index: number, options: FuzzDesignOptions = {}): ModuleDef<IoSpec> {
  const rng = new Rng(seed).fork(index);
  return randomModule(rng, `fz${index}`, 0, options.depth ?? 3);
}

function randomLayout(rng: Rng, maxWidth = 200): Layout {
  const r = rng.int(10);
  if (r < 2) return bool;
  return r < 6 ? u(randomWidth(rng, maxWidth)) : s(randomWidth(rng, maxWidth));
}

function resetFor(rng: Rng, l: Layout): bigint | boolean {
  if (l.kind === 'bool') return rng.chance(0.5);
  const v = rng.chance(0.5) ? 0n : rng.bits(l.width);
  return l.kind === 'sint' ? BigInt.asIntN(l.width, v) : v;
}

function randomModule(rng: Rng, name: string, level: number, depth: number): ModuleDef<IoSpec> {
  const spec: Record<string, PortSpec> = {};
  const nIn = rng.range(1, level ? 3 : 5), nOut = rng.range(level ? 1 : 3, level ? 3 : 7);
  for (let i = 0; i < nIn; i++) spec[`i${i}`] = input(randomLayout(rng));
  for (let i = 0; i < nOut; i++) spec[`o${i}`] = output(randomLayout(rng));
  const child = level === 0 && rng.chance(0.6) ? randomModule(rng.fork(7), `${name}_sub`, 1, Math.max(1, depth - 1)) : null;
  const bodyRng = rng.fork(11);
  return module(name, spec, (m, io) => new Body(bodyRng, m, io as unknown as Record<string, Bits>, spec, depth).build(child), { index: name });
}

class Body {
  private readonly pool: Bits[] = [];
  private readonly inputs: Bits[] = [];
  private readonly g: ExprGen;

  constructor(private readonly rng: Rng, private readonly m: ModuleBuilder, private readonly io: Record<string, Bits>, private readonly spec: Record<string, PortSpec>, private readonly depth: number) {
    this.g = new ExprGen(rng, () => this.pool);
    for (const [k, p] of Object.entries(spec)) if (p.dir === 'in') this.inputs.push(io[k]!);
    this.pool.push(...this.inputs);
  }

  private expr(w: number, signed: boolean, depth = this.depth): Value { return this.g.expr(depth, w, signed); }
  private valueFor(target: Bits, depth = this.depth): Bits {
    return like(this.rng, target, this.expr(target.width, this.rng.chance(0.5), depth));
  }

  build(child: ModuleDef<IoSpec> | null): void {
    const { rng, m } = this;
    const regs: Bits[] = [];
    for (let i = rng.range(1, 5); i > 0; i--) {
      const l = randomLayout(rng, 130);
      regs.push(m.reg(`r${regs.length}`, l, resetFor(rng, l) as never) as unknown as Bits);
    }
    this.pool.push(...regs);
    for (let b = rng.range(1, 3); b > 0; b--) this.combBlock(b);
    if (rng.chance(0.5)) this.pool.push(m.let('shared', this.expr(randomWidth(rng, 100), false)));
    if (child) for (let k = rng.range(1, 2) - 1; k >= 0; k--) this.instance(`u${k}`, child);
    if (rng.chance(0.6)) this.fsm();
    for (let k = rng.int(3); k > 0; k--) this.memory(`mem${k}`);
    // Registers are split between one or two clocked blocks.
    const split = rng.int(regs.length + 1);
    for (const part of [regs.slice(0, split), regs.slice(split)]) if (part.length) this.seqBlock(part);
    for (const [k, p] of Object.entries(this.spec)) {
      if (p.dir !== 'out') continue;
      const o = this.io[k]!;
      o.set((rng.chance(0.4) ? like(rng, o, rng.pick(this.pool)) : this.valueFor(o)) as never);
    }
  }

  private combBlock(b: number): void {
    const { rng, m } = this;
    const targets: Bits[] = [];
    for (let i = rng.range(1, 3); i > 0; i--) targets.push(m.wire(`w${b}_${targets.length}`, randomLayout(rng, 140)) as unknown as Bits);
    m.comb(() => {
      // Every target gets a value first, so no path leaves one unassigned (a latch). The first
      // reads an input: Icarus never runs an `always @*` that reads no signal from outside it
      // (Verilog-2005 semantics; SystemVerilog's always_comb would), leaving its outputs X.
      targets.forEach((t, i) => t.set((i === 0 ? like(rng, t, rng.pick(this.inputs)) : this.valueFor(t)) as never));
      this.pool.push(...targets);
      this.statements(2, targets);
    });
  }

  /** A few random statements assigning `targets`, with nested when/elsewhen/otherwise and switch. */
  private statements(depth: number, targets: readonly Bits[], assigned?: Set<Bits>): void {
    const { rng, g } = this;
    for (let n = rng.range(1, 3); n > 0; n--) {
      const r = depth > 0 ? rng.int(5) : 0;
      if (r <= 1) {
        const t = rng.pick(targets);
        t.set(this.valueFor(t, 2) as never);
        assigned?.add(t);
      } else if (r <= 3) {
        const body = () => this.statements(depth - 1, targets, assigned);
        const chain = when(g.cond(2), body);
        const next = rng.chance(0.4) ? chain.elsewhen(g.cond(1), body) : chain;
        if (rng.chance(0.5)) next.otherwise(body);
      } else {
        const sw = rng.range(1, 3);
        const subject = this.expr(sw, false, 1) as UInt<number>;
        const values = [...Array(2 ** sw).keys()].filter(() => rng.chance(0.5));
        const chain = switchOn(subject);
        for (const v of values) chain.is(rng.chance(0.2) && values.length > 1 ? [v] : v, () => this.statements(depth - 1, targets, assigned));
        if (rng.chance(0.6)) chain.default(() => this.statements(depth - 1, targets, assigned));
      }
    }
  }

  private seqBlock(regs: readonly Bits[]): void {
    const { rng, m } = this;
    m.seq(() => {
      const assigned = new Set<Bits>();
      for (const r of regs) if (rng.chance(0.5)) { r.set(this.valueFor(r) as never); assigned.add(r); }
      this.statements(3, regs, assigned);
      // Every register is assigned somewhere, so the Verilog resets it.
      for (const r of regs) if (!assigned.has(r)) when(this.g.cond(1), () => r.set(this.valueFor(r) as never));
    });
  }

  private instance(name: string, child: ModuleDef<IoSpec>): void {
    const c = this.m.instance(name, child) as unknown as Record<string, Bits>;
    const outs: Bits[] = [];
    for (const [k, p] of Object.entries(child.io as Record<string, PortSpec>)) {
      if (p.dir === 'in') c[k]!.set(this.valueFor(c[k]!, 2) as never);
      else outs.push(c[k]!);
    }
    this.pool.push(...outs);
  }

  private fsm(): void {
    const { rng, m, g } = this;
    const names = ['idle', 'load', 'run', 'drain', 'done'].slice(0, rng.range(2, 5));
    const fsm = m.fsm('phase', names);
    const count = m.reg('phase_count', u(rng.range(2, 6)));
    m.seq(() => {
      count.set(count.add(1));
      const branches: Record<string, () => void> = {};
      for (const st of names) {
        if (rng.chance(0.2)) continue;
        branches[st] = () => when(g.cond(2), () => { fsm.goto(rng.pick(names)); count.set(0); });
      }
      fsm.on(branches);
    });
    this.pool.push(fsm.state as unknown as Bits, count);
  }

  private memory(name: string): void {
    const { rng, m, g } = this;
    const byteEnables = rng.chance(0.3);
    const width = byteEnables ? 8 * rng.range(1, 9) : randomWidth(rng, 120);
    const depth = rng.chance(0.3) ? rng.range(3, 20) : 2 ** rng.range(1, 5);
    const ports = rng.pick([['rw'], ['w', 'r'], ['rw', 'r'], ['rw', 'rw']] as const);
    const init = rng.chance(0.5) ? Array.from({ length: rng.range(1, depth) }, () => rng.bits(width)) : undefined;
    const mem = m.memory(name, { layout: u(width), depth, ports, byteEnables, init });
    const aw = mem.ir.addrWidth;
    // Addresses past the depth read X in Icarus (zero in the js engine and Verilator): keep them in range.
    const addr = () => {
      const a = this.expr(aw, false, 2).asUInt();
      return depth === 2 ** aw ? a : mux(a.lt(depth), a, lit(aw, 0));
    };
    const data = () => this.expr(width, false, 2).asUInt();
    m.seq(() => {
      mem.ports.forEach((p, i) => {
        const kind = ports[i]!;
        if (kind !== 'r') {
          const write = () => (byteEnables ? p.write(addr(), data(), this.expr(width / 8, false, 1).asUInt()) : p.write(addr(), data()));
          const chain = when(g.cond(2), write);
          if (rng.chance(0.3)) chain.otherwise(write);
        }
        if (kind !== 'w') {
          if (rng.chance(0.3)) p.read(addr());
          else when(g.cond(2), () => p.read(addr()));
        }
      });
    });
    mem.ports.forEach((p, i) => { if (ports[i] !== 'w') this.pool.push(p.data as unknown as Bits); });
  }
}
