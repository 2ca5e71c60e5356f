// sim/verilator/engine.ts — the 'verilator' engine: a built addon behind the Simulator API.
//
// Ports travel through one shared Uint32Array (layout in glue.ts). A poke writes the buffer
// and marks the logic unsettled; the next peek of an output or internal signal settles it
// with one native call. Without cycle hooks or a trace, step(n) is one native call that runs
// all n cycles in C++; with them it runs cycle by cycle: settle, hooks, sample, edge.

import type { CycleHook, MemoryInfo, PortHandle, PortInfo, PortValue, SimulateOptions, Simulator } from '../../hw/hdl/sim/simulator.ts';
import { VcdWriter, type TraceSignal, type VcdOptions } from '../../hw/hdl/sim/vcd.ts';
import { elaborate, type ModuleDef } from '../../hw/hdl/index.ts';
import { buildModel, loadCached, type BuildOptions, type BuiltModel, type NativeSim } from './build.ts';
import type { MemSlotInfo, SlotInfo } from './glue.ts';

export interface VerilatorOptions extends SimulateOptions, BuildOptions {}

/** Builds (or loads from the cache) the addon for `def` and starts a simulator on it. */
export async function createVerilatorSimulator(def: ModuleDef, options: VerilatorOptions = {}): Promise<VerilatorSimulator> {
  const model = await buildModel(def, options);
  const sim = new VerilatorSimulator(def, model);
  if (options.vcd) sim.traceVcd(options.vcd);
  return sim;
}

/** A simulator on the cached addon for `def`, synchronously; null when it is not built yet. */
export function loadVerilatorSimulator(def: ModuleDef, options: VerilatorOptions = {}): VerilatorSimulator | null {
  const model = loadCached(def, options);
  if (!model) return null;
  const sim = new VerilatorSimulator(def, model);
  if (options.vcd) sim.traceVcd(options.vcd);
  return sim;
}

export class VerilatorSimulator implements Simulator {
  readonly engine = 'verilator';
  readonly ports: readonly PortInfo[];
  readonly memories: readonly MemoryInfo[];
  private cycles = 0;
  private readonly words: Uint32Array;
  private native: NativeSim | null;
  private dirty = true;
  private hooks: CycleHook[] = [];
  private readonly handles = new Map<string, PortHandle>();
  private readonly byName = new Map<string, SlotInfo>();
  private readonly memByName = new Map<string, MemSlotInfo>();
  private readonly rst: SlotInfo | undefined;
  private vcd: VcdWriter | null = null;

  constructor(private readonly def: ModuleDef, readonly model: BuiltModel) {
    const { layout } = model;
    const flat = elaborate(def).flat;
    const buffer = new ArrayBuffer(layout.totalWords * 4);
    this.words = new Uint32Array(buffer);
    this.native = model.create(buffer);
    for (const s of layout.slots) this.byName.set(s.name, s);
    const ports: PortInfo[] = [];
    for (const [dir, list] of [['in', flat.inputs], ['out', flat.outputs]] as const) {
      for (const s of list) {
        if (s.local === 'clk') continue; // step() drives the clock
        const path = s.path ?? [s.local];
        ports.push({ name: s.local, path, width: s.width, dir });
        const slot = this.byName.get(s.name);
        if (slot && !this.byName.has(path.join('.'))) this.byName.set(path.join('.'), slot);
      }
    }
    this.ports = ports;
    this.memories = layout.memories.map((m) => ({ name: m.name, width: m.width, depth: m.depth }));
    for (const m of layout.memories) this.memByName.set(m.name, m);
    this.rst = this.byName.get('rst');
  }

  get cycle(): number { return this.cycles; }

  port(name: string): PortHandle {
    let h = this.handles.get(name);
    if (h) return h;
    const slot = this.byName.get(name);
    if (!slot) {
      const names = this.model.layout.slots.map((s) => s.name);
      const known = names.length > 24 ? `${names.slice(0, 24).join(', ')}, ... (${names.length} in all)` : names.join(', ');
      throw new Error(`no port or signal '${name}' in design '${this.model.layout.top}' on the verilator engine (known: ${known}; 'clk' is driven by step())`);
    }
    h = this.handle(slot);
    this.handles.set(name, h);
    return h;
  }

  poke(name: string, value: PortValue | boolean): void { this.port(name).set(value); }
  peek(name: string): PortValue { return this.port(name).get(); }

  peekMem(memory: string, address: number): PortValue {
    const m = this.memory(memory, address);
    this.live().readMem(m.index, address);
    return this.read(this.model.layout.scratch, m.width);
  }

  pokeMem(memory: string, address: number, value: PortValue): void {
    const m = this.memory(memory, address);
    this.write(this.model.layout.scratch, m.width, value, `${memory}[${address}]`);
    this.live().writeMem(m.index, address);
  }

  reset(cycles = 1): void {
    if (!this.rst) { this.step(cycles); return; }
    this.write(this.rst.offset, 1, 1, 'rst');
    this.dirty = true;
    this.step(cycles);
    this.write(this.rst.offset, 1, 0, 'rst');
    this.dirty = true;
  }

  step(cycles = 1): void {
    if (!Number.isInteger(cycles) || cycles < 0) throw new RangeError(`step(${cycles}): the number of cycles must be a whole number >= 0`);
    const native = this.live();
    if (this.hooks.length === 0 && !this.vcd) {
      if (cycles > 0) { native.step(cycles); this.cycles += cycles; this.dirty = false; }
      return;
    }
    for (let i = 0; i < cycles; i++) {
      this.settle();
      const hooks = this.hooks;
      for (let h = 0; h < hooks.length; h++) hooks[h]!(this.cycles);
      if (this.vcd) { this.settle(); native.pullAll(); this.vcd.sample(this.cycles); }
      // No settle after the hooks' pokes: the edge's evaluation settles the new inputs first.
      native.step(1);
      this.cycles++;
      this.dirty = false;
    }
  }

  onCycle(hook: CycleHook): () => void {
    // Copied, not mutated: a hook may remove itself while the hooks run.
    this.hooks = [...this.hooks, hook];
    return () => { this.hooks = this.hooks.filter((h) => h !== hook); };
  }

  /** Same file layout and names as the JS engine's VCD: both use hw/hdl/sim/vcd.ts. */
  traceVcd(path: string, options?: VcdOptions): void {
    this.vcd?.close();
    this.settle();
    this.live().pullAll();
    this.vcd = new VcdWriter(path, elaborate(this.def).top.name, this.traceSignals(), new Date(), options);
  }

  /** Every signal the model exposes, with its scope, reading the shared buffer (after pullAll). */
  traceSignals(): TraceSignal[] {
    const flat = elaborate(this.def).flat;
    const out: TraceSignal[] = [];
    const add = (scope: readonly string[], local: string, width: number, enumNames?: readonly string[], enumValues?: readonly bigint[]) => {
      const slot = this.byName.get([...scope, local].join('.'));
      if (!slot) return;
      out.push({ scope, name: local, width, enumNames, enumValues, read: () => this.read(slot.offset, width) });
    };
    for (const s of flat.signals) add(s.scope, s.local, s.width, s.enumType?.names, s.enumType?.values);
    for (const m of flat.memories) for (const p of m.ports) if (p.read) add(m.scope, p.name, m.width);
    return out;
  }

  dispose(): void {
    this.vcd?.close(this.cycles);
    this.vcd = null;
    this.native?.dispose();
    this.native = null;
  }

  // --- internals ---------------------------------------------------------------------------

  private live(): NativeSim {
    if (!this.native) throw new Error('this verilator simulator was disposed');
    return this.native;
  }

  private settle(): void {
    if (this.dirty) { this.live().settle(); this.dirty = false; }
  }

  private handle(slot: SlotInfo): PortHandle {
    const { offset, width, name } = slot;
    if (slot.kind === 'in') {
      return {
        name, width,
        get: () => this.read(offset, width),
        set: (v) => { this.write(offset, width, v, name); this.dirty = true; },
      };
    }
    const readOnly = () => { throw new Error(`'${name}' is ${slot.kind === 'out' ? 'an output' : 'an internal signal'}: only inputs can be poked`); };
    if (slot.kind === 'out') {
      return { name, width, get: () => { this.settle(); return this.read(offset, width); }, set: readOnly };
    }
    return {
      name, width,
      get: () => { this.settle(); this.live().pullSignal(slot.index); return this.read(offset, width); },
      set: readOnly,
    };
  }

  private memory(name: string, address: number): MemSlotInfo {
    const m = this.memByName.get(name);
    if (!m) throw new Error(`${this.model.layout.top} has no memory '${name}' (memories: ${[...this.memByName.keys()].join(', ') || 'none'})`);
    if (!Number.isInteger(address) || address < 0 || address >= m.depth) throw new RangeError(`${name}[${address}]: address out of range 0..${m.depth - 1}`);
    return m;
  }

  private read(offset: number, width: number): PortValue {
    const w = this.words;
    if (width <= 32) return w[offset]!;
    let v = 0n;
    for (let i = Math.ceil(width / 32) - 1; i >= 0; i--) v = (v << 32n) | BigInt(w[offset + i]!);
    return v;
  }

  /** Writes `value` as `width` bits; like the JS engine, values from -2^(width-1) to 2^width - 1 fit. */
  private write(offset: number, width: number, value: PortValue | boolean, what: string): void {
    const w = this.words;
    if (width <= 32 && typeof value !== 'bigint') {
      // The common case, without bigints.
      const n = typeof value === 'boolean' ? Number(value) : value;
      if (!Number.isInteger(n)) throw new TypeError(`'${what}': ${n} is not an integer`);
      const max = 2 ** width;
      if (n >= max || n < -(max / 2)) throw new RangeError(`'${what}': ${n} does not fit in ${width} bits`);
      w[offset] = n < 0 ? n + max : n;
      return;
    }
    if (typeof value === 'number' && !Number.isInteger(value)) throw new TypeError(`'${what}': ${value} is not an integer`);
    let v = typeof value === 'boolean' ? BigInt(value) : BigInt(value);
    const max = 1n << BigInt(width);
    if (v >= max || v < -(max >> 1n)) throw new RangeError(`'${what}': ${v} does not fit in ${width} bits`);
    v = BigInt.asUintN(width, v);
    if (width <= 32) { w[offset] = Number(v); return; }
    for (let i = 0; i < Math.ceil(width / 32); i++) { w[offset + i] = Number(v & 0xffffffffn); v >>= 32n; }
  }
}
