// hw/hdl/sim/vcd.ts — Value Change Dump output (IEEE 1364 §18) that GTKWave and other
// viewers open: one $scope per instance, every signal under its designer's name, a clock.
//
// Timing: one cycle is 10 time units. The values of cycle c (after the testbench's pokes,
// what the rising edge samples) are dumped at 10c, when clk rises; clk falls at 10c+5.
// FSM state names: an enum-typed signal also gets a `string` variable `<name>_state` holding
// the state's name, which GTKWave shows as text (VCD has no enum type).
//
// Options (VcdOptions) let a caller with a clock of its own (a co-simulated NIC: cycle c at
// c x its period in picoseconds) stamp samples in its time, and dump only a window of it so a
// long run does not write gigabytes: cycles outside [start, end) are not written, and the
// first cycle inside dumps every value.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { PortValue } from './simulator.ts';

export interface TraceSignal {
  /** Instance path from the top ([] for the top module). */
  readonly scope: readonly string[];
  readonly name: string;
  readonly width: number;
  readonly enumNames?: readonly string[];
  readonly enumValues?: readonly bigint[];
  read(): PortValue;
}

export interface VcdOptions {
  /** Time stamp of a cycle in `timescale` units (default cycle x 10). */
  readonly timeOf?: (cycle: number) => number;
  /** Clock period in `timescale` units: clk falls half a period after a sample (default 10). */
  readonly period?: number;
  /** The VCD timescale (default '1ns'). */
  readonly timescale?: string;
  /** Only samples stamped in [start, end) are written (default all). */
  readonly window?: { readonly start: number; readonly end: number };
}

interface Var { readonly sig: TraceSignal; readonly id: string; last: PortValue | null; readonly stateId: string | null }

/** Short printable identifiers: '!', '"', ... then two characters, and so on. */
function vcdId(i: number): string {
  let s = '';
  do { s += String.fromCharCode(33 + (i % 94)); i = Math.floor(i / 94); } while (i > 0);
  return s;
}

export class VcdWriter {
  private readonly fd: number;
  private readonly vars: Var[] = [];
  private readonly clkId: string;
  private buf: string[] = [];
  private bufLen = 0;
  private closed = false;
  private lastTime = -1;
  private readonly timeOf: (cycle: number) => number;
  private readonly half: number;
  private readonly start: number;
  private readonly end: number;
  /** Samples written (cycles inside the window). */
  samples = 0;

  constructor(path: string, topName: string, signals: readonly TraceSignal[], date = new Date(), options: VcdOptions = {}) {
    const period = options.period ?? 10;
    if (!(period > 0)) throw new RangeError(`VCD clock period ${period}: must be positive`);
    this.timeOf = options.timeOf ?? ((c) => c * 10);
    this.half = Math.max(1, Math.floor(period / 2));
    this.start = options.window?.start ?? -Infinity;
    this.end = options.window?.end ?? Infinity;
    if (!(this.start < this.end)) throw new RangeError(`VCD window [${this.start}, ${this.end}): the start must be before the end`);
    this.fd = openSync(path, 'w');
    let next = 0;
    this.clkId = vcdId(next++);
    const head: string[] = [`$date ${date.toISOString()} $end`, '$version homa-nic hdl js engine $end', `$timescale ${options.timescale ?? '1ns'} $end`];
    // Group by scope so each instance is one $scope block (sorted so children nest).
    const byScope = new Map<string, TraceSignal[]>();
    for (const sig of signals) {
      if (sig.scope.length === 0 && sig.name === 'clk') continue;
      const key = sig.scope.join('.');
      let list = byScope.get(key);
      if (!list) byScope.set(key, list = []);
      list.push(sig);
    }
    const scopes = [...byScope.keys()].sort();
    let open: string[] = [];
    head.push(`$scope module ${topName} $end`, `$var wire 1 ${this.clkId} clk $end`);
    for (const key of scopes) {
      const path = key === '' ? [] : key.split('.');
      let common = 0;
      while (common < open.length && common < path.length && open[common] === path[common]) common++;
      for (let i = open.length; i > common; i--) head.push('$upscope $end');
      for (let i = common; i < path.length; i++) head.push(`$scope module ${path[i]} $end`);
      open = path;
      for (const sig of byScope.get(key)!) {
        const id = vcdId(next++);
        const range = sig.width > 1 ? ` [${sig.width - 1}:0]` : '';
        head.push(`$var wire ${sig.width} ${id} ${sig.name}${range} $end`);
        let stateId: string | null = null;
        if (sig.enumNames) {
          stateId = vcdId(next++);
          head.push(`$var string 1 ${stateId} ${sig.name}_state $end`);
        }
        this.vars.push({ sig, id, last: null, stateId });
      }
    }
    for (let i = open.length; i > 0; i--) head.push('$upscope $end');
    head.push('$upscope $end', '$enddefinitions $end');
    this.write(head.join('\n') + '\n');
  }

  /** Dumps the values of cycle `cycle` (only those that changed since the last sample). */
  sample(cycle: number): void {
    if (this.closed) return;
    const t = this.timeOf(cycle);
    if (t < this.start || t >= this.end || t <= this.lastTime) return;
    const first = this.lastTime < 0;
    let text = first ? `#${t}\n$dumpvars\n1${this.clkId}\n` : `#${t}\n1${this.clkId}\n`;
    for (const v of this.vars) {
      const val = v.sig.read();
      if (v.last !== null && val === v.last) continue;
      v.last = val;
      text += v.sig.width === 1 ? `${val}${v.id}\n` : `b${val.toString(2)} ${v.id}\n`;
      if (v.stateId) text += `s${stateName(v.sig, val)} ${v.stateId}\n`;
    }
    if (first) text += '$end\n';
    text += `#${t + this.half}\n0${this.clkId}\n`;
    this.lastTime = t;
    this.samples++;
    this.write(text);
  }

  private write(text: string): void {
    this.buf.push(text);
    this.bufLen += text.length;
    if (this.bufLen > 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.buf.length) writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.bufLen = 0;
  }

  /** Writes the final time stamp (that of `endCycle`, inside the window) and closes the file. */
  close(endCycle?: number): void {
    if (this.closed) return;
    let end = endCycle === undefined ? this.lastTime + 2 * this.half : Math.min(this.timeOf(endCycle), this.end);
    if (this.lastTime < 0) end = Math.max(end, 0);
    if (end > this.lastTime + this.half) this.write(`#${end}\n`);
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }
}

function stateName(sig: TraceSignal, v: PortValue): string {
  const i = sig.enumValues!.indexOf(BigInt(v));
  return i < 0 ? `?${v}` : sig.enumNames![i]!;
}
