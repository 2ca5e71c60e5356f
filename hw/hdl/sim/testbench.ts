// hw/hdl/sim/testbench.ts — the async testbench layer on top of the synchronous Simulator.
//
//   const tb = new Testbench(sim);
//   const input = tb.driver('in', { validProbability: 0.7 }).push(1, 2, 3);
//   const output = tb.monitor('out', { readyProbability: 0.5 });
//   tb.sim.reset();
//   await tb.until(() => output.received.length === 3, { timeout: 100 });
//
// Stream drivers and monitors are callbacks inside the cycle loop (no await per edge), so a
// test that only waits runs at `step(n)` speed. `await tick(n)` and `await until(cond)` are
// for sequential test code; several async processes may wait at once (Promise.all): the clock
// advances when every one of them is waiting, to the earliest cycle any of them wants.

import type { PortValue, Simulator } from './simulator.ts';
import { StreamDriver, StreamMonitor, type CycleComponent, type DriverOptions, type MonitorOptions } from './stream.ts';

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

interface TickWaiter { readonly at: number; readonly resolve: () => void; readonly reject: (e: Error) => void }
interface CondWaiter { readonly cond: () => boolean; readonly since: number; readonly deadline: number; readonly resolve: (cycles: number) => void; readonly reject: (e: Error) => void }

export class Testbench {
  private readonly components: CycleComponent[] = [];
  private ticks: TickWaiter[] = [];
  private conds: CondWaiter[] = [];
  private scheduled = false;
  private readonly removeHook: () => void;

  constructor(readonly sim: Simulator) {
    // One hook for every component: all drive, then all sample, so a beat's transfer is
    // decided on the values every component has poked this cycle.
    this.removeHook = sim.onCycle((cycle) => {
      const cs = this.components;
      for (let i = 0; i < cs.length; i++) cs[i]!.drive(cycle);
      for (let i = 0; i < cs.length; i++) cs[i]!.sample(cycle);
    });
  }

  /** Feeds beats into a stream the design consumes (path of the stream, e.g. 'in'). */
  driver(stream: string, options?: DriverOptions): StreamDriver {
    const d = new StreamDriver(this.sim, stream, options);
    this.components.push(d);
    return d;
  }

  /** Takes beats from a stream the design produces, checking the stream rules. */
  monitor(stream: string, options?: MonitorOptions): StreamMonitor {
    const m = new StreamMonitor(this.sim, stream, options);
    this.components.push(m);
    return m;
  }

  get(name: string): PortValue { return this.sim.peek(name); }
  set(name: string, value: PortValue | boolean): void { this.sim.poke(name, value); }

  /** Resolves after `cycles` clock edges. */
  tick(cycles = 1): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ticks.push({ at: this.sim.cycle + cycles, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Resolves with the number of edges waited once `cond()` holds (checked on settled values
   * at each cycle boundary, immediately first); rejects with a TimeoutError after `timeout`.
   */
  until(cond: () => boolean, options: { timeout?: number } = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const since = this.sim.cycle;
      this.conds.push({ cond, since, deadline: since + (options.timeout ?? 100_000), resolve, reject });
      this.schedule();
    });
  }

  /** Stops the components (the simulator itself stays usable). */
  dispose(): void { this.removeHook(); }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the microtask queue drains, every process that will wait this round is waiting.
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.advance();
      } catch (e) {
        // A failed check inside the cycle loop (a stream rule, a hook's assertion) fails
        // every process waiting on the clock.
        const waiters = [...this.ticks, ...this.conds];
        this.ticks = [];
        this.conds = [];
        for (const w of waiters) w.reject(e as Error);
      }
    });
  }

  /** Runs the clock until some waiter is due, then wakes those waiters. */
  private advance(): void {
    const sim = this.sim;
    for (;;) {
      if (this.wake()) return;
      if (!this.ticks.length && !this.conds.length) return;
      let next = Infinity;
      for (const t of this.ticks) next = Math.min(next, t.at);
      // With conditions pending, look at every cycle; otherwise jump straight to the next tick.
      sim.step(this.conds.length ? 1 : next - sim.cycle);
    }
  }

  /** Resolves every waiter that is due now; true if any was. */
  private wake(): boolean {
    const now = this.sim.cycle;
    let any = false;
    const ticks = this.ticks;
    this.ticks = [];
    for (const t of ticks) {
      if (t.at <= now) { t.resolve(); any = true; } else this.ticks.push(t);
    }
    const conds = this.conds;
    this.conds = [];
    for (const c of conds) {
      let ok: boolean;
      try { ok = c.cond(); } catch (e) { c.reject(e as Error); any = true; continue; }
      if (ok) { c.resolve(now - c.since); any = true; } else if (now >= c.deadline) {
        c.reject(new TimeoutError(`condition not met within ${c.deadline - c.since} cycles (cycle ${now})`));
        any = true;
      } else this.conds.push(c);
    }
    return any;
  }
}
