// hw/lib/uart.ts — 8N1 UART transmitter and receiver; the baud divisor (clock cycles per bit,
// >= 4) is an input, so software can change the rate at run time.
//
// uartTransmitter: a byte stream in, the serial line out (idle high, start bit, 8 data bits
//   LSB first, stop bit). Takes a byte only when idle: one byte per 10 bit times.
// uartReceiver: the serial line in (through two synchronising flip-flops), a byte stream out.
//   It finds the start bit's falling edge, samples the middle of each bit, and checks the stop
//   bit. A UART cannot be paused, so a byte that arrives while the previous one has not been
//   taken is dropped and `overrun` is set; a byte whose stop bit is low is dropped and
//   `frameError` is set. Both flags hold until reset.

import { False, True, bool, cat, input, module, output, stream, u, when } from '../hdl/index.ts';

export function uartTransmitter() {
  return module('uart_transmitter', {
    divisor: input(u(16)),
    data: stream.sink(u(8)),
    txd: output(bool),
  }, (m, io) => {
    // The frame (stop, data, start) shifts out LSB first; ones shift in behind it.
    const r = m.regs({ frame: u(10), left: u(4), tick: u(16) }, { frame: 0x3ff });
    const idle = m.let('idle', r.left.eq(0));
    const bitEnd = m.let('bit_end', r.tick.eq(io.divisor.sub(1)));
    io.data.ready.set(idle);
    io.txd.set(r.frame.bit(0));
    m.seq(() => {
      when(io.data.fire(), () => {
        r.frame.set(cat(True, io.data.payload, False).as(10));
        r.left.set(10);
        r.tick.set(0);
      }).elsewhen(idle.not(), () => {
        r.tick.set(r.tick.add(1));
        when(bitEnd, () => {
          r.tick.set(0);
          r.frame.set(r.frame.shr(1).or(0x200));
          r.left.set(r.left.sub(1));
        });
      });
    });
  });
}

export function uartReceiver() {
  return module('uart_receiver', {
    divisor: input(u(16)),
    rxd: input(bool),
    data: stream.source(u(8)),
    frameError: output(bool),
    overrun: output(bool),
  }, (m, io) => {
    const fsm = m.fsm('phase', ['idle', 'start', 'bits', 'stop']);
    const r = m.regs({ sync1: bool, line: bool, tick: u(16), count: u(3), shift: u(8), held: u(8), full: bool, badStop: bool, lost: bool },
      { sync1: 1, line: 1 });
    const bitEnd = m.let('bit_end', r.tick.eq(io.divisor.sub(1)));
    const halfBit = m.let('half_bit', r.tick.eq(io.divisor.shr(1)));
    io.data.valid.set(r.full);
    io.data.payload.set(r.held);
    io.frameError.set(r.badStop);
    io.overrun.set(r.lost);
    m.seq(() => {
      r.sync1.set(io.rxd);
      r.line.set(r.sync1);
      r.tick.set(r.tick.add(1));
      when(io.data.fire(), () => r.full.set(false));
      fsm.on({
        idle: () => {
          r.tick.set(0);
          when(r.line.not(), () => fsm.goto('start'));
        },
        // Half a bit after the falling edge: still low means a real start bit.
        start: () => when(halfBit, () => {
          r.tick.set(0);
          r.count.set(0);
          when(r.line, () => fsm.goto('idle')).otherwise(() => fsm.goto('bits'));
        }),
        bits: () => when(bitEnd, () => {
          r.tick.set(0);
          r.shift.set(cat(r.line, r.shift.bits(7, 1)).as(8));
          r.count.set(r.count.add(1));
          when(r.count.eq(7), () => fsm.goto('stop'));
        }),
        stop: () => when(bitEnd, () => {
          fsm.goto('idle');
          when(r.line.not(), () => r.badStop.set(true))
            .elsewhen(r.full.and(io.data.ready.not()), () => r.lost.set(true))
            .otherwise(() => {
              r.held.set(r.shift);
              r.full.set(true);
            });
        }),
      });
    });
  });
}
