// hw/homa/engine/grant_window.ts — the divisions the grant scheduler needs, done once per
// change of the tunables instead of per packet (spec §3.2):
//  - max_incoming / k for k = 1..9: the dynamic window max_incoming / (active + 1);
//  - the FIFO grant interval in cycles: the time to send fifo_grant_increment bytes at
//    grant_fifo_fraction per mille of link_mbps, i.e. increment * 8 * 1000 * clockMhz /
//    (link_mbps * fraction) (fraction capped at 500); 0 when FIFO grants are off (fraction or
//    increment 0, or no link rate).
// One restoring divider, a quotient bit a cycle (64 cycles a division); `ready` is low from a
// change of an input until every result is current again (about 650 cycles). Out of reset the
// results are those of HomaModule's defaults, computed here, so the engine decides at once.

import { bool, input, lit, module, mux, output, u, vec, when } from '../../hdl/index.ts';
import { defaultTunables } from '../abi.ts';
import type { EngineConfig } from './config.ts';

/** The FIFO grant interval in cycles, as grant_window computes it (0: off). */
export function fifoCycles(c: EngineConfig, increment: number, linkMbps: number, fraction: number): bigint {
  const f = BigInt(Math.min(fraction, 500));
  if (increment === 0 || f === 0n || linkMbps === 0) return 0n;
  const q = (BigInt(increment) * 8000n * BigInt(Math.round(c.clockMhz))) / (BigInt(linkMbps) * f);
  return q > 2n ** 48n - 1n ? 2n ** 48n - 1n : q;
}

const JOBS = 10;            // nine window divisions, then the FIFO interval

export function grantWindow(c: EngineConfig) {
  const clockMhz = Math.round(c.clockMhz);
  return module(`grant_window_${c.name}`, {
    max_incoming: input(u(32)),
    fifo_increment: input(u(32)),
    link_mbps: input(u(32)),
    fifo_fraction: input(u(32)),
    /** window[k - 1] = max_incoming / k. */
    window: output(vec(u(32), 9)),
    /** Cycles between FIFO grants; 0: off. */
    fifo_cycles: output(u(48)),
    ready: output(bool),
  }, (m, io) => {
    const d = defaultTunables();
    const table = m.reg('table', vec(u(32), 9), Array.from({ length: 9 }, (_, k) => Math.floor(d.max_incoming / (k + 1))));
    const fifo = m.reg('fifo', u(48), fifoCycles(c, d.fifo_grant_increment, d.link_mbps, d.grant_fifo_fraction));
    const seen = {
      seen_max: m.reg('seen_max', u(32), d.max_incoming), seen_inc: m.reg('seen_inc', u(32), d.fifo_grant_increment),
      seen_link: m.reg('seen_link', u(32), d.link_mbps), seen_frac: m.reg('seen_frac', u(32), d.grant_fifo_fraction),
      valid: m.reg('seen_valid', bool, 1),
    };
    const job = m.reg('job', u(4));
    const busy = m.reg('busy', bool);
    const bit = m.reg('bit', u(7));
    const rem = m.reg('rem', u(65));
    const quo = m.reg('quo', u(64));
    for (let k = 0; k < 9; k++) io.window.at(k).set(table.at(k));
    io.fifo_cycles.set(fifo);

    const frac = m.let('fraction', mux(io.fifo_fraction.gt(500), lit(32, 500), io.fifo_fraction));
    const changed = m.let('changed', seen.valid.not().or(seen.seen_max.ne(io.max_incoming)).or(seen.seen_inc.ne(io.fifo_increment))
      .or(seen.seen_link.ne(io.link_mbps)).or(seen.seen_frac.ne(io.fifo_fraction)));
    io.ready.set(busy.not().and(changed.not()));

    // The current job's operands.
    const fifoJob = m.let('fifo_job', job.eq(JOBS - 1));
    const dividend = m.let('dividend', mux(fifoJob, io.fifo_increment.zext(64).mul(lit(64, 8000 * clockMhz)).trunc(64).as(64), io.max_incoming.zext(64).as(64)));
    const divisor = m.let('divisor', mux(fifoJob, io.link_mbps.zext(64).mul(frac.zext(64)).trunc(64).as(64), job.add(1).zext(64).as(64)));
    const fifoOff = m.let('fifo_off', io.fifo_increment.eq(0).or(frac.eq(0)).or(io.link_mbps.eq(0)));

    const shifted = m.let('shifted', rem.shl(1).or(dividend.zext(65).shr(bit.sub(1).trunc(6)).and(lit(65, 1))));
    const fits = m.let('fits', shifted.ge(divisor.zext(65)));
    const q = m.let('quotient', quo.shl(1).or(fits.asUInt().zext(64)));

    m.seq(() => {
      when(busy.not().and(changed), () => {
        busy.set(true);
        job.set(0); bit.set(64); rem.set(0); quo.set(0);
        seen.seen_max.set(io.max_incoming); seen.seen_inc.set(io.fifo_increment);
        seen.seen_link.set(io.link_mbps); seen.seen_frac.set(io.fifo_fraction); seen.valid.set(true);
      });
      when(busy, () => {
        rem.set(mux(fits, shifted.sub(divisor.zext(65)), shifted));
        quo.set(q);
        bit.set(bit.sub(1));
        when(bit.eq(1), () => {
          for (let k = 0; k < 9; k++) when(job.eq(k), () => table.at(k).set(q.trunc(32)));
          when(fifoJob, () => fifo.set(mux(fifoOff, lit(48, 0), mux(q.gt(lit(64, 2 ** 48 - 1)), lit(48, 2 ** 48 - 1), q.trunc(48)))));
          job.set(job.add(1)); bit.set(64); rem.set(0); quo.set(0);
          // A change while dividing starts over (the results must all come from one setting).
          when(fifoJob.or(changed), () => busy.set(false));
        });
      });
    });
  }, { config: c.name });
}
