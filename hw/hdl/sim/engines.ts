// hw/hdl/sim/engines.ts — the one list of simulation engines, and the one variable that
// narrows it.
//
// 'js' is built in. An engine living above hw/ (sim/verilator) cannot be imported from here
// (imports go down the layers), so it registers a loader: a name, a `load()` that imports it
// on first use, and an `unavailable()` probe that says why it cannot run on this machine.
// plugins/engines.ts registers sim/verilator's; the package entry `homa-nic/hdl/sim`, the
// homa-nic command and the test setup (test/setup.ts) import it, so
// `simulate(def, { engine: 'verilator' })` works with no import of sim/verilator anywhere.
//
// HDL_ENGINES=js,verilator (comma-separated) chooses the engines engine-independent tests
// run on; unset, they run on every available engine that is not opt-in ('lockstep', which
// runs JS and Verilator side by side, is opt-in: HDL_ENGINES=js,verilator,lockstep).

import type { Design } from '../flatten.ts';
import type { ModuleDef } from '../module.ts';
import type { IoSpec } from '../ports.ts';
import type { SimulateOptions, Simulator } from './simulator.ts';

/** What an engine is given to build a simulator. */
export interface EngineInput {
  readonly def: ModuleDef<IoSpec>;
  /** The elaborated, flattened design (the same object `elaborate(def)` returns). */
  readonly design: Design;
  readonly options: SimulateOptions;
}

export type EngineFactory = (input: EngineInput) => Simulator | Promise<Simulator>;

/** An engine that is imported on first use. */
export interface EngineLoader {
  /** The engine's factory, imported and built once, on the first `simulate` that names it. */
  load(): Promise<EngineFactory>;
  /** Why the engine cannot run on this machine (a missing toolchain, say), or null. Cheap, synchronous. */
  unavailable?(): string | null;
  /** Left out of the default test list (it costs as much as several engines); HDL_ENGINES can name it. */
  optIn?: boolean;
}

interface Entry { loader: EngineLoader; factory?: Promise<EngineFactory> }

const entries = new Map<string, Entry>();

/** Makes an engine available to `simulate` under `name` (replacing one of the same name). */
export function registerEngine(name: string, engine: EngineFactory | EngineLoader): void {
  if (typeof engine === 'function') entries.set(name, { loader: { load: async () => engine }, factory: Promise.resolve(engine) });
  else entries.set(name, { loader: engine });
}

/** Why `name` cannot run here: not registered, or its probe's reason; null when it can. */
export function engineUnavailable(name: string): string | null {
  const e = entries.get(name);
  if (!e) return `unknown simulation engine '${name}' (registered: ${[...entries.keys()].join(', ')}; engines above hw/ are registered by plugins/engines.ts, which homa-nic/hdl/sim and the test setup import)`;
  return e.loader.unavailable?.() ?? null;
}

/** Names of the registered engines that can run on this machine, 'js' first. */
export function availableEngines(): string[] {
  return [...entries.keys()].filter((n) => engineUnavailable(n) === null);
}

/** The factory for `name`, loading the engine on first use; throws saying why it cannot run. */
export async function engineFactory(name: string): Promise<EngineFactory> {
  const why = engineUnavailable(name);
  if (why !== null) throw new Error(why.startsWith('unknown') ? why : `simulation engine '${name}' cannot run here: ${why}`);
  const e = entries.get(name)!;
  e.factory ??= e.loader.load();
  return e.factory;
}

/**
 * Engines an engine-independent test runs on, and those it skips with the reason (a missing
 * toolchain). `only` defaults to HDL_ENGINES. Use as:
 * `for (const engine of testEngines().run) test(`... (${engine})`, ...)`.
 */
export function testEngines(only: string | undefined = process.env['HDL_ENGINES']): { run: string[]; skipped: { engine: string; reason: string }[] } {
  const listed = only?.split(',').map((s) => s.trim()).filter(Boolean);
  const named = listed?.length ? listed : undefined;
  const run: string[] = [];
  const skipped: { engine: string; reason: string }[] = [];
  for (const [name, e] of entries) {
    if (named ? !named.includes(name) : e.loader.optIn) continue;
    const why = engineUnavailable(name);
    if (why === null) run.push(name);
    else skipped.push({ engine: name, reason: why });
  }
  for (const name of named ?? []) if (!entries.has(name)) skipped.push({ engine: name, reason: engineUnavailable(name)! });
  return { run, skipped };
}
