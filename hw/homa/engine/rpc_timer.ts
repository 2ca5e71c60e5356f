// hw/homa/engine/rpc_timer.ts — which RPCs the tick visits (spec §3.5 homa_timer): a list of
// the live RPC slots, and at each tick a walk over it that sends every one to rx_data as a
// `scan` work item. rx_data keeps each RPC's silent ticks and decides there (it holds the
// message's gaps and the peer's address): RESEND for what is missing, or ETIMEDOUT.
//
//   ev    -> a slot became live (add: a server RPC's first DATA, a client RPC's REQUEST) or
//            ended (remove); rx_data sends each change once, in order;
//   tick  -> the walk starts (or starts again when it ends, if a tick came meanwhile);
//   scan  -> one work item per live slot, at most one every two cycles, behind every frame
//            (the rx_work arbiter's lowest input), so the walk never takes a packet's slot.
//
// The list is two RAMs, so a walk costs one cycle pair per live RPC however many slots the
// configuration has: `list` (position -> slot) and `pos` (slot -> position); an add writes
// the end, a remove moves the last entry into the hole (two cycles: read, write). Changes are
// taken between the walk's steps. One that removes an RPC the walk has already visited moves
// the last entry, not yet visited, below the walk's position: that RPC misses one tick's
// count (its timeout comes a tick later); nothing is visited twice and no RPC is lost.
// `armed` (any RPC live) tells the co-simulation to run the engine at each tick even when it
// is otherwise idle.

import { assign, bool, clog2, connect, input, lit, module, output, record, stream, u, unpack, when } from '../../hdl/index.ts';
import { regFifo } from '../../lib/fifo.ts';
import { engineWidths, rpcSlots, type EngineConfig } from './config.ts';
import { rxWorkLayout } from './rx_dispatch.ts';

/** A slot that became live (`add`) or ended. */
export function timerEventLayout(c: EngineConfig) {
  return record({ add: bool, slot: u(engineWidths(c).rpcSlot) });
}

export function rpcTimer(c: EngineConfig) {
  const w = engineWidths(c);
  const slots = rpcSlots(c);
  const sw = w.rpcSlot;
  const cw = clog2(slots + 1);
  const work = rxWorkLayout(c);
  return module(`rpc_timer_${c.name}`, {
    ev: stream.sink(timerEventLayout(c)),
    tick: input(bool),
    scan: stream.source(work),
    /** Some RPC is live: the next tick has work. */
    armed: output(bool),
    idle: output(bool),
  }, (m, io) => {
    const list = m.memory('list', { layout: u(sw), depth: slots, ports: ['w', 'r'] });
    const pos = m.memory('pos', { layout: u(sw), depth: slots, ports: ['w', 'r'] });
    const [listW, listR, posW, posR] = [list.ports[0]!, list.ports[1]!, pos.ports[0]!, pos.ports[1]!];
    const evs = m.instance('events', regFifo(timerEventLayout(c), 4));
    connect(evs.in, io.ev);
    const st = m.fsm('state', ['rest', 'remove', 'read', 'offer']);
    const r = m.regs({ count: u(cw), walking: bool, at: u(cw), tick_due: bool });
    const rmSlot = m.reg('rm_slot', u(sw));

    const e = evs.out.payload;
    // Changes are taken at rest, and between the walk's steps (before a read).
    const between = m.let('between', st.is('rest').or(st.is('read')));
    const take = m.let('take_event', between.and(evs.out.valid));
    evs.out.ready.set(take);
    const startWalk = m.let('start_walk', st.is('rest').and(evs.out.valid.not()).and(r.tick_due).and(r.count.ne(0)));
    const readNext = m.let('read_next', st.is('read').and(evs.out.valid.not()).and(r.at.lt(r.count)));
    const walkEnds = m.let('walk_ends', st.is('read').and(evs.out.valid.not()).and(r.at.ge(r.count)));

    m.comb(() => {
      assign(io.scan.payload, unpack(work, lit(work.width, 0)));
      io.scan.payload.scan.set(true);
      io.scan.payload.slot.set(listR.data);
    });
    io.scan.valid.set(st.is('offer'));
    io.armed.set(r.count.ne(0));
    io.idle.set(st.is('rest').and(evs.count.eq(0)).and(r.tick_due.not()));

    // The last entry, and the removed slot's position, read together for a remove.
    const lastAt = m.let('last_at', r.count.sub(1).trunc(sw));
    m.seq(() => {
      // A tick with nothing live is forgotten; one during a walk makes another walk follow.
      when(r.count.eq(0), () => r.tick_due.set(false));
      when(io.tick, () => r.tick_due.set(true));
      when(take, () => {
        when(e.add, () => {
          listW.write(r.count.trunc(sw), e.slot);
          posW.write(e.slot, r.count.trunc(sw));
          r.count.set(r.count.add(1));
        }).otherwise(() => {
          posR.read(e.slot);
          listR.read(lastAt);
          rmSlot.set(e.slot);
          st.goto('remove');
        });
      });
      // remove: the last entry (listR.data) takes the removed one's position (posR.data).
      when(st.is('remove'), () => {
        listW.write(posR.data, listR.data);
        when(listR.data.ne(rmSlot), () => posW.write(listR.data, posR.data));
        r.count.set(r.count.sub(1));
        when(r.walking, () => st.goto('read')).otherwise(() => st.goto('rest'));
      });
      when(startWalk, () => {
        r.tick_due.set(false);
        r.walking.set(true);
        r.at.set(0);
        st.goto('read');
      });
      when(readNext, () => {
        listR.read(r.at.trunc(sw));
        st.goto('offer');
      });
      when(walkEnds, () => {
        r.walking.set(false);
        st.goto('rest');
      });
      when(io.scan.fire(), () => {
        r.at.set(r.at.add(1));
        st.goto('read');
      });
    });
  }, { config: c.name });
}
