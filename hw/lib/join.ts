// hw/lib/join.ts — several streams to one: a beat leaves when every input has one, and its
// payload is a record of the inputs' payloads (one field per input, named as given).
// Latency 0, one beat per cycle. Each input's ready waits for the others' valid, never the
// reverse, so the stream rules hold on both sides.

import { assign, module, record, stream, type AnyValue, type Fields, type StreamSpec } from '../hdl/index.ts';
import { requireParam } from './beat.ts';

export function streamJoin<const F extends Fields>(inputs: F) {
  const names = Object.keys(inputs);
  requireParam(names.length >= 2, `streamJoin: needs at least two inputs (got ${names.length})`);
  requireParam(!names.includes('out'), "streamJoin: 'out' names the output; call the inputs something else");
  const ins = {} as Record<string, StreamSpec<'sink'>>;
  for (const k of names) ins[k] = stream.sink(inputs[k]!);
  const outLayout = record(inputs);
  return module('stream_join', { in: ins, out: stream.source(outLayout) }, (m, io) => {
    const out = io.out;
    const allValid = m.let('all_valid', names.map((k) => io.in[k]!.valid).reduce((a, b) => a.and(b)));
    out.valid.set(allValid);
    for (const k of names) {
      io.in[k]!.ready.set(allValid.and(out.ready));
      assign((out.payload as Record<string, AnyValue>)[k]!, io.in[k]!.payload);
    }
  }, { fields: names.join('_') });
}
