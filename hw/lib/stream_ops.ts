// hw/lib/stream_ops.ts — streams that compose, in the SpinalHDL manner: inside a module body,
// `flow(m, io.in).queue(16).pipe().into(io.out)` instead of a module, an instance and a
// connect per stage. Each operator instantiates the hw/lib block that does the work (fifo,
// skid buffer, arbiter, fork, join) under a generated instance name and returns the stream
// that leaves it, typed as the one that entered.
//
//   flow(m, s).queue(n)            a FIFO of n beats (hw/lib/fifo.ts queue: registers or RAM)
//   flow(m, s).pipe()              a registered stage that never drops a beat (skid buffer)
//   flow(m, s).fork(n)             n streams that each get every beat (eager fork)
//   flow(m, s).into(sink)          connects to a stream this module drives (a source port, an instance's sink)
//   arbitrate(m, [a, b, c])        one stream of { index, data }, round robin (or 'priority')
//   join(m, { a, b })              one stream of { a, b }: a beat when every input has one
//
// `s` is any stream the module consumes: a sink port, or a child's source.

import { connect, layoutOf, type AnyValue, type Fields, type Layout, type ModuleBuilder, type Stream, type UInt } from '../hdl/index.ts';
import { arbiter, type ArbiterPolicy } from './arbiter.ts';
import { queue as fifoQueue } from './fifo.ts';
import { streamFork } from './fork.ts';
import { streamJoin } from './join.ts';
import { skidBuffer } from './skid_buffer.ts';

const counters = new WeakMap<ModuleBuilder, Map<string, number>>();
/** `s_<kind>_<k>`: the k-th operator of this kind in this module. */
function instanceName(m: ModuleBuilder, kind: string): string {
  let c = counters.get(m);
  if (!c) { c = new Map(); counters.set(m, c); }
  const k = c.get(kind) ?? 0;
  c.set(kind, k + 1);
  return `s_${kind}_${k}`;
}

const payloadLayout = <V>(s: Stream<V>): Layout => layoutOf(s.payload as AnyValue);
// A stream value as connect() takes it: the same object, seen as leaves.
const asLeaves = <V>(s: Stream<V>): Stream<AnyValue> => s as Stream<AnyValue>;

/** A stream in a module body with the operators above. */
export class Flow<V> {
  constructor(readonly m: ModuleBuilder, readonly stream: Stream<V>) {}

  /** Through a FIFO of `depth` beats. */
  queue(depth: number): Flow<V> {
    const q = this.m.instance(instanceName(this.m, 'queue'), fifoQueue(payloadLayout(this.stream), depth));
    connect(q.in, asLeaves(this.stream));
    return new Flow(this.m, q.out as Stream<AnyValue> as Stream<V>);
  }

  /** Through one registered stage (full throughput, ready registered too). */
  pipe(): Flow<V> {
    const p = this.m.instance(instanceName(this.m, 'pipe'), skidBuffer(payloadLayout(this.stream)));
    connect(p.in, asLeaves(this.stream));
    return new Flow(this.m, p.out as Stream<AnyValue> as Stream<V>);
  }

  /** `n` streams, each of which gets every beat. */
  fork(n: number): Flow<V>[] {
    const f = this.m.instance(instanceName(this.m, 'fork'), streamFork(payloadLayout(this.stream), n));
    connect(f.in, asLeaves(this.stream));
    return f.out.map((o) => new Flow(this.m, o as Stream<AnyValue> as Stream<V>));
  }

  /** Drives `sink` (a source port of this module, or a child's sink) from this stream. */
  into(sink: Stream<V>): void {
    connect(asLeaves(sink), asLeaves(this.stream));
  }
}

/** Operators on `s`, a stream this module consumes. */
export function flow<V>(m: ModuleBuilder, s: Stream<V>): Flow<V> {
  return new Flow(m, s);
}

/** One stream from several of one payload: each beat says which input it came from. */
export function arbitrate<V>(m: ModuleBuilder, streams: readonly (Stream<V> | Flow<V>)[], policy: ArbiterPolicy = 'round-robin'): Flow<{ readonly index: UInt<number>; readonly data: V }> {
  const ins = streams.map((s) => (s instanceof Flow ? s.stream : s));
  const a = m.instance(instanceName(m, 'arbiter'), arbiter(payloadLayout(ins[0]!), ins.length, policy));
  ins.forEach((s, i) => connect(a.in[i]!, asLeaves(s)));
  return new Flow(m, a.out as Stream<AnyValue> as Stream<{ readonly index: UInt<number>; readonly data: V }>);
}

/** One stream of a record with a field per input: a beat leaves when every input has one. */
export function join<const S extends Readonly<Record<string, Stream<AnyValue> | Flow<AnyValue>>>>(m: ModuleBuilder, inputs: S): Flow<{ readonly [K in keyof S]: S[K] extends Stream<infer V> | Flow<infer V> ? V : never }> {
  const streams = Object.fromEntries(Object.entries(inputs).map(([k, s]) => [k, s instanceof Flow ? s.stream : s]));
  const fields: Fields = Object.fromEntries(Object.entries(streams).map(([k, s]) => [k, payloadLayout(s)]));
  const j = m.instance(instanceName(m, 'join'), streamJoin(fields));
  for (const [k, s] of Object.entries(streams)) connect(j.in[k]!, asLeaves(s));
  return new Flow(m, j.out as Stream<AnyValue> as Stream<{ readonly [K in keyof S]: S[K] extends Stream<infer V> | Flow<infer V> ? V : never }>);
}
