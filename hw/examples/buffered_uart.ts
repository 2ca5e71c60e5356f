// hw/examples/buffered_uart.ts — hierarchy: a FIFO in front of a UART transmitter, plus two
// byte counters built from one generator (identical parameterisations print once).

import { bool, connect, input, module, output, stream, u } from '../hdl/index.ts';
import { counter } from './counter.ts';
import { smallFifo } from './fifo.ts';
import { uartTx } from './uart_tx.ts';

export const bufferedUart = (divisor: number, depth: number) => module('buffered_uart', {
  data: stream.sink(u(8)),
  countEnable: input(bool),
  txd: output(bool),
  queued: output(u(5)),
  accepted: output(u(8)),
  sent: output(u(8)),
}, (m, io) => {
  const fifo = m.instance('fifo', smallFifo(u(8), depth));
  const tx = m.instance('tx', uartTx(divisor));
  const accepted = m.instance('accepted_count', counter(8));
  const sent = m.instance('sent_count', counter(8));
  connect(io.data, fifo.in);
  connect(fifo.out, tx.data);
  io.txd.set(tx.txd);
  io.queued.set(fifo.count.as(5));
  for (const [c, ev] of [[accepted, io.data.fire()], [sent, tx.data.fire()]] as const) {
    c.enable.set(ev.and(io.countEnable));
    c.clear.set(false);
  }
  io.accepted.set(accepted.count.as(8));
  io.sent.set(sent.count.as(8));
}, { divisor, depth });
