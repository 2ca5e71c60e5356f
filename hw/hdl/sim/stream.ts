// hw/hdl/sim/stream.ts — stream drivers and monitors that run inside the cycle loop.
//
// A driver feeds a stream the design consumes (valid and payload in, ready out); a monitor
// takes beats from a stream the design produces, with random back-pressure, and checks the
// stream rules on the design's side (hw/hdl/ports.ts):
//  - valid never waits for ready: valid must not change when only ready changes;
//  - once valid is high, valid and payload hold until the transfer (valid && ready).
// Each cycle every component first drives its inputs, then (once everything is poked) all
// sample; a beat moves at the edge when valid and ready are both 1 in the settled values.

import type { PortHandle, PortInfo, PortValue, Simulator } from './simulator.ts';
import { Rng } from './fuzz/random.ts';

/** A beat: one value for a plain payload, or an object keyed by field path ('hdr.len'). */
export type Beat = PortValue | { readonly [field: string]: PortValue };

export class StreamRuleError extends Error {
  override readonly name = 'StreamRuleError';
}

/** What the testbench calls every cycle. */
export interface CycleComponent {
  drive(cycle: number): void;
  sample(cycle: number): void;
}

interface Payload { readonly read: () => Beat; readonly write: (b: Beat) => void; readonly fields: readonly { key: string; h: PortHandle; width: number }[] }

function streamPorts(sim: Simulator, name: string): { valid: PortHandle; ready: PortHandle; validInfo: PortInfo; payload: Payload } {
  const prefix = name.split('.');
  const under = (p: PortInfo, tail: string[]) => p.path.length >= prefix.length + tail.length && [...prefix, ...tail].every((x, i) => p.path[i] === x);
  const validInfo = sim.ports.find((p) => under(p, ['valid']) && p.path.length === prefix.length + 1);
  if (!validInfo) throw new Error(`no stream '${name}': there is no port '${name}.valid' (ports: ${sim.ports.map((p) => p.path.join('.')).join(', ')})`);
  const payloadPorts = sim.ports.filter((p) => under(p, ['payload']));
  const fields = payloadPorts.map((p) => ({ key: p.path.slice(prefix.length + 1).join('.'), h: sim.port(p.path.join('.')), width: p.width }));
  const scalar = fields.length === 1 && fields[0]!.key === '';
  const payload: Payload = {
    fields,
    read: scalar ? () => fields[0]!.h.get() : () => Object.fromEntries(fields.map((f) => [f.key, f.h.get()])),
    write: scalar
      ? (b) => fields[0]!.h.set(b as PortValue)
      : (b) => {
        const o = b as Record<string, PortValue>;
        for (const f of fields) {
          const v = o[f.key];
          if (v === undefined) throw new Error(`stream '${name}': beat has no field '${f.key}' (fields: ${fields.map((x) => x.key).join(', ')})`);
          f.h.set(v);
        }
      },
  };
  return { valid: sim.port(`${name}.valid`), ready: sim.port(`${name}.ready`), validInfo, payload };
}

const sameBeat = (a: Beat, b: Beat): boolean => (typeof a === 'object' ? Object.keys(a).every((k) => (a as Record<string, PortValue>)[k] === (b as Record<string, PortValue>)[k]) : a === b);
const show = (b: Beat): string => (typeof b === 'object' ? JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) : String(b));

export interface DriverOptions {
  /** Chance per cycle of offering the next queued beat (default 1: back to back). */
  readonly validProbability?: number;
  readonly seed?: number;
}

/** Offers queued beats on a stream the design consumes; valid never waits for ready. */
export class StreamDriver implements CycleComponent {
  private readonly queue: Beat[] = [];
  /** Beats the design has accepted, in order. */
  readonly sent: Beat[] = [];
  private offering = false;
  private readonly rng: Rng;
  private readonly ports: ReturnType<typeof streamPorts>;

  constructor(sim: Simulator, readonly name: string, private readonly options: DriverOptions = {}) {
    this.ports = streamPorts(sim, name);
    if (this.ports.validInfo.dir !== 'in') throw new Error(`stream '${name}' is produced by the design: use a monitor, not a driver`);
    this.rng = new Rng(options.seed ?? 1);
  }

  push(...beats: Beat[]): this { this.queue.push(...beats); return this; }
  /** Beats queued and not yet accepted. */
  get pending(): number { return this.queue.length; }

  drive(): void {
    if (!this.offering && this.queue.length && this.rng.chance(this.options.validProbability ?? 1)) {
      this.offering = true;
      this.ports.payload.write(this.queue[0]!);
    }
    // Once offered, the beat and valid hold until the transfer (the rule a source keeps).
    this.ports.valid.set(this.offering ? 1 : 0);
  }

  sample(): void {
    if (this.offering && this.ports.ready.get() === 1) {
      this.sent.push(this.queue.shift()!);
      this.offering = false;
    }
  }
}

export interface MonitorOptions {
  /** Chance per cycle of ready being high (default 1: no back-pressure). */
  readonly readyProbability?: number;
  readonly seed?: number;
  /** Check the stream rules on the design's output (default true). */
  readonly check?: boolean;
  /** Called for every beat transferred. */
  readonly onBeat?: (beat: Beat, cycle: number) => void;
}

/** Takes beats from a stream the design produces, with random back-pressure, checking the rules. */
export class StreamMonitor implements CycleComponent {
  /** Beats transferred, in order. */
  readonly received: Beat[] = [];
  private readonly rng: Rng;
  private readonly ports: ReturnType<typeof streamPorts>;
  private ready = 0;
  /** The beat offered last cycle and not taken (it must still be offered, unchanged). */
  private stalled: Beat | null = null;

  constructor(sim: Simulator, readonly name: string, private readonly options: MonitorOptions = {}) {
    this.ports = streamPorts(sim, name);
    if (this.ports.validInfo.dir !== 'out') throw new Error(`stream '${name}' is consumed by the design: use a driver, not a monitor`);
    this.rng = new Rng(options.seed ?? 2);
  }

  drive(): void {
    this.ready = this.rng.chance(this.options.readyProbability ?? 1) ? 1 : 0;
    this.ports.ready.set(this.ready);
  }

  sample(cycle: number): void {
    const { valid, ready } = this.ports;
    const v = valid.get();
    if (this.options.check ?? true) {
      // valid must not depend on ready: flip ready, look again, put it back.
      ready.set(1 - this.ready);
      const flipped = valid.get();
      ready.set(this.ready);
      if (flipped !== v) throw new StreamRuleError(`stream '${this.name}', cycle ${cycle}: valid changes with ready (valid=${v} with ready=${this.ready}, ${flipped} with ready=${1 - this.ready}); valid must not wait for ready`);
      if (this.stalled !== null) {
        if (v !== 1) throw new StreamRuleError(`stream '${this.name}', cycle ${cycle}: valid dropped before the beat ${show(this.stalled)} was taken`);
        const now = this.ports.payload.read();
        if (!sameBeat(now, this.stalled)) throw new StreamRuleError(`stream '${this.name}', cycle ${cycle}: payload changed from ${show(this.stalled)} to ${show(now)} while valid waited for ready`);
      }
    }
    if (v !== 1) { this.stalled = null; return; }
    const beat = this.ports.payload.read();
    if (this.ready === 1) {
      this.received.push(beat);
      this.stalled = null;
      this.options.onBeat?.(beat, cycle);
    } else this.stalled = beat;
  }
}
