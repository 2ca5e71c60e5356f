// hw/hdl/sim/lockstep.ts — two engines run side by side, every output compared every cycle.
//
// Cheap insurance that the JS semantics match the Verilog we ship: the wrapper is itself a
// Simulator, so any testbench runs on it unchanged. Pokes go to both engines; each cycle the
// wrapper runs the testbench's hooks once, compares every output of the two settled engines
// (the values the clock edge will see), then steps both. The first difference throws a
// LockstepMismatch naming the cycle, the port and both values. Peeks of any signal and memory
// word present in both engines are compared too.

import type { CycleHook, MemoryInfo, PortHandle, PortInfo, PortValue, Simulator } from './simulator.ts';
import type { VcdOptions } from './vcd.ts';

export class LockstepMismatch extends Error {
  override readonly name = 'LockstepMismatch';
  constructor(
    readonly cycle: number,
    /** Port, signal or 'memory[address]' that differs. */
    readonly port: string,
    readonly engines: readonly [string, string],
    readonly values: readonly [PortValue, PortValue],
  ) {
    super(`lockstep(${engines[0]},${engines[1]}): first difference at cycle ${cycle}, '${port}': ${engines[0]}=${show(values[0])} ${engines[1]}=${show(values[1])}`);
  }
}

function show(v: PortValue): string {
  return typeof v === 'bigint' || v > 9 ? `${v} (0x${v.toString(16)})` : String(v);
}

const same = (x: PortValue, y: PortValue) => (typeof x === typeof y ? x === y : BigInt(x) === BigInt(y));

/** Runs `a` and `b` in lock step; peeks return `a`'s values once `b` agrees. */
export function lockstep(a: Simulator, b: Simulator): Simulator {
  return new LockstepSimulator(a, b);
}

class LockstepSimulator implements Simulator {
  readonly engine: string;
  readonly ports: readonly PortInfo[];
  readonly memories: readonly MemoryInfo[];
  private hooks: CycleHook[] = [];
  private readonly handles = new Map<string, PortHandle>();
  private readonly outputs: { name: string; a: PortHandle; b: PortHandle }[];
  private readonly hasReset: boolean;

  constructor(private readonly a: Simulator, private readonly b: Simulator) {
    this.engine = `lockstep(${a.engine},${b.engine})`;
    const key = (p: PortInfo) => `${p.dir} ${p.name}:${p.width}`;
    const ka = a.ports.map(key).sort().join(', '), kb = b.ports.map(key).sort().join(', ');
    if (ka !== kb) throw new Error(`${this.engine}: the engines disagree on the ports:\n  ${a.engine}: ${ka}\n  ${b.engine}: ${kb}`);
    if (a.cycle !== b.cycle) throw new Error(`${this.engine}: the engines start at different cycles (${a.cycle}, ${b.cycle})`);
    this.ports = a.ports;
    this.memories = a.memories;
    this.outputs = a.ports.filter((p) => p.dir === 'out').map((p) => ({ name: p.name, a: a.port(p.name), b: b.port(p.name) }));
    this.hasReset = a.ports.some((p) => p.name === 'rst' && p.dir === 'in');
  }

  get cycle(): number { return this.a.cycle; }

  port(name: string): PortHandle {
    let h = this.handles.get(name);
    if (h) return h;
    const ha = this.a.port(name);
    let hb: PortHandle | null = null;
    try { hb = this.b.port(name); } catch { /* an internal signal only `a` keeps: peeks are not compared */ }
    const engines = [this.a.engine, this.b.engine] as const;
    h = {
      name: ha.name,
      width: ha.width,
      get: () => {
        const va = ha.get();
        if (hb) {
          const vb = hb.get();
          if (!same(va, vb)) throw new LockstepMismatch(this.cycle, name, engines, [va, vb]);
        }
        return va;
      },
      set: (value) => {
        if (!hb) throw new Error(`${this.engine}: '${name}' exists only in ${this.a.engine}`);
        ha.set(value);
        hb.set(value);
      },
    };
    this.handles.set(name, h);
    return h;
  }

  poke(name: string, value: PortValue | boolean): void { this.port(name).set(value); }
  peek(name: string): PortValue { return this.port(name).get(); }

  peekMem(memory: string, address: number): PortValue {
    const va = this.a.peekMem(memory, address), vb = this.b.peekMem(memory, address);
    if (!same(va, vb)) throw new LockstepMismatch(this.cycle, `${memory}[${address}]`, [this.a.engine, this.b.engine], [va, vb]);
    return va;
  }

  pokeMem(memory: string, address: number, value: PortValue): void {
    this.a.pokeMem(memory, address, value);
    this.b.pokeMem(memory, address, value);
  }

  reset(cycles = 1): void {
    if (!this.hasReset) { this.step(cycles); return; }
    this.poke('rst', 1);
    this.step(cycles);
    this.poke('rst', 0);
  }

  step(cycles = 1): void {
    if (!Number.isInteger(cycles) || cycles < 0) throw new RangeError(`step(${cycles}): the number of cycles must be a whole number >= 0`);
    for (let i = 0; i < cycles; i++) {
      const hooks = this.hooks;
      for (let h = 0; h < hooks.length; h++) hooks[h]!(this.cycle);
      this.compareOutputs();
      this.a.step(1);
      this.b.step(1);
      if (this.a.cycle !== this.b.cycle) throw new Error(`${this.engine}: cycle counters diverged (${this.a.cycle}, ${this.b.cycle})`);
    }
    this.compareOutputs();
  }

  /** Throws LockstepMismatch at the first output (in port order) on which the engines differ. */
  compareOutputs(): void {
    for (const o of this.outputs) {
      const va = o.a.get(), vb = o.b.get();
      if (!same(va, vb)) throw new LockstepMismatch(this.cycle, o.name, [this.a.engine, this.b.engine], [va, vb]);
    }
  }

  onCycle(hook: CycleHook): () => void {
    this.hooks = [...this.hooks, hook];
    return () => { this.hooks = this.hooks.filter((h) => h !== hook); };
  }

  /** Traces the first engine to `path` and the second beside it ('run.vcd' -> 'run.<engine>.vcd'). */
  traceVcd(path: string, options?: VcdOptions): void {
    this.a.traceVcd(path, options);
    this.b.traceVcd(path.replace(/(\.vcd)?$/, `.${this.b.engine}.vcd`), options);
  }

  dispose(): void {
    this.a.dispose();
    this.b.dispose();
  }
}
