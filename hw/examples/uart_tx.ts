// hw/examples/uart_tx.ts — an 8N1 UART transmitter: a byte stream in, a serial line out.
// `divisor` is the number of clock cycles per bit (clock rate / baud rate).

import { bool, clog2, module, output, stream, u, when } from '../hdl/index.ts';

export const uartTx = (divisor: number) => module('uart_tx', {
  data: stream.sink(u(8)),
  txd: output(bool),
}, (m, io) => {
  const fsm = m.fsm('state', ['idle', 'start', 'bits', 'stop']);
  const r = m.regs({ shift: u(8), bit: u(3), tick: u(clog2(divisor)), line: bool }, { line: 1 });
  const bitDone = m.let('bit_done', r.tick.eq(divisor - 1));
  io.data.ready.set(fsm.is('idle'));
  io.txd.set(r.line);
  m.seq(() => {
    r.tick.set(r.tick.add(1));
    when(bitDone, () => r.tick.set(0));
    fsm.on({
      idle: () => {
        r.tick.set(0);
        when(io.data.fire(), () => {
          r.shift.set(io.data.payload);
          r.line.set(false);
          fsm.goto('start');
        });
      },
      start: () => when(bitDone, () => {
        r.line.set(r.shift.bit(0));
        r.bit.set(0);
        fsm.goto('bits');
      }),
      bits: () => when(bitDone, () => {
        when(r.bit.eq(7), () => {
          r.line.set(true);
          fsm.goto('stop');
        }).otherwise(() => {
          r.bit.set(r.bit.add(1));
          r.shift.set(r.shift.shr(1));
          r.line.set(r.shift.bit(1));
        });
      }),
      stop: () => when(bitDone, () => fsm.goto('idle')),
    });
  });
}, { divisor });
