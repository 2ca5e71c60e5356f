// hw/hdl/sim/fuzz/stimulus.ts — random input sequences, running them on any Simulator, and
// comparing two runs output by output, cycle by cycle.
//
// One cycle of a run: poke every input, read every output (the settled, pre-edge values),
// then one clock edge. The Icarus testbench (icarus.ts) does exactly the same, so the two
// traces line up cycle for cycle.

import { elaborate } from '../../design.ts';
import type { ModuleDef } from '../../module.ts';
import type { IoSpec } from '../../ports.ts';
import type { PortInfo, Simulator } from '../simulator.ts';
import type { Rng } from './random.ts';

export interface Stimulus {
  readonly inputs: readonly PortInfo[];
  readonly outputs: readonly PortInfo[];
  /** values[cycle][i] is the value of inputs[i] during that cycle. */
  readonly values: readonly (readonly bigint[])[];
}

/** Output values per cycle: trace[cycle][i] is outputs[i]. */
export type Trace = bigint[][];

/** The ports of a design, without elaborating it into an engine (clk is the engines' business). */
export function portsOf(def: ModuleDef<IoSpec>): PortInfo[] {
  const flat = elaborate(def).flat;
  const info = (dir: 'in' | 'out') => (s: (typeof flat.inputs)[number]): PortInfo => ({ name: s.local, path: s.path ?? [s.local], width: s.width, dir });
  return [...flat.inputs.filter((s) => s.local !== 'clk').map(info('in')), ...flat.outputs.map(info('out'))];
}

/** `cycles` cycles of random inputs; `rst` is high in cycle 0 and now and then afterwards. */
export function randomStimulus(ports: readonly PortInfo[], cycles: number, rng: Rng): Stimulus {
  const inputs = ports.filter((p) => p.dir === 'in');
  const outputs = ports.filter((p) => p.dir === 'out');
  const values: bigint[][] = [];
  for (let c = 0; c < cycles; c++) {
    values.push(inputs.map((p) => (p.name === 'rst' ? (c === 0 || rng.chance(0.04) ? 1n : 0n) : rng.bits(p.width))));
  }
  return { inputs, outputs, values };
}

/** Runs the stimulus on a fresh simulator and records every output every cycle. */
export function runStimulus(sim: Simulator, stim: Stimulus): Trace {
  const ins = stim.inputs.map((p) => sim.port(p.path.join('.')));
  const outs = stim.outputs.map((p) => sim.port(p.path.join('.')));
  const trace: Trace = [];
  for (const row of stim.values) {
    for (let i = 0; i < ins.length; i++) ins[i]!.set(stim.inputs[i]!.width <= 32 ? Number(row[i]!) : row[i]!);
    trace.push(outs.map((h) => BigInt(h.get())));
    sim.step(1);
  }
  return trace;
}

export interface Mismatch { readonly cycle: number; readonly output: string; readonly expected: bigint | string; readonly actual: bigint | string }

/**
 * Compares two traces from cycle `from` on (cycle 0 precedes the first reset edge, where
 * Icarus registers are still X). Icarus values that are not numbers (x, z) are given as text.
 */
export function compareTraces(stim: Stimulus, expected: readonly (readonly (bigint | string)[])[], actual: readonly (readonly (bigint | string)[])[], from = 1): Mismatch[] {
  const out: Mismatch[] = [];
  for (let c = from; c < stim.values.length; c++) {
    for (let i = 0; i < stim.outputs.length; i++) {
      const e = expected[c]?.[i], a = actual[c]?.[i];
      if (e === undefined || a === undefined || e !== a) {
        out.push({ cycle: c, output: stim.outputs[i]!.name, expected: e ?? 'missing', actual: a ?? 'missing' });
      }
    }
  }
  return out;
}
