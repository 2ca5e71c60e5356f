// hw/hdl/sim/waveform.ts — ASCII waveforms for snapshot tests (Hardcaml's habit: a test's
// expected behaviour is a short picture anyone can read in a diff).
//
//   const wave = recordWaves(sim, ['rst', 'enable', 'count', 'tx.state']);
//   sim.step(8);
//   expect(wave.render()).toBe(`
//   cycle   0     1     2     3 ...`);
//
// One-bit signals draw as `___/-----\___`; wider ones as segments `X 12    X 13` that start
// at each change; enum-typed signals (FSM states) show their names. Values are sampled once
// per cycle by a cycle hook, so create the recorder after the testbench drivers whose pokes
// it should see.

import type { PortValue, Simulator } from './simulator.ts';
import { elaborate } from '../design.ts';
import type { ModuleDef } from '../module.ts';
import type { IoSpec } from '../ports.ts';

export interface WaveSignal {
  readonly name: string;
  /** Label in the first column (default: the name). */
  readonly label?: string;
  /** How to print a value (default: enum names where known, else decimal or hex per the radix). */
  readonly format?: (v: PortValue) => string;
}

export interface RenderOptions {
  /** Characters per cycle (default 6). */
  readonly cellWidth?: number;
  /** Cycles to show: [from, to) (default: all recorded). */
  readonly from?: number;
  readonly to?: number;
  /** 'dec' (default) or 'hex' for values without a format. */
  readonly radix?: 'dec' | 'hex';
}

type EnumNames = { names: readonly string[]; values: readonly bigint[] };
/** Enum names of a signal, for engines that know them (the js engine does). */
interface EnumSource { signalEnum?(name: string): EnumNames | undefined }

/** Where state names come from when the engine does not know them: the design itself. */
function enumFromDesign(def: ModuleDef<IoSpec> | undefined, name: string): EnumNames | undefined {
  if (!def) return undefined;
  const flat = elaborate(def).flat;
  const sig = flat.signals.find((s) => s.name === name || (s.scope.length === 0 && (s.path ?? [s.local]).join('.') === name));
  return sig?.enumType ? { names: sig.enumType.names, values: sig.enumType.values } : undefined;
}

export class WaveRecorder {
  private readonly cycles: number[] = [];
  private readonly samples: PortValue[][];
  private readonly stop: () => void;

  constructor(private readonly sim: Simulator, private readonly signals: readonly WaveSignal[], private readonly design?: ModuleDef<IoSpec>) {
    const handles = signals.map((s) => sim.port(s.name));
    this.samples = signals.map(() => []);
    this.stop = sim.onCycle((cycle) => {
      this.cycles.push(cycle);
      for (let i = 0; i < handles.length; i++) this.samples[i]!.push(handles[i]!.get());
    });
  }

  /** Stops recording (the rendering stays available). */
  dispose(): void { this.stop(); }

  render(options: RenderOptions = {}): string {
    const W = options.cellWidth ?? 6;
    const from = Math.max(0, this.cycles.findIndex((c) => c >= (options.from ?? -Infinity)));
    const toIdx = this.cycles.findIndex((c) => c >= (options.to ?? Infinity));
    const idx = [...Array((toIdx < 0 ? this.cycles.length : toIdx) - from).keys()].map((i) => i + from);
    const labels = ['cycle', ...this.signals.map((s) => s.label ?? s.name)];
    const lw = Math.max(...labels.map((l) => l.length)) + 2;
    const rows = [labels[0]!.padEnd(lw) + idx.map((i) => String(this.cycles[i]).padEnd(W)).join('').trimEnd()];
    this.signals.forEach((s, k) => {
      const vals = idx.map((i) => this.samples[k]![i]!);
      const width = this.sim.port(s.name).width;
      const line = width === 1 && !s.format ? bitLine(vals, W) : busLine(vals.map(this.formatter(s, options.radix ?? 'dec')), W);
      rows.push((s.label ?? s.name).padEnd(lw) + line.trimEnd());
    });
    return rows.join('\n') + '\n';
  }

  private formatter(s: WaveSignal, radix: 'dec' | 'hex'): (v: PortValue) => string {
    if (s.format) return s.format;
    const en = (this.sim as Simulator & EnumSource).signalEnum?.(s.name) ?? enumFromDesign(this.design, s.name);
    if (en) return (v) => { const i = en.values.indexOf(BigInt(v)); return i < 0 ? `?${v}` : en.names[i]!; };
    return radix === 'hex' ? (v) => v.toString(16) : (v) => v.toString();
  }
}

/**
 * Starts recording `signals` (names, interface paths or hierarchical names) every cycle.
 * `design` gives FSM state names on engines that do not know them themselves.
 */
export function recordWaves(sim: Simulator, signals: readonly (string | WaveSignal)[], options: { design?: ModuleDef<IoSpec> } = {}): WaveRecorder {
  return new WaveRecorder(sim, signals.map((s) => (typeof s === 'string' ? { name: s } : s)), options.design);
}

function bitLine(vals: readonly PortValue[], W: number): string {
  let out = '';
  vals.forEach((v, i) => {
    const hi = Number(v) === 1;
    const edge = i > 0 && Number(vals[i - 1]) !== Number(v);
    out += (edge ? (hi ? '/' : '\\') : hi ? '-' : '_') + (hi ? '-' : '_').repeat(W - 1);
  });
  return out;
}

function busLine(texts: readonly string[], W: number): string {
  let out = '';
  for (let i = 0; i < texts.length;) {
    let j = i + 1;
    while (j < texts.length && texts[j] === texts[i]) j++;
    const room = (j - i) * W - 1;
    const t = texts[i]!.length > room ? texts[i]!.slice(0, Math.max(0, room - 1)) + '~' : texts[i]!;
    out += (i === 0 ? ' ' : 'X') + t.padEnd(room);
    i = j;
  }
  return out;
}
