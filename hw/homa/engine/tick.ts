// hw/homa/engine/tick.ts — the engine's timer tick (HomaModule's 1 ms hrtimer, spec §3.5),
// from the platform's microsecond clock `now_us` (a free-running count the board's top keeps,
// or the co-simulation's time): a tick starts whenever `tick_usecs` or more microseconds have
// passed since the last one began. `jiffy` counts ticks (wrapping at 2^16) and `tick` pulses
// for one cycle as each begins. `next_us` says when the next is due, so a co-simulation that
// stops the clock while the engine is idle knows when to run it again; `busy` keeps the
// engine from looking idle from the moment a tick is due until its pulse has gone out. Rate
// limits (CUTOFFS once per tick per peer) and the RPC timers (rpc_timer.ts) read it.
import { bool, input, module, output, u, when } from '../../hdl/index.ts';
import type { EngineConfig } from './config.ts';

export function engineTick(c: EngineConfig) {
  return module(`tick_${c.name}`, {
    now_us: input(u(32)),
    tick_usecs: input(u(32)),
    jiffy: output(u(16)),
    tick: output(bool),
    next_us: output(u(32)),
    /** A tick is due or just began: the engine is not idle. */
    busy: output(bool),
  }, (m, io) => {
    const last = m.reg('last_tick_us', u(32));
    const jiffy = m.reg('jiffies', u(16));
    const pulse = m.reg('tick_pulse', bool);
    // Differences wrap: the clock may wrap at 2^32 us (71 minutes) without a lost tick.
    const due = m.let('due', io.now_us.sub(last).ge(io.tick_usecs));
    io.jiffy.set(jiffy);
    io.tick.set(pulse);
    io.next_us.set(last.add(io.tick_usecs));
    io.busy.set(due.or(pulse));
    m.seq(() => {
      pulse.set(due);
      when(due, () => {
        jiffy.set(jiffy.add(1));
        last.set(io.now_us);
      });
    });
  }, { config: c.name });
}
