// hw/examples/traffic_light.ts — a small FSM: a pedestrian crossing with a request button,
// minimum green time and a timed amber phase.

import { bool, input, module, output, u, when, enumType } from '../hdl/index.ts';

export const lamp = enumType('lamp', ['red', 'amber', 'green']);

export const trafficLight = (greenCycles: number, amberCycles: number, walkCycles: number) => module('traffic_light', {
  request: input(bool),
  cars: output(lamp),
  walk: output(bool),
}, (m, io) => {
  const fsm = m.fsm('phase', ['go', 'slow', 'cross']);
  const r = m.regs({ timer: u(16), waiting: bool });
  const expired = m.let('expired', r.timer.eq(0));
  io.cars.set(m.let('lamp_out', mux3(fsm.is('go'), fsm.is('slow'))));
  io.walk.set(fsm.is('cross'));
  m.seq(() => {
    when(io.request, () => r.waiting.set(true));
    when(expired.not(), () => r.timer.set(r.timer.sub(1)));
    fsm.on({
      go: () => when(expired.and(r.waiting.or(io.request)), () => {
        fsm.goto('slow');
        r.timer.set(amberCycles - 1);
      }),
      slow: () => when(expired, () => {
        fsm.goto('cross');
        r.waiting.set(false);
        r.timer.set(walkCycles - 1);
      }),
      cross: () => when(expired, () => {
        fsm.goto('go');
        r.timer.set(greenCycles - 1);
      }),
    });
  });

  function mux3(go: import('../hdl/index.ts').Bool, slow: import('../hdl/index.ts').Bool) {
    const v = m.wire('lamp_sel', lamp);
    m.comb(() => {
      v.setTo('red');
      when(go, () => v.setTo('green')).elsewhen(slow, () => v.setTo('amber'));
    });
    return v;
  }
}, { greenCycles, amberCycles, walkCycles });
