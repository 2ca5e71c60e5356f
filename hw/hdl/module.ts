// hw/hdl/module.ts — modules: declared interface first, then a body that builds the logic.
//
//   export const counter = (width: number) => module('counter', {
//     enable: input(bool), count: output(u(width)),
//   }, (m, io) => {
//     const r = m.regs({ count: u(width) });
//     m.seq(() => when(io.enable, () => r.count.set(r.count.add(1))));
//     io.count.set(r.count);
//   }, { width });
//
// A generator is a plain TypeScript function returning a ModuleDef; calling it with the same
// parameters twice gives identical Verilog, which the emitter prints once.

import type { Block, Instance, Memory, ModuleIR, Signal, SignalKind, Stmt, Expr, EnumInfo } from './ir.ts';
import { enumType, type Layout, type VecLayout } from './layout.ts';
import { ElaborationError, here, type SourceLoc } from './loc.ts';
import { currentBuilder, inBlock, popModule, pushModule, type BuilderHooks } from './context.ts';
import { flattenIo, type FlatPort, type IoOf, type IoSpec, type PortSpec, type StreamSpec, type Stream } from './ports.ts';
import { Bits, Bool, SInt, UInt, constExpr } from './values.ts';
import { EnumValue, VecValue, build, leafValues, pack, unpack, type AnyValue, type ValueOf } from './structs.ts';
import { MemoryHandle, type MemoryOptions } from './memory.ts';
import { Fsm } from './fsm.ts';
import { when } from './statements.ts';
import { checkModule } from './checks.ts';
import { verilogName } from './keywords.ts';

export type Params = Readonly<Record<string, string | number | boolean>>;

export class ModuleDef<S extends IoSpec = IoSpec> {
  private ir: ModuleIR | null = null;
  readonly loc: SourceLoc = here();
  // Stored without its interface type so a ModuleDef<S> is usable wherever any module is.
  private readonly body: (m: ModuleBuilder, io: unknown) => void;
  constructor(
    readonly name: string,
    readonly io: S,
    body: (m: ModuleBuilder, io: IoOf<S>) => void,
    readonly params: Params = {},
  ) {
    this.body = body as (m: ModuleBuilder, io: unknown) => void;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ElaborationError(`module name '${name}' is not a valid identifier`, this.loc);
  }
  /** Builds (once) and checks the module and everything below it. */
  elaborate(): ModuleIR {
    if (!this.ir) {
      const b = new ModuleBuilder(this.name, this.loc);
      const io = b.declareIo(this.io);
      pushModule(b);
      try { this.body(b, io); } finally { popModule(); }
      this.ir = b.finish(this.params);
      checkModule(this.ir);
    }
    return this.ir;
  }
}

/** Declares a module: name, interface, body, and the generator parameters (for the header comment). */
export function module<S extends IoSpec>(name: string, io: S, body: (m: ModuleBuilder, io: IoOf<S>) => void, params: Params = {}): ModuleDef<S> {
  return new ModuleDef(name, io, body, params);
}

type RegInit<L extends Layout> = L extends { kind: 'record' } ? Record<string, unknown> : number | bigint | boolean | string | unknown[];

export class ModuleBuilder implements BuilderHooks {
  private readonly signals: Signal[] = [];
  private readonly ports: Signal[] = [];
  private readonly blocks: Block[] = [];
  private readonly memories: Memory[] = [];
  private readonly instances: Instance[] = [];
  private readonly names = new Map<string, SourceLoc>();
  private readonly owned = new Set<Signal>();
  private clocked = false;

  constructor(readonly moduleName: string, private readonly loc: SourceLoc) {}

  // --- BuilderHooks ----------------------------------------------------------------------
  owns(sig: Signal): boolean { return this.owned.has(sig); }
  implicitComb(stmt: Stmt, loc: SourceLoc): void { this.blocks.push({ kind: 'comb', body: [stmt], loc }); }

  // --- declarations ------------------------------------------------------------------------
  /** Reserves a name in this module; two things with one name are an error. */
  claimName(name: string, loc: SourceLoc): void {
    if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(name)) throw new ElaborationError(`'${name}' is not a valid Verilog identifier`, loc);
    const prev = this.names.get(name);
    if (prev) throw new ElaborationError(`the name '${name}' is used twice in module '${this.moduleName}' (first at ${prev.text})`, loc);
    this.names.set(name, loc);
  }

  newSignal(designerName: string, width: number, kind: SignalKind, loc: SourceLoc, extra: { reset?: bigint; enumType?: EnumInfo; path?: readonly string[] } = {}): Signal {
    const name = verilogName(designerName);
    this.claimName(name, loc);
    const sig: Signal = { id: this.signals.length, name, width, kind, loc, ...extra };
    this.signals.push(sig);
    if (kind !== 'input') this.owned.add(sig);
    if (kind === 'reg') this.clocked = true;
    return sig;
  }

  declareIo(spec: IoSpec): unknown {
    const loc = this.loc;
    const drivable = new Set<Signal>();
    return buildIo(spec, flattenIo(spec), (p) => {
      const sig = this.newSignal(p.name, p.layout.width, p.dir === 'in' ? 'input' : 'output', loc, { path: p.path, enumType: enumInfo(p.layout) });
      this.ports.push(sig);
      if (p.dir === 'out') drivable.add(sig);
      return sig;
    }, (sig, l) => (drivable.has(sig) ? this.vectorDriver(sig, l, loc) : null));
  }

  /**
   * A vector port this module drives, as one wire per element: a port is one signal, whose
   * elements would be slices (not assignable), so the port is driven from the elements'
   * concatenation instead (element 0 in the low bits, as pack() lays a vector out).
   */
  private vectorDriver(sig: Signal, l: VecLayout, loc: SourceLoc): VecValue {
    const items = Array.from({ length: l.length }, (_, i) => this.leafSignals(`${sig.name}_${i}`, l.element, 'wire', loc, undefined));
    const v = new VecValue(l, items as never);
    this.blocks.push({ kind: 'comb', body: [{ kind: 'assign', target: sig, value: pack(v).expr, loc }], loc });
    return v;
  }

  /** A register of any layout with its reset value (default all zeros). */
  reg<L extends Layout>(name: string, layout: L, reset?: RegInit<L>): ValueOf<L> {
    const loc = here();
    return this.leafSignals(name, layout, 'reg', loc, reset ?? 0);
  }

  /** Several registers at once; each key names one (reset values default to zero). */
  regs<F extends Record<string, Layout>>(layouts: F, resets: { [K in keyof F]?: RegInit<F[K]> } = {}): { [K in keyof F]: ValueOf<F[K]> } {
    const loc = here();
    const out = {} as Record<string, unknown>;
    for (const [k, l] of Object.entries(layouts)) out[k] = this.leafSignals(k, l, 'reg', loc, (resets as Record<string, unknown>)[k] ?? 0);
    return out as { [K in keyof F]: ValueOf<F[K]> };
  }

  /** A combinational signal of any layout; it must be driven on every path. */
  wire<L extends Layout>(name: string, layout: L): ValueOf<L> {
    return this.leafSignals(name, layout, 'wire', here(), undefined);
  }

  /** Several wires at once; each key names one. */
  wires<F extends Record<string, Layout>>(layouts: F): { [K in keyof F]: ValueOf<F[K]> } {
    const loc = here();
    const out = {} as Record<string, unknown>;
    for (const [k, l] of Object.entries(layouts)) out[k] = this.leafSignals(k, l, 'wire', loc, undefined);
    return out as { [K in keyof F]: ValueOf<F[K]> };
  }

  /** Names a value: a wire driven continuously by `value`, returned as a value of the same kind. */
  let<T extends Bits>(name: string, value: T): T {
    const loc = here();
    const sig = this.newSignal(name, value.width, 'wire', loc, { enumType: value instanceof EnumValue ? enumInfo(value.layout) : undefined });
    this.blocks.push({ kind: 'comb', body: [{ kind: 'assign', target: sig, value: value.expr, loc }], loc });
    const e: Expr = { kind: 'ref', width: sig.width, signal: sig };
    if (value instanceof EnumValue) return new EnumValue(e, value.layout) as unknown as T;
    if (value instanceof Bool) return new Bool(e) as unknown as T;
    if (value instanceof SInt) return new SInt(e) as unknown as T;
    return new UInt(e) as unknown as T;
  }

  private leafSignals<L extends Layout>(name: string, layout: L, kind: 'reg' | 'wire', loc: SourceLoc, reset: unknown): ValueOf<L> {
    if (layout.kind === 'vec' || layout.kind === 'record') {
      // Records and vectors become one signal per leaf, named name_field / name_0, so the
      // Verilog shows the designer's field names.
      return build(layout, (path, l) => {
        let r = reset;
        for (const p of path) r = typeof r === 'object' && r !== null ? (r as Record<string, unknown>)[p] : r;
        const sig = this.newSignal([name, ...path].join('_'), l.width, kind, loc, { reset: kind === 'reg' ? resetBits(r, l, loc) : undefined, enumType: enumInfo(l) });
        return { kind: 'ref', width: l.width, signal: sig };
      });
    }
    const sig = this.newSignal(name, layout.width, kind, loc, { reset: kind === 'reg' ? resetBits(reset, layout, loc) : undefined, enumType: enumInfo(layout) });
    return build(layout, () => ({ kind: 'ref', width: layout.width, signal: sig }));
  }

  // --- blocks ------------------------------------------------------------------------------
  /** Combinational logic: every signal it drives must be driven on every path. */
  comb(fn: () => void, label?: string): void {
    const loc = here();
    const block: Block = { kind: 'comb', body: [], loc, label };
    this.blocks.push(block);
    inBlock(block, loc, fn);
  }
  /**
   * Clocked logic: registers take their new values at the rising clock edge. With `enable`,
   * nothing in the block changes while it is low (a clock enable).
   */
  seq(fn: () => void, options: { enable?: Bool; label?: string } | string = {}): void {
    const loc = here();
    const o = typeof options === 'string' ? { label: options } : options;
    const block: Block = { kind: 'seq', body: [], loc, label: o.label };
    this.clocked = true;
    this.blocks.push(block);
    const en = o.enable;
    inBlock(block, loc, en ? () => { when(en, fn); } : fn);
  }

  // --- memories, FSMs, instances ---------------------------------------------------------
  /** A synchronous memory (block RAM): registered reads, optional byte-lane writes. */
  memory<L extends Layout>(name: string, options: MemoryOptions<L>): MemoryHandle<L> {
    const loc = here();
    this.clocked = true;
    const h = new MemoryHandle(this, name, options, this.memories.length, loc);
    this.memories.push(h.ir);
    return h;
  }

  /** A state machine with named states; the first is the reset state. */
  fsm<const K extends string>(name: string, states: readonly K[]): Fsm<K> {
    const layout = enumType(`${name}`, states);
    const state = this.reg(name, layout, states[0]!);
    return new Fsm(state, layout);
  }

  /** Instantiates a child module; returns its interface as this module sees it. */
  instance<S extends IoSpec>(designerName: string, def: ModuleDef<S>): IoOf<S> {
    const loc = here();
    const name = verilogName(designerName);          // an instance named e.g. `table` is a Verilog keyword
    const child = def.elaborate();
    if (child.clocked) this.clocked = true;
    const inputs = new Map<string, Expr>();
    const outputs = new Map<string, Signal>();
    const drivable = new Set<Signal>();
    const value = buildIo(def.io, flattenIo(def.io), (p) => {
      // Child inputs become wires this module drives; child outputs wires the child drives.
      const sig = this.newSignal(`${name}_${p.name}`, p.layout.width, 'wire', loc, { path: [name, ...p.path], enumType: enumInfo(p.layout) });
      if (p.dir === 'in') { inputs.set(p.name, { kind: 'ref', width: sig.width, signal: sig }); drivable.add(sig); }
      else { outputs.set(p.name, sig); this.owned.delete(sig); }
      return sig;
    }, (sig, l) => (drivable.has(sig) ? this.vectorDriver(sig, l, loc) : null));
    this.claimName(name, loc);
    this.instances.push({ name, module: child, inputs, outputs, loc });
    return value as IoOf<S>;
  }

  finish(params: Params): ModuleIR {
    const ports = this.clocked
      ? [this.clockSignal('clk'), this.clockSignal('rst'), ...this.ports]
      : this.ports;
    return {
      name: this.moduleName, baseName: this.moduleName, ports, signals: this.signals, memories: this.memories,
      blocks: this.blocks, instances: this.instances, clocked: this.clocked, loc: this.loc, params,
    };
  }

  private clockSignal(name: 'clk' | 'rst'): Signal {
    const sig: Signal = { id: this.signals.length, name, width: 1, kind: 'input', loc: this.loc, path: [name] };
    this.signals.push(sig);
    return sig;
  }
}

function enumInfo(l: Layout): EnumInfo | undefined {
  return l.kind === 'enum' ? { name: l.name, width: l.width, names: l.names, values: l.names.map((n) => l.values[n]!) } : undefined;
}

function resetBits(r: unknown, l: Layout, loc: SourceLoc): bigint {
  if (l.kind === 'enum' && typeof r === 'string') {
    if (!(r in l.values)) throw new ElaborationError(`reset value '${r}' is not a member of enum '${l.name}'`, loc);
    return l.values[r]!;
  }
  if (typeof r !== 'number' && typeof r !== 'bigint' && typeof r !== 'boolean') {
    throw new ElaborationError(`reset value must be a number, bigint or boolean (got ${typeof r})`, loc);
  }
  const e = constExpr(r, l.width, l.kind === 'sint', 'reset value', () => loc);
  return (e as { value: bigint }).value;
}

/** Builds an interface value whose leaves reference signals made by `mk`. */
function buildIo(spec: IoSpec, flat: readonly FlatPort[], mk: (p: FlatPort) => Signal, vectorOf: (sig: Signal, l: VecLayout) => VecValue | null): unknown {
  const byPath = new Map<string, Signal>();
  for (const p of flat) byPath.set(p.path.join('.'), mk(p));
  const leaf = (path: readonly string[], l: Layout): unknown => {
    const sig = byPath.get(path.join('.'))!;
    const ref: Expr = { kind: 'ref', width: sig.width, signal: sig };
    if (l.kind === 'record') {
      return build(l, (sub) => {
        const s = byPath.get([...path, ...sub].join('.'))!;
        return { kind: 'ref', width: s.width, signal: s };
      });
    }
    if (l.kind === 'vec') return vectorOf(sig, l) ?? unpack(l, new UInt(ref));
    return build(l, () => ref);
  };
  const walk = (s: IoSpec, prefix: readonly string[]): Record<string, unknown> => {
    const out = (Array.isArray(s) ? [] : {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(s)) {
      const path = [...prefix, k];
      const kind = (v as { kind?: unknown }).kind;
      if (kind === 'port') out[k] = recordOrLeaf((v as PortSpec).layout, path, leaf, byPath);
      else if (kind === 'stream') {
        const st = v as StreamSpec;
        const valid = new Bool({ kind: 'ref', width: 1, signal: byPath.get([...path, 'valid'].join('.'))! });
        const ready = new Bool({ kind: 'ref', width: 1, signal: byPath.get([...path, 'ready'].join('.'))! });
        const payload = recordOrLeaf(st.payload, [...path, 'payload'], leaf, byPath);
        const strm: Stream<unknown> = { valid, ready, payload, fire: () => valid.and(ready) };
        out[k] = Object.freeze(strm);
      } else out[k] = walk(v as IoSpec, path);
    }
    return Object.freeze(out);
  };
  return walk(spec, []);
}

function recordOrLeaf(l: Layout, path: readonly string[], leaf: (p: readonly string[], l: Layout) => unknown, byPath: Map<string, Signal>): unknown {
  if (l.kind !== 'record') return leaf(path, l);
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(l.fields)) out[k] = recordOrLeaf(f, [...path, k], leaf, byPath);
  return Object.freeze(out);
}

/** Connects two interface values leaf by leaf; each leaf pair must have exactly one drivable side. */
export function connect(a: AnyValue | Stream<AnyValue>, b: AnyValue | Stream<AnyValue>): void {
  const la = leafValues(a as AnyValue), lb = leafValues(b as AnyValue);
  if (la.length !== lb.length) throw new ElaborationError('connect: the two interfaces have different shapes', here());
  const loc = here();
  la.forEach((x, i) => {
    const y = lb[i]!;
    if (x.width !== y.width) throw new ElaborationError(`connect: leaf ${i} is ${x.width} bits on one side and ${y.width} on the other`, loc);
    const xs = x.expr.kind === 'ref' ? x.expr.signal : null;
    const ys = y.expr.kind === 'ref' ? y.expr.signal : null;
    const builder = currentBuilder(loc, 'connect');
    const xd = !!xs && xs.kind !== 'reg' && builder.owns(xs);
    const yd = !!ys && ys.kind !== 'reg' && builder.owns(ys);
    if (xd === yd) throw new ElaborationError(`connect: cannot tell which side drives '${xs?.name ?? 'expression'}' / '${ys?.name ?? 'expression'}'`, loc);
    if (xd) x.set(y as never); else y.set(x as never);
  });
}
