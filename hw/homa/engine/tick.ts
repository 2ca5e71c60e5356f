// hw/homa/engine/tick.ts — the engine's timer tick (HomaModule's 1 ms hrtimer, spec §3.5):
// `tick_usecs` microseconds of the configuration's clock per tick, counted as cycles per
// microsecond (clockMhz) times microseconds. `jiffy` counts ticks (wrapping at 2^16) and
// `tick` pulses for one cycle as each begins. Rate limits (CUTOFFS once per tick per peer)
// and, later, the timer scan read it.

import { bool, clog2, input, lit, module, mux, output, u } from '../../hdl/index.ts';
import type { EngineConfig } from './config.ts';

export function engineTick(c: EngineConfig) {
  const perUs = Math.round(c.clockMhz);
  return module(`tick_${c.name}`, {
    tick_usecs: input(u(32)),
    jiffy: output(u(16)),
    tick: output(bool),
  }, (m, io) => {
    const cyc = m.reg('cycle_in_us', u(Math.max(1, clog2(perUs + 1))));
    const us = m.reg('us_in_tick', u(32));
    const jiffy = m.reg('jiffies', u(16));
    const pulse = m.reg('tick_pulse', bool);
    const usDone = m.let('us_done', cyc.eq(perUs - 1));
    const tickDone = m.let('tick_done', usDone.and(us.add(1).ge(io.tick_usecs)));
    io.jiffy.set(jiffy);
    io.tick.set(pulse);
    m.seq(() => {
      cyc.set(mux(usDone, lit(cyc.width, 0), cyc.add(1)));
      us.set(mux(tickDone, lit(32, 0), mux(usDone, us.add(1), us)));
      jiffy.set(mux(tickDone, jiffy.add(1), jiffy));
      pulse.set(tickDone);
    });
  }, { config: c.name });
}
