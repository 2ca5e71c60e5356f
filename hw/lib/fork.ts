// hw/lib/fork.ts — one stream to n streams: every output gets every beat.
//
// Eager fork: each output takes the beat as soon as it is ready, and a `taken` flag remembers
// which outputs already have it, so one slow output does not hold the others to its pace
// within a beat, and no output's valid depends on any ready (the stream rule). The input beat
// is released in the cycle its last output takes it. Latency 0, one beat per cycle.

import { assign, bool, module, numbered, stream, when, type AnyValue, type Bool, type Layout, type Stream, type ValueOf } from '../hdl/index.ts';
import { requireParam } from './beat.ts';

export function streamFork<L extends Layout, const N extends number>(payload: L, n: N) {
  requireParam(Number.isInteger(n) && n >= 2, `streamFork: n must be an integer >= 2 (got ${n})`);
  return module('stream_fork', { in: stream.sink(payload), ...numbered('out', n, stream.source(payload)) }, (m, io) => {
    const ports = io as unknown as Record<string, Stream<ValueOf<L>>>;
    const input = ports['in']!;
    const taken: Bool[] = [];
    const doneNow: Bool[] = [];
    for (let i = 0; i < n; i++) {
      const out = ports[`out${i}`]!;
      taken.push(m.reg(`taken${i}`, bool));
      out.valid.set(input.valid.and(taken[i]!.not()));
      assign(out.payload as AnyValue, input.payload as AnyValue);
      doneNow.push(m.let(`done${i}`, taken[i]!.or(out.ready)));
    }
    const all = m.let('all_done', doneNow.reduce((a, b) => a.and(b)));
    input.ready.set(all);
    m.seq(() => {
      for (let i = 0; i < n; i++) {
        const out = ports[`out${i}`]!;
        when(input.fire(), () => taken[i]!.set(false))
          .elsewhen(out.fire(), () => taken[i]!.set(true));
      }
    });
  }, { width: payload.width, n });
}
