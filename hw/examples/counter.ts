// hw/examples/counter.ts — a free-running counter with enable and synchronous clear.

import { bool, input, module, output, u, when } from '../hdl/index.ts';

export const counter = (width: number) => module('counter', {
  enable: input(bool),
  clear: input(bool),
  count: output(u(width)),
  wrap: output(bool),
}, (m, io) => {
  const r = m.regs({ value: u(width) });
  const last = m.let('last', r.value.eq((1n << BigInt(width)) - 1n));
  m.seq(() => {
    when(io.clear, () => r.value.set(0))
      .elsewhen(io.enable, () => r.value.set(r.value.add(1)));
  });
  io.count.set(r.value);
  io.wrap.set(last.and(io.enable));
}, { width });
