// hw/homa/engine/port_map.ts — which queue pair a Homa port belongs to (spec §2: bind), for
// the receive path's demultiplexing by dport.
//
// Two shapes behind one interface, chosen by size: up to 16 queue pairs, a CAM (a port
// register per queue pair, compared all at once: a few LUTs, no RAM); above, a direct-mapped
// table of 65,536 entries in block RAM (u250: 256 queue pairs, 9 bits x 64 Ki = 16 BRAM36 of
// 2,688), exact and one read per lookup, where a CAM would compare 256 ports every cycle.
//
// lookup -> found: the answer for the port given the cycle before (a registered read).
// cmd -> done: bind claims a port for a queue pair if no queue pair holds it (ok = 0
// otherwise: EADDRINUSE); unbind releases it (always ok). A bind's new owner is seen by
// lookups from the cycle after `done`.

import { bool, lit, module, mux, record, stream, u, vec, when, input, output, type Bool, type UInt } from '../../hdl/index.ts';
import { engineWidths, type EngineConfig } from './config.ts';

/** Queue pairs up to which the port map is a CAM. */
export const PORT_CAM_MAX = 16;

export function portMap(c: EngineConfig) {
  const w = engineWidths(c);
  const io = {
    lookup: input(u(16)),
    found: output(record({ hit: bool, qp: u(w.qp) })),
    cmd: stream.sink(record({ bind: bool, port: u(16), qp: u(w.qp) })),
    done: stream.source(record({ ok: bool })),
  };
  if (c.queuePairs <= PORT_CAM_MAX) {
    return module(`port_map_cam_${c.queuePairs}`, io, (m, io) => {
      const n = c.queuePairs;
      const bound = m.reg('bound', vec(bool, n));
      const port = m.reg('port', vec(u(16), n));
      const found = m.reg('answer', record({ hit: bool, qp: u(w.qp) }));
      const done = m.reg('result', record({ valid: bool, ok: bool }));
      const holds = (p: UInt<16>) => Array.from({ length: n }, (_, i) => bound.at(i).and(port.at(i).eq(p)));
      const look = holds(io.lookup);
      let hitQp: UInt<number> = lit(w.qp, 0);
      for (let i = n - 1; i >= 0; i--) hitQp = mux(look[i]!, lit(w.qp, i), hitQp);
      const taken = m.let('taken', holds(io.cmd.payload.port).reduce<Bool>((a, b) => a.or(b), lit(1, 0).asBool()));
      io.found.hit.set(found.hit);
      io.found.qp.set(found.qp);
      io.cmd.ready.set(done.valid.not());
      io.done.valid.set(done.valid);
      io.done.payload.ok.set(done.ok);
      m.seq(() => {
        found.hit.set(look.reduce<Bool>((a, b) => a.or(b), lit(1, 0).asBool()));
        found.qp.set(hitQp);
        when(io.done.fire(), () => done.valid.set(false));
        when(io.cmd.fire(), () => {
          const p = io.cmd.payload;
          done.valid.set(true);
          done.ok.set(p.bind.not().or(taken.not()));
          for (let i = 0; i < n; i++) {
            when(p.qp.eq(i), () => {
              when(p.bind.and(taken.not()), () => { bound.at(i).set(true); port.at(i).set(p.port); })
                .elsewhen(p.bind.not().and(port.at(i).eq(p.port)), () => bound.at(i).set(false));
            });
          }
        });
      });
    }, { queuePairs: c.queuePairs });
  }
  return module(`port_map_ram_${c.queuePairs}`, io, (m, io) => {
    // Entry = queue pair + 1 (0: unbound), so the RAM's zero power-up state is "no port bound".
    const entry = u(w.qp + 1);
    const table = m.memory('owner', { layout: entry, depth: 65536, ports: ['r', 'rw'] });
    const [look, upd] = [table.ports[0]!, table.ports[1]!];
    const st = m.fsm('state', ['idle', 'check', 'answer']);
    const cmd = m.reg('cmd_held', record({ bind: bool, port: u(16), qp: u(w.qp) }));
    const ok = m.reg('ok', bool);
    io.found.hit.set(look.data.ne(0));
    io.found.qp.set(look.data.sub(1).trunc(w.qp));
    io.cmd.ready.set(st.is('idle'));
    io.done.valid.set(st.is('answer'));
    io.done.payload.ok.set(ok);
    m.seq(() => {
      look.read(io.lookup);
      st.on({
        idle: () => when(io.cmd.fire(), () => {
          cmd.bind.set(io.cmd.payload.bind);
          cmd.port.set(io.cmd.payload.port);
          cmd.qp.set(io.cmd.payload.qp);
          upd.read(io.cmd.payload.port);
          st.goto('check');
        }),
        check: () => {
          const owner = upd.data;
          const mine = owner.eq(cmd.qp.zext(w.qp + 1).add(1));
          when(cmd.bind, () => {
            ok.set(owner.eq(0));
            when(owner.eq(0), () => upd.write(cmd.port, cmd.qp.zext(w.qp + 1).add(1)));
          }).otherwise(() => {
            ok.set(true);
            when(mine, () => upd.write(cmd.port, lit(w.qp + 1, 0)));
          });
          st.goto('answer');
        },
        answer: () => when(io.done.fire(), () => st.goto('idle')),
      });
    });
  }, { queuePairs: c.queuePairs });
}
