// hw/lib/rmii_mac.ts — a 100 Mb/s Ethernet MAC on RMII (two bits per REF_CLK cycle at 50 MHz),
// frames without FCS on both stream sides as one-byte beats, the shape of the engine's `mac`
// port at one byte per beat.
//
// One clock: `rmii_en` is a clock enable for the RMII side. With the design clocked by the
// PHY's 50 MHz REF_CLK it is tied high; with a faster clock it is high one cycle in every
// REF_CLK period (and at 10 Mb/s one in ten). The pins are sampled and driven only in those
// cycles; a byte therefore lasts four of them.
//
// Receive (IEEE 802.3 clause 4 framing, RMII specification 1.2): CRS_DV high and RXD 01 is
// preamble; RXD 11 after it is the end of the SFD; then bytes arrive LSB dibit first. After carrier
// drops, a PHY still draining its FIFO holds CRS_DV low on the first dibit of each nibble and
// high on the second; so a low on a first dibit is still data, and the frame ends when CRS_DV
// is low on a second dibit (the first dibit of that nibble was no data). The last four bytes
// are the FCS: the MAC holds five bytes back, so a frame's last data byte leaves with `last`
// once the end is seen, and `error` set on it when the CRC over
// everything (FCS included) is not the residue 0xDEBB20E3, the frame ended mid-byte, it was
// shorter than 64 bytes, or a byte of it was lost. A frame of fewer than 5 bytes is dropped.
// The receiver cannot be stopped: a beat that finds the output still full is lost (its frame
// ends with `error`, `rx_overrun` pulses); the last beat waits for the slot instead, so frame
// boundaries are never lost.
//
// Transmit: a frame starts when its first beat is offered: 7 bytes of preamble, the SFD, the
// bytes (taken one per byte time), zero padding to 60 bytes, the FCS, then TX_EN low for the
// inter-frame gap of 12 byte times. If the next beat of a frame is not offered in time, a zero
// byte goes out in its place, `tx_underrun` pulses and the frame's FCS is sent inverted so
// every receiver drops it (the frame's boundaries stay where the stream put them). `keep`
// must be 1 on every beat.

import { bool, cat, lit, module, mux, output, input, record, stream, u, when } from '../hdl/index.ts';
import { beat } from './beat.ts';
import { crcStep } from './crc32.ts';

/** The receive beat: one byte, `error` meaningful on the last beat (the engine's macRx at one byte). */
export const rmiiRxBeat = record({ data: u(8), keep: u(1), last: bool, error: bool });

/** CRC-32 register after a frame and its correct FCS (no final XOR): IEEE 802.3's residue. */
export const CRC32_RESIDUE = 0xdebb20e3;
/** Bytes of preamble and SFD, of minimum frame without FCS, and of inter-frame gap. */
export const RMII = { preambleBytes: 8, minFrameBytes: 60, gapBytes: 12 } as const;

export function rmiiMac() {
  return module('rmii_mac', {
    rmii_en: input(bool),
    rmii_rxd: input(u(2)),
    rmii_crs_dv: input(bool),
    rmii_txd: output(u(2)),
    rmii_tx_en: output(bool),
    rx: stream.source(rmiiRxBeat),
    tx: stream.sink(beat(1)),
    rx_overrun: output(bool),
    tx_underrun: output(bool),
  }, (m, io) => {
    const en = io.rmii_en;

    // ---- receive ----
    const rxFsm = m.fsm('rx_phase', ['idle', 'preamble', 'data']);
    const rx = m.reg('rx', record({
      crs: bool, rxd: u(2),                    // the pins, registered once in REF_CLK cycles
      dibit: u(2), shift: u(6),                // position in the byte, the dibits so far
      held: u(40), count: u(7),                // the last five bytes (newest low), bytes seen (saturating at 127)
      crc: u(32), lost: bool,
      outValid: bool, outData: u(8), outLast: bool, outError: bool,
      lastWait: bool, lastData: u(8), lastError: bool,
      lostPulse: bool,
    }));
    io.rx.valid.set(rx.outValid);
    io.rx.payload.data.set(rx.outData);
    io.rx.payload.keep.set(1);
    io.rx.payload.last.set(rx.outLast);
    io.rx.payload.error.set(rx.outError);
    io.rx_overrun.set(rx.lostPulse);
    const byte = m.let('rx_byte', cat(rx.rxd, rx.shift).as(8));
    const crcNext = m.let('rx_crc_next', crcStep(m, 'rx_crc', rx.crc, byte, 1));
    const oldest = m.let('rx_oldest', rx.held.bits(39, 32));
    // Free this cycle: empty, or its beat leaves now.
    const slotFree = m.let('rx_slot_free', rx.outValid.not().or(io.rx.ready));
    const frameBad = m.let('rx_frame_bad', rx.crc.ne(CRC32_RESIDUE).or(rx.dibit.ne(1)).or(rx.lost).or(rx.count.lt(64)));

    m.seq(() => {
      rx.lostPulse.set(false);
      when(io.rx.ready, () => rx.outValid.set(false));
      // A held last beat takes the slot as soon as it is free.
      when(rx.lastWait.and(slotFree), () => {
        rx.lastWait.set(false);
        rx.outValid.set(true);
        rx.outData.set(rx.lastData);
        rx.outLast.set(true);
        rx.outError.set(rx.lastError);
      });
      when(en, () => {
        rx.crs.set(io.rmii_crs_dv);
        rx.rxd.set(io.rmii_rxd);
        rxFsm.on({
          idle: () => when(rx.crs.and(rx.rxd.eq(1)), () => rxFsm.goto('preamble')),
          preamble: () => {
            when(rx.crs.not().or(rx.rxd.eq(0)).or(rx.rxd.eq(2)), () => rxFsm.goto('idle'))
              .elsewhen(rx.rxd.eq(3), () => {
                rxFsm.goto('data');
                rx.dibit.set(0);
                rx.count.set(0);
                rx.crc.set(0xffffffff);
                rx.lost.set(false);
              });
          },
          data: () => {
            when(rx.crs.not().and(rx.dibit.bit(0)), () => {
              // End of frame: the oldest held byte is the last data byte.
              rxFsm.goto('idle');
              when(rx.count.ge(5), () => {
                when(slotFree.and(rx.lastWait.not()), () => {
                  rx.outValid.set(true);
                  rx.outData.set(oldest);
                  rx.outLast.set(true);
                  rx.outError.set(frameBad);
                }).otherwise(() => {
                  rx.lastWait.set(true);
                  rx.lastData.set(oldest);
                  rx.lastError.set(frameBad);
                });
              });
            }).otherwise(() => {
              rx.dibit.set(rx.dibit.add(1));
              rx.shift.set(cat(rx.rxd, rx.shift.bits(5, 2)).as(6));
              when(rx.dibit.eq(3), () => {
                rx.crc.set(crcNext.as(32));
                rx.held.set(cat(rx.held.bits(31, 0), byte).as(40));
                when(rx.count.ne(127), () => rx.count.set(rx.count.add(1)));
                when(rx.count.ge(5), () => {
                  when(slotFree.and(rx.lastWait.not()), () => {
                    rx.outValid.set(true);
                    rx.outData.set(oldest);
                    rx.outLast.set(false);
                    rx.outError.set(false);
                  }).otherwise(() => {
                    rx.lost.set(true);
                    rx.lostPulse.set(true);
                  });
                });
              });
            });
          },
        });
      });
    });

    // ---- transmit ----
    const txFsm = m.fsm('tx_phase', ['idle', 'preamble', 'data', 'pad', 'fcs', 'gap']);
    const tx = m.reg('tx', record({
      txd: u(2), txEn: bool,                   // the pins, registered
      cur: u(8), dibit: u(2), count: u(6),     // the byte going out, its dibit, bytes of this phase
      crc: u(32), fcs: u(24), curLast: bool, bad: bool, underrunPulse: bool,
    }));
    io.rmii_txd.set(tx.txd);
    io.rmii_tx_en.set(tx.txEn);
    io.tx_underrun.set(tx.underrunPulse);
    const byteEnd = m.let('tx_byte_end', en.and(tx.dibit.eq(3)));
    // `count` changes only at a byte's end, so its comparisons can be registered: at the next
    // byte end, three or more cycles later, they are current (this keeps the comparators off the
    // path into the byte-end decisions, the slowest on an iCE40).
    const at = m.reg('tx_count_is', record({ six: bool, seven: bool, four: bool, gapEnd: bool, short: bool }));
    // The stream's next byte is wanted at the end of the SFD and of every data byte but the last.
    const wantData = m.let('tx_want_data', txFsm.is('preamble').and(at.seven).or(txFsm.is('data').and(tx.curLast.not())));
    io.tx.ready.set(byteEnd.and(wantData));
    const dataByte = m.let('tx_data_byte', mux(io.tx.valid, io.tx.payload.data, lit(8, 0)));
    const crcData = m.let('tx_crc_data', crcStep(m, 'tx_crc_data', tx.crc, dataByte, 1));
    const crcPad = m.let('tx_crc_pad', crcStep(m, 'tx_crc_pad', tx.crc, lit(8, 0), 1));
    const fcsWord = m.let('tx_fcs_word', mux(tx.bad, tx.crc, tx.crc.xor(0xffffffff)));
    const active = m.let('tx_active', txFsm.is('idle').not().and(txFsm.is('gap').not()));

    m.seq(() => {
      at.six.set(tx.count.eq(6));
      at.seven.set(tx.count.eq(7));
      at.four.set(tx.count.eq(4));
      at.gapEnd.set(tx.count.eq(RMII.gapBytes - 1));
      at.short.set(tx.count.lt(RMII.minFrameBytes));
      tx.underrunPulse.set(false);
      when(en, () => {
        tx.txEn.set(active);
        tx.txd.set(mux(active, tx.cur.bits(1, 0), lit(2, 0)));
        tx.cur.set(tx.cur.shr(2));
        tx.dibit.set(tx.dibit.add(1));
      });
      // After the data (and any padding): the FCS, least significant byte first.
      const startFcs = () => {
        txFsm.goto('fcs');
        tx.cur.set(fcsWord.bits(7, 0));
        tx.fcs.set(fcsWord.bits(31, 8));
        tx.count.set(1);
      };
      const takeData = () => {
        tx.cur.set(dataByte.as(8));
        tx.crc.set(crcData.as(32));
        tx.curLast.set(io.tx.valid.and(io.tx.payload.last));
        when(io.tx.valid.not(), () => { tx.bad.set(true); tx.underrunPulse.set(true); });
        when(tx.count.ne(63), () => tx.count.set(tx.count.add(1)));
      };
      txFsm.on({
        idle: () => when(en.and(io.tx.valid), () => {
          txFsm.goto('preamble');
          tx.cur.set(0x55);
          tx.dibit.set(0);
          tx.count.set(0);
          tx.crc.set(0xffffffff);
          tx.bad.set(false);
        }),
        preamble: () => when(byteEnd, () => {
          tx.count.set(tx.count.add(1));
          tx.cur.set(mux(at.six, lit(8, 0xd5), lit(8, 0x55)));
          when(at.seven, () => {
            txFsm.goto('data');
            takeData();
            tx.count.set(1);
          });
        }),
        data: () => when(byteEnd, () => {
          when(tx.curLast.not(), takeData)
            .elsewhen(at.short, () => {
              txFsm.goto('pad');
              tx.cur.set(0);
              tx.crc.set(crcPad.as(32));
              tx.count.set(tx.count.add(1));
            })
            .otherwise(startFcs);
        }),
        pad: () => when(byteEnd, () => {
          when(at.short, () => {
            tx.cur.set(0);
            tx.crc.set(crcPad.as(32));
            tx.count.set(tx.count.add(1));
          }).otherwise(startFcs);
        }),
        fcs: () => when(byteEnd, () => {
          when(at.four, () => {
            txFsm.goto('gap');
            tx.count.set(0);
          }).otherwise(() => {
            tx.cur.set(tx.fcs.bits(7, 0));
            tx.fcs.set(tx.fcs.shr(8));
            tx.count.set(tx.count.add(1));
          });
        }),
        gap: () => when(byteEnd, () => {
          tx.count.set(tx.count.add(1));
          when(at.gapEnd, () => txFsm.goto('idle'));
        }),
      });
    });
  });
}
