// hw/lib/testing.ts — what the library's tests share: engine list, seeded stimulus, and a
// helper that runs a design's streams to completion on one engine.

import { simulate, Testbench, testEngines, type Beat, type Simulator, type StreamDriver } from '../hdl/sim/index.ts';
import { Rng } from '../hdl/sim/rng.ts';
import type { ModuleDef } from '../hdl/index.ts';
import type { IoSpec } from '../hdl/ports.ts';

/** Engines the library's tests run on: hw/hdl/sim's one list (HDL_ENGINES narrows it). */
export const engines: readonly string[] = testEngines().run;
export { Rng };

/** A simulator out of reset with a testbench on it. */
export async function bench(def: ModuleDef<IoSpec>, engine: string): Promise<{ sim: Simulator; tb: Testbench }> {
  const sim = await simulate(def, { engine });
  sim.reset(2);
  return { sim, tb: new Testbench(sim) };
}

/** Uniform random bigint of `width` bits. */
export function randBits(rng: Rng, width: number): bigint {
  return rng.uniformBits(width);
}

/** A port value as the simulator shows it: numbers up to 32 bits, bigints above. */
export function portValue(v: bigint, width: number): number | bigint {
  return width <= 32 ? Number(v) : v;
}

/**
 * Queues `beats` on `driver` a few at a time (a driver's queue is an array, and shifting a
 * quarter-million-entry array every cycle costs more than the simulation).
 */
export function feed(sim: Simulator, driver: StreamDriver, beats: Iterable<Beat>, ahead = 64): void {
  const it = beats[Symbol.iterator]();
  const top = () => { while (driver.pending < ahead) { const n = it.next(); if (n.done) { stop(); return; } driver.push(n.value); } };
  const stop = sim.onCycle(top);
  top();
}
