// hw/lib/fork.ts — one stream to n streams: every output gets every beat.
//
// Eager fork: each output takes the beat as soon as it is ready, and a `taken` flag remembers
// which outputs already have it, so one slow output does not hold the others to its pace
// within a beat, and no output's valid depends on any ready (the stream rule). The input beat
// is released in the cycle its last output takes it. Latency 0, one beat per cycle.

import { assign, bool, module, stream, when, type Bool, type Layout } from '../hdl/index.ts';
import { requireParam } from './beat.ts';

export function streamFork<L extends Layout>(payload: L, n: number) {
  requireParam(Number.isInteger(n) && n >= 2, `streamFork: n must be an integer >= 2 (got ${n})`);
  return module('stream_fork', { in: stream.sink(payload), out: stream.sources(payload, n) }, (m, io) => {
    const input = io.in;
    const taken: Bool[] = [];
    const doneNow: Bool[] = [];
    for (let i = 0; i < n; i++) {
      const out = io.out[i]!;
      taken.push(m.reg(`taken${i}`, bool));
      out.valid.set(input.valid.and(taken[i]!.not()));
      assign(out.payload, input.payload);
      doneNow.push(m.let(`done${i}`, taken[i]!.or(out.ready)));
    }
    const all = m.let('all_done', doneNow.reduce((a, b) => a.and(b)));
    input.ready.set(all);
    m.seq(() => {
      for (let i = 0; i < n; i++) {
        const out = io.out[i]!;
        when(input.fire(), () => taken[i]!.set(false))
          .elsewhen(out.fire(), () => taken[i]!.set(true));
      }
    });
  }, { width: payload.width, n });
}
