// hw/lib/timer_scan.ts — a table of timers in block RAM, walked one entry per cycle; every
// armed entry whose deadline has passed is raised once (and disarmed).
//
// Arming writes (index, deadline) through `arm` (armed = 0 disarms). The walk reads one entry
// per cycle, so an entry is looked at every `entries` cycles while `expired` keeps up; if it
// does not, the walk waits (nothing is lost). Time is a free-running `now` that may wrap:
// an entry is due when now - deadline, as a signed (width)-bit number, is >= 0, so deadlines
// must stay within half the time range of now. An arm that lands on the entry being looked at
// makes that look stale: the entry is not raised on old data; it is looked at again next lap.
// The RAM's one write port is shared: a disarm (raising an entry) takes it, and `arm` waits
// for that one cycle.

import { False, bool, cat, clog2, input, module, mux, record, stream, u, when } from '../hdl/index.ts';
import { nextIndex, requireParam } from './beat.ts';

export interface TimerScanOptions {
  readonly entries: number;
  readonly timeWidth: number;
}

export function timerScan(o: TimerScanOptions) {
  const { entries: n, timeWidth: tw } = o;
  requireParam(Number.isInteger(n) && n >= 2, `timerScan: entries must be an integer >= 2 (got ${n})`);
  requireParam(Number.isInteger(tw) && tw >= 2, `timerScan: timeWidth must be >= 2 (got ${tw})`);
  const aw = clog2(n);
  const slot = record({ armed: bool, deadline: u(tw) });
  return module(`timer_scan${n}`, {
    arm: stream.sink(record({ index: u(aw), armed: bool, deadline: u(tw) })),
    now: input(u(tw)),
    expired: stream.source(record({ index: u(aw), deadline: u(tw) })),
  }, (m, io) => {
    const ram = m.memory('timers', { layout: slot, depth: n, ports: ['w', 'r'] });
    const [wr, rd] = [ram.ports[0]!, ram.ports[1]!];
    const r = m.regs({ ptr: u(aw) });
    const look = m.reg('look', record({ valid: bool, index: u(aw), stale: bool }));
    const out = m.reg('out', record({ valid: bool, index: u(aw), deadline: u(tw) }));
    const entry = rd.data;
    const late = m.let('late', io.now.sub(entry.deadline).bit(tw - 1).not());
    const due = m.let('due', look.valid.and(look.stale.not()).and(entry.armed).and(late));
    const outFree = m.let('out_free', out.valid.not().or(io.expired.ready));
    const raise = m.let('raise', due.and(outFree));
    // The entry being looked at is finished unless it is due and the output is still full.
    const next = m.let('next', look.valid.not().or(due.not()).or(outFree));
    io.arm.ready.set(raise.not());
    io.expired.valid.set(out.valid);
    io.expired.payload.index.set(out.index);
    io.expired.payload.deadline.set(out.deadline);
    const hitsPtr = io.arm.fire().and(io.arm.payload.index.eq(r.ptr));
    const hitsLook = io.arm.fire().and(io.arm.payload.index.eq(look.index));
    const wen = m.let('write', raise.or(io.arm.fire()));
    const waddr = m.let('write_index', mux(raise, look.index, io.arm.payload.index));
    const wdata = m.let('write_entry', mux(raise, cat(False, entry.deadline), cat(io.arm.payload.armed, io.arm.payload.deadline)));
    m.seq(() => {
      when(next, () => {
        rd.read(r.ptr);
        r.ptr.set(nextIndex(r.ptr, n));
        look.valid.set(true);
        look.index.set(r.ptr);
        look.stale.set(hitsPtr);
      }).otherwise(() => look.stale.set(look.stale.or(hitsLook)));
      when(wen, () => wr.write(waddr, wdata as never));
      when(raise, () => {
        out.valid.set(true);
        out.index.set(look.index);
        out.deadline.set(entry.deadline);
      }).elsewhen(io.expired.ready, () => out.valid.set(false));
    });
  }, { entries: n, timeWidth: tw });
}
