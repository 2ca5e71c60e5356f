// hw/lib/arbiter.ts — n streams to one, the arbiter choosing: strict priority (the lowest
// input index wins) or round robin (the first valid input after the last one granted).
//
// The output carries the winner's payload and its input index. Once a beat is offered it is
// locked in until it leaves (a higher-priority arrival does not change the offered payload,
// which the stream rules forbid). Latency 0, one beat per cycle.

import { False, assign, bool, cat, clog2, module, mux, priorityEncode, record, stream, u, when, type Layout } from '../hdl/index.ts';
import { requireParam } from './beat.ts';

export type ArbiterPolicy = 'priority' | 'round-robin';

/** The output beat of an arbiter: the winner's index and payload. */
export function arbitrated<L extends Layout>(payload: L, n: number) {
  return record({ index: u(clog2(n)), data: payload });
}

export function arbiter<L extends Layout>(payload: L, n: number, policy: ArbiterPolicy) {
  requireParam(Number.isInteger(n) && n >= 2, `arbiter: n must be an integer >= 2 (got ${n})`);
  const name = policy === 'priority' ? 'priority_arbiter' : 'rr_arbiter';
  return module(name, { in: stream.sinks(payload, n), out: stream.source(arbitrated(payload, n)) }, (m, io) => {
    const k = clog2(n);
    const out = io.out;
    const req = io.in.map((s) => s.valid);
    const r = m.regs({ locked: bool, lockIdx: u(k) });
    const last = policy === 'round-robin' ? m.reg('last', u(k)) : null;
    let choice = priorityEncode(cat(...[...req].reverse()));
    if (policy === 'round-robin') {
      // Requests above the last winner first; if there are none, the lowest request.
      const above = req.map((q, i) => (i === 0 ? False : q.and(last!.lt(i))));
      const anyAbove = m.let('any_above', above.reduce((a, b) => a.or(b)));
      choice = mux(anyAbove, priorityEncode(cat(...[...above].reverse())), choice);
    }
    const grant = m.let('grant', mux(r.locked, r.lockIdx, m.let('choice', choice)));
    const anyValid = m.let('any_valid', req.reduce((a, b) => a.or(b)));
    out.valid.set(anyValid);
    out.payload.index.set(grant);
    let data = io.in[0]!.payload;
    for (let i = 1; i < n; i++) data = mux(grant.eq(i), io.in[i]!.payload, data);
    assign(out.payload.data, data);
    io.in.forEach((s, i) => s.ready.set(out.ready.and(grant.eq(i))));
    m.seq(() => {
      r.locked.set(anyValid.and(out.ready.not()));
      r.lockIdx.set(grant);
      if (last) when(out.fire(), () => last.set(grant));
    });
  }, { width: payload.width, n });
}
