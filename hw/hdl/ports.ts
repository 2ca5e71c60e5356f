// hw/hdl/ports.ts — interfaces: records of ports, and streams with valid/ready/payload.
//
// An interface is declared once as a value; from it come the Verilog port names (the keys
// joined with '_'), the values a module body reads and drives, the view a parent has of a
// child instance, and the simulator's port paths.
//
// Stream rules (checked in simulation by the stream monitors): valid never waits for ready;
// once valid is high, valid and payload hold until the transfer (valid && ready).

import type { Layout } from './layout.ts';
import { bool } from './layout.ts';
import { ElaborationError, here } from './loc.ts';
import { verilogName } from './keywords.ts';
import type { Bool } from './values.ts';
import type { ValueOf } from './structs.ts';

export interface PortSpec<D extends 'in' | 'out' = 'in' | 'out', L extends Layout = Layout> {
  readonly kind: 'port';
  readonly dir: D;
  readonly layout: L;
}
export interface StreamSpec<D extends 'sink' | 'source' = 'sink' | 'source', L extends Layout = Layout> {
  readonly kind: 'stream';
  readonly dir: D;
  readonly payload: L;
}
/** One entry of an interface: a port, a stream, a record of entries, or an array of them. */
export type IoEntry = PortSpec | StreamSpec | IoSpec | IoArray;
/** n alike entries (`stream.sinks(payload, n)`): Verilog names `<name>_0_...`, element 0 first. */
export interface IoArray extends ReadonlyArray<IoEntry> {}
export type IoSpec = { readonly [name: string]: IoEntry };

/** An input port of `layout`. */
export function input<L extends Layout>(layout: L): PortSpec<'in', L> { return { kind: 'port', dir: 'in', layout }; }
/** An output port of `layout`. */
export function output<L extends Layout>(layout: L): PortSpec<'out', L> { return { kind: 'port', dir: 'out', layout }; }

export const stream = {
  /** A stream this module consumes: valid and payload in, ready out. */
  sink<L extends Layout>(payload: L): StreamSpec<'sink', L> { return { kind: 'stream', dir: 'sink', payload }; },
  /** A stream this module produces: valid and payload out, ready in. */
  source<L extends Layout>(payload: L): StreamSpec<'source', L> { return { kind: 'stream', dir: 'source', payload }; },
  /** `n` sinks of one payload, as an array: in the body `io.x[i]` is a typed Stream, for any payload and n. */
  sinks<L extends Layout>(payload: L, n: number): readonly StreamSpec<'sink', L>[] { return arrayOf(n, () => stream.sink(payload)); },
  /** `n` sources of one payload, as an array (see sinks). */
  sources<L extends Layout>(payload: L, n: number): readonly StreamSpec<'source', L>[] { return arrayOf(n, () => stream.source(payload)); },
};

/** `n` input ports of `layout`, as an array: `io.x[i]` in the body. */
export function inputs<L extends Layout>(layout: L, n: number): readonly PortSpec<'in', L>[] { return arrayOf(n, () => input(layout)); }
/** `n` output ports of `layout`, as an array. */
export function outputs<L extends Layout>(layout: L, n: number): readonly PortSpec<'out', L>[] { return arrayOf(n, () => output(layout)); }

function arrayOf<T>(n: number, make: () => T): readonly T[] {
  if (!Number.isInteger(n) || n < 1) throw new ElaborationError(`an interface array needs a whole number of entries >= 1 (got ${n})`, here());
  return Object.freeze(Array.from({ length: n }, make));
}

/** A stream as seen in a module body. */
export interface Stream<V> {
  readonly valid: Bool;
  readonly ready: Bool;
  readonly payload: V;
  /** valid && ready: a beat moves this cycle. */
  fire(): Bool;
}

export type IoOf<S> =
  S extends PortSpec<'in' | 'out', infer L> ? ValueOf<L> :
  S extends StreamSpec<'sink' | 'source', infer L> ? Stream<ValueOf<L>> :
  S extends readonly (infer E)[] ? readonly IoOf<E>[] :
  S extends IoSpec ? { readonly [K in keyof S]: IoOf<S[K]> } :
  never;

/** 0 | 1 | ... | N-1 for a literal N (up to a few dozen; a computed N gives `number`). */
export type Indices<N extends number, A extends number[] = []> = number extends N ? number : A['length'] extends N ? A[number] : Indices<N, [...A, A['length']]>;
/** Ports `${prefix}0` .. `${prefix}${N-1}` of one kind, typed, for generators with n numbered ports. */
export type Numbered<P extends string, N extends number, V> = { readonly [K in `${P}${Indices<N>}`]: V };

/** The interface record for numbered ports: `numbered('in', n, stream.sink(payload))` gives in0..in{n-1}. */
export function numbered<P extends string, const N extends number, V>(prefix: P, n: N, spec: V): Numbered<P, N, V> {
  const out: Record<string, V> = {};
  for (let i = 0; i < n; i++) out[`${prefix}${i}`] = spec;
  return out as Numbered<P, N, V>;
}

/** One flattened port leaf: its Verilog name, direction, layout and interface path. */
export interface FlatPort {
  readonly name: string;
  readonly dir: 'in' | 'out';
  readonly layout: Layout;
  readonly path: readonly string[];
}

function isSpec(x: unknown): x is PortSpec | StreamSpec {
  return typeof x === 'object' && x !== null && ((x as { kind?: unknown }).kind === 'port' || (x as { kind?: unknown }).kind === 'stream');
}

/**
 * Flattens an interface into port leaves (records and vectors stay whole: one Verilog port
 * per leaf layout field). Streams give `<name>_valid`, `<name>_ready`, and `<name>_data`
 * for a plain payload or `<name>_<field>` for a record payload.
 */
export function flattenIo(spec: IoSpec, prefix: readonly string[] = [], out: FlatPort[] = []): FlatPort[] {
  for (const [key, s] of Object.entries(spec)) {
    // Array elements are named by index under their array's name (in_0_valid).
    const ok = Array.isArray(spec) ? /^\d+$/.test(key) : /^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
    if (!ok || (Array.isArray(spec) && prefix.length === 0)) throw new ElaborationError(`port name '${key}' is not a valid identifier`, here());
    const path = [...prefix, key];
    if (!isSpec(s)) { flattenIo(s as IoSpec, path, out); continue; }
    if (s.kind === 'port') { portLeaves(s.layout, s.dir, path, out); continue; }
    const fwd = s.dir === 'sink' ? 'in' : 'out';
    const back = s.dir === 'sink' ? 'out' : 'in';
    out.push({ name: [...path, 'valid'].join('_'), dir: fwd, layout: bool, path: [...path, 'valid'] });
    out.push({ name: [...path, 'ready'].join('_'), dir: back, layout: bool, path: [...path, 'ready'] });
    if (s.payload.kind === 'record') portLeaves(s.payload, fwd, path, out, ['payload']);
    else out.push({ name: [...path, 'data'].join('_'), dir: fwd, layout: s.payload, path: [...path, 'payload'] });
  }
  const seen = new Map<string, FlatPort>();
  for (let i = 0; i < out.length; i++) {
    const p = out[i] = { ...out[i]!, name: verilogName(out[i]!.name) };
    if (p.name === 'clk' || p.name === 'rst') throw new ElaborationError(`port name '${p.name}' is reserved for the clock and reset`, here());
    const prev = seen.get(p.name);
    if (prev) throw new ElaborationError(`two ports flatten to the same name '${p.name}' (${prev.path.join('.')} and ${p.path.join('.')})`, here());
    seen.set(p.name, p);
  }
  return out;
}

function portLeaves(layout: Layout, dir: 'in' | 'out', path: readonly string[], out: FlatPort[], pathInsert: readonly string[] = []): void {
  if (layout.kind === 'record') {
    for (const [k, f] of Object.entries(layout.fields)) {
      out.push(...portLeafList(f, dir, [...path, k], [...path, ...pathInsert, k]));
    }
    return;
  }
  out.push(...portLeafList(layout, dir, path, [...path, ...pathInsert]));
}

function portLeafList(layout: Layout, dir: 'in' | 'out', namePath: readonly string[], valuePath: readonly string[]): FlatPort[] {
  if (layout.kind !== 'record') return [{ name: namePath.join('_'), dir, layout, path: valuePath }];
  return Object.entries(layout.fields).flatMap(([k, f]) => portLeafList(f, dir, [...namePath, k], [...valuePath, k]));
}
