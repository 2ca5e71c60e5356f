// hw/lib/uart_bridge.ts — a host link over a UART: register accesses from the host, and a
// device's DMA reads and writes of host memory, as framed, checksummed messages, so a board
// with only a USB-UART serves the same register map and DMA as a PCIe card.
//
// A frame (both directions): 0xA5, type, len, len payload bytes, then two check bytes A and B,
// the Fletcher sums modulo 256 over type, len and payload (A = sum of the bytes, B = sum of
// the successive A values). Multi-byte fields are big-endian. Messages (UART_BRIDGE below):
//
//   host -> board                              board -> host
//   REG_WRITE seq addr[3] data[4]              REG_RESP seq data[4]   (to both register requests)
//   REG_READ  seq addr[3]                      RD_REQ   tag qp addr[8] len[2]
//   RD_DATA   tag offset[2] data[1..64]        WR       qp wseq addr[8] data[1..64]
//   PING                                       IRQ      qp wseq   (wseq: the next WR's number)
//                                              PONG     wseq
//
// Resynchronisation: the receiver hunts for 0xA5; a frame with a bad check, a length over the
// limit, or a pause of 256 bit times in its middle is dropped (counted in `bad_frames`) and the
// hunt starts again at the next byte, so garbage, a dropped byte, or a reset of either side
// costs at most the frames it touched. Nothing is lost for good:
// - register requests: the host repeats a request it got no answer to, with the same `seq`;
//   the board answers a repeat of the request it executed last from the stored answer without
//   executing it again (so a repeated write does not happen twice);
// - DMA reads: one at a time; the host answers RD_REQ with RD_DATA chunks at increasing
//   offsets; the board takes only the chunk at the offset it expects, and sends RD_REQ again
//   after 4,096 bit times without progress;
// - DMA writes are posted, split into WR chunks of at most 64 bytes, numbered by `wseq`; the
//   host sees a lost chunk as a gap in the numbers, and IRQ and PONG carry the number the next
//   WR will have, so a loss is known by the time an interrupt says to look at host memory
//   (which is then stale: an error the host must surface). An IRQ waits for the writes the
//   device asked for before it, as PCIe's ordering would have it.
//
// The device side has the engine's port shapes at one byte per beat (hw/homa/engine/types.ts):
// reg_req/reg_resp one outstanding, dma_rd_req -> dma_rd_data beats, dma_wr_req + data beats,
// irq. `divisor` is the UART's clock cycles per bit (>= 4).

import { bool, cat, lit, module, mux, output, input, record, stream, u, when, type UInt } from '../hdl/index.ts';
import { uartReceiver, uartTransmitter } from './uart.ts';

/** Frame constants, shared with the host's codec (driver/serial/protocol.ts). */
export const UART_BRIDGE = {
  sync: 0xa5,
  maxChunk: 64,
  /** Longest payload: WR with a full chunk. */
  maxLen: 10 + 64,
  type: { regWrite: 0x01, regRead: 0x02, rdData: 0x03, ping: 0x04, regResp: 0x81, pong: 0x84, rdReq: 0x90, wr: 0x91, irq: 0x92 },
  /** Bit times of silence in a frame's middle after which the receiver drops it. */
  idleBits: 256,
  /** Bit times without progress after which a DMA read is requested again. */
  retryBits: 4096,
} as const;

export interface UartBridgeOptions {
  /** Bits of a register address (the engine's: 22). */
  readonly addrBits: number;
  /** Bits of a queue-pair number. */
  readonly qpBits: number;
  /** Bits of a DMA read tag (the engine's: 4). */
  readonly tagBits: number;
}

export function uartBridge(o: UartBridgeOptions) {
  const T = UART_BRIDGE.type;
  return module('uart_bridge', {
    divisor: input(u(16)),
    rxd: input(bool),
    txd: output(bool),
    reg_req: stream.source(record({ write: bool, addr: u(o.addrBits), wdata: u(32) })),
    reg_resp: stream.sink(u(32)),
    dma_rd_req: stream.sink(record({ addr: u(64), len: u(16), tag: u(o.tagBits), qp: u(o.qpBits) })),
    dma_rd_data: stream.source(record({ data: u(8), last: bool, tag: u(o.tagBits) })),
    dma_wr_req: stream.sink(record({ addr: u(64), len: u(16), qp: u(o.qpBits) })),
    dma_wr_data: stream.sink(record({ data: u(8), last: bool })),
    irq: stream.sink(u(o.qpBits)),
    bad_frames: output(u(16)),
  }, (m, io) => {
    const urx = m.instance('uart_rx', uartReceiver());
    const utx = m.instance('uart_tx', uartTransmitter());
    urx.divisor.set(io.divisor);
    utx.divisor.set(io.divisor);
    urx.rxd.set(io.rxd);
    io.txd.set(utx.txd);
    urx.data.ready.set(true);
    const inByte = urx.data.payload;
    const got = m.let('got_byte', urx.data.valid);

    // ---- receive: frames into one half of a two-frame buffer, checked before use ----
    const rxFsm = m.fsm('rx_phase', ['hunt', 'type', 'len', 'payload', 'sum_a', 'sum_b']);
    const rx = m.reg('rx', record({
      type: u(8), len: u(8), idx: u(8), a: u(8), b: u(8), half: bool, quiet: u(26),
      fields: u(64),                          // REG_*: the first eight payload bytes
      head: u(24),                            // RD_DATA: tag and offset
      bad: u(16), ok: bool,
    }));
    io.bad_frames.set(rx.bad);
    const buf = m.memory('frame_buf', { layout: u(8), depth: 256, ports: ['w', 'r'] });
    const aNext = m.let('rx_a_next', rx.a.add(inByte));
    const bNext = m.let('rx_b_next', rx.b.add(aNext));
    // The timeouts' comparisons are registered (a cycle late is nothing against 256 bit times)
    // to keep their carry chains off the paths into the state machines.
    const late = m.reg('timeouts', record({ quiet: bool, retry: bool }));
    const tooQuiet = late.quiet;
    m.seq(() => {
      late.quiet.set(got.not().and(rx.quiet.ge(cat(io.divisor, lit(8, 0)).as(24).zext(26))));
      rx.ok.set(false);
      rx.quiet.set(mux(got, lit(26, 0), rx.quiet.add(1)));
      const drop = () => { rxFsm.goto('hunt'); rx.bad.set(rx.bad.add(1)); };
      when(rxFsm.is('hunt').not().and(tooQuiet), drop);
      when(got, () => {
        rxFsm.on({
          hunt: () => when(inByte.eq(UART_BRIDGE.sync), () => rxFsm.goto('type')),
          type: () => { rx.type.set(inByte); rx.a.set(inByte); rx.b.set(inByte); rxFsm.goto('len'); },
          len: () => {
            rx.len.set(inByte);
            rx.a.set(aNext);
            rx.b.set(bNext);
            rx.idx.set(0);
            when(inByte.gt(UART_BRIDGE.maxLen), drop)
              .elsewhen(inByte.eq(0), () => rxFsm.goto('sum_a'))
              .otherwise(() => rxFsm.goto('payload'));
          },
          payload: () => {
            buf.ports[0]!.write(cat(rx.half, rx.idx.bits(6, 0)).as(8), inByte);
            when(rx.idx.lt(8), () => rx.fields.set(cat(rx.fields.bits(55, 0), inByte).as(64)));
            when(rx.idx.lt(3), () => rx.head.set(cat(rx.head.bits(15, 0), inByte).as(24)));
            rx.a.set(aNext);
            rx.b.set(bNext);
            rx.idx.set(rx.idx.add(1));
            when(rx.idx.add(1).eq(rx.len), () => rxFsm.goto('sum_a'));
          },
          sum_a: () => when(inByte.eq(rx.a), () => rxFsm.goto('sum_b')).otherwise(drop),
          sum_b: () => when(inByte.eq(rx.b), () => {
            rxFsm.goto('hunt');
            rx.ok.set(true);
            rx.half.set(rx.half.not());
          }).otherwise(drop),
        });
      });
    });
    // The frame just checked (valid in the cycle `rx.ok` is high).
    const isWrite = m.let('req_is_write', rx.type.eq(T.regWrite));
    const isReg = m.let('req_is_reg', isWrite.or(rx.type.eq(T.regRead).and(rx.len.eq(4))).and(isWrite.not().or(rx.len.eq(8))));
    const reqSeq = m.let('req_seq', mux(isWrite, rx.fields.bits(63, 56), rx.fields.bits(31, 24)));
    const reqAddr = m.let('req_addr', mux(isWrite, rx.fields.bits(55, 32), rx.fields.bits(23, 0)));
    const doneHalf = m.let('done_half', rx.half.not());

    // ---- register requests: one at a time, repeats answered from the stored answer ----
    const reg = m.reg('reg', record({
      reqValid: bool, write: bool, addr: u(o.addrBits), wdata: u(32), busy: bool, seq: u(8),
      lastValid: bool, lastSeq: u(8), lastData: u(32), respPending: bool, pongPending: bool,
    }));
    io.reg_req.valid.set(reg.reqValid);
    io.reg_req.payload.write.set(reg.write);
    io.reg_req.payload.addr.set(reg.addr);
    io.reg_req.payload.wdata.set(reg.wdata);
    io.reg_resp.ready.set(reg.busy.and(reg.reqValid.not()));

    // ---- DMA reads: one in flight; chunks taken in order from the frame buffer ----
    const rd = m.reg('rd', record({
      active: bool, addr: u(64), len: u(16), tag: u(o.tagBits), qp: u(o.qpBits),
      offset: u(16), delivered: u(16), reqPending: bool, idle: u(28),
      streaming: bool, half: bool, idx: u(7), n: u(7), presenting: bool,
    }));
    io.dma_rd_req.ready.set(rd.active.not());
    const rdLast = m.let('rd_last', rd.delivered.add(1).eq(rd.len));
    io.dma_rd_data.valid.set(rd.presenting);
    io.dma_rd_data.payload.data.set(buf.ports[1]!.data);
    io.dma_rd_data.payload.last.set(rdLast);
    io.dma_rd_data.payload.tag.set(rd.tag);
    const chunkN = m.let('chunk_n', rx.len.sub(3).bits(6, 0));
    const chunkOffset = m.let('chunk_offset', rx.head.bits(15, 0));
    const chunkTag = m.let('chunk_tag', rx.head.bits(16 + o.tagBits - 1, 16));
    const retry = late.retry;


    // ---- transmit: one message at a time, answers first ----
    const txFsm = m.fsm('tx_phase', ['idle', 'fixed', 'data', 'sum_a', 'sum_b']);
    const tx = m.reg('tx', record({
      msg: u(120), fixedLeft: u(4), dataLeft: u(7), a: u(8), b: u(8), summing: bool,
      wrActive: bool, wrAddr: u(64), wrLeft: u(16), wrQp: u(o.qpBits), wrSeq: u(8),
    }));
    io.dma_wr_req.ready.set(tx.wrActive.not());
    const inData = m.let('tx_in_data', txFsm.is('data'));
    const outByte = m.let('tx_byte', mux(inData, io.dma_wr_data.payload.data,
      mux(txFsm.is('sum_a'), tx.a, mux(txFsm.is('sum_b'), tx.b, tx.msg.bits(119, 112)))));
    utx.data.valid.set(mux(inData, io.dma_wr_data.valid, txFsm.is('idle').not()));
    utx.data.payload.set(outByte);
    const sent = m.let('tx_sent', utx.data.valid.and(utx.data.ready));
    io.dma_wr_data.ready.set(inData.and(utx.data.ready));
    const chunk = m.let('wr_chunk', mux(tx.wrLeft.gt(UART_BRIDGE.maxChunk), lit(16, UART_BRIDGE.maxChunk), tx.wrLeft).bits(6, 0));
    const wantIrq = m.let('tx_want_irq', reg.respPending.not().and(reg.pongPending.not()).and(rd.reqPending.not()).and(tx.wrActive.not()));
    io.irq.ready.set(txFsm.is('idle').and(wantIrq));
    const aNextTx = m.let('tx_a_next', tx.a.add(outByte));
    // A fixed part of `bytes` bytes, left-aligned in the 15-byte message register.
    const load = (bytes: UInt<number>[], data: UInt<number> = lit(7, 0)) => {
      const w = bytes.reduce((s, b) => s + b.width, 0);
      tx.msg.set((w < 120 ? cat(...bytes, lit(120 - w, 0)) : cat(...bytes)).as(120));
      tx.fixedLeft.set(w / 8);
      tx.dataLeft.set(data.as(7));
      tx.a.set(0);
      tx.b.set(0);
      tx.summing.set(false);
      txFsm.goto('fixed');
    };
    const b8 = (v: number) => lit(8, v);
    // One clocked block for all three: the transmitter takes what the others set pending,
    // and a flag set again in the same cycle stays set (it is written after).
    m.seq(() => {
      late.retry.set(rd.idle.ge(cat(io.divisor, lit(12, 0)).as(28)));
      when(io.dma_wr_req.valid.and(tx.wrActive.not()), () => {
        tx.wrActive.set(io.dma_wr_req.payload.len.ne(0));
        tx.wrAddr.set(io.dma_wr_req.payload.addr);
        tx.wrLeft.set(io.dma_wr_req.payload.len);
        tx.wrQp.set(io.dma_wr_req.payload.qp);
      });
      txFsm.on({
        idle: () => {
          when(reg.respPending, () => {
            reg.respPending.set(false);
            load([b8(UART_BRIDGE.sync), b8(T.regResp), b8(5), reg.lastSeq, reg.lastData]);
          }).elsewhen(reg.pongPending, () => {
            reg.pongPending.set(false);
            load([b8(UART_BRIDGE.sync), b8(T.pong), b8(1), tx.wrSeq]);
          }).elsewhen(rd.reqPending, () => {
            rd.reqPending.set(false);
            load([b8(UART_BRIDGE.sync), b8(T.rdReq), b8(12), rd.tag.zext(8), rd.qp.zext(8), rd.addr, rd.len]);
          }).elsewhen(tx.wrActive, () => {
            load([b8(UART_BRIDGE.sync), b8(T.wr), chunk.zext(8).add(10), tx.wrQp.zext(8), tx.wrSeq, tx.wrAddr], chunk);
            tx.wrSeq.set(tx.wrSeq.add(1));
            tx.wrAddr.set(tx.wrAddr.add(chunk.zext(64)));
            tx.wrLeft.set(tx.wrLeft.sub(chunk.zext(16)));
          }).elsewhen(io.irq.valid, () => {
            load([b8(UART_BRIDGE.sync), b8(T.irq), b8(2), io.irq.payload.zext(8), tx.wrSeq]);
          });
        },
        fixed: () => when(sent, () => {
          tx.msg.set(tx.msg.shl(8));
          tx.fixedLeft.set(tx.fixedLeft.sub(1));
          tx.summing.set(true);
          when(tx.summing, () => { tx.a.set(aNextTx); tx.b.set(tx.b.add(aNextTx)); });
          when(tx.fixedLeft.eq(1), () => txFsm.goto('sum_a'));
          when(tx.fixedLeft.eq(1).and(tx.dataLeft.ne(0)), () => txFsm.goto('data'));
        }),
        data: () => when(sent, () => {
          tx.a.set(aNextTx);
          tx.b.set(tx.b.add(aNextTx));
          tx.dataLeft.set(tx.dataLeft.sub(1));
          when(tx.dataLeft.eq(1), () => txFsm.goto('sum_a'));
        }),
        sum_a: () => when(sent, () => txFsm.goto('sum_b')),
        sum_b: () => when(sent, () => {
          txFsm.goto('idle');
          when(tx.wrLeft.eq(0), () => tx.wrActive.set(false));
        }),
      });
      // Register requests.
      when(io.reg_req.ready, () => reg.reqValid.set(false));
      when(io.reg_resp.valid.and(reg.busy).and(reg.reqValid.not()), () => {
        reg.busy.set(false);
        reg.lastValid.set(true);
        reg.lastSeq.set(reg.seq);
        reg.lastData.set(io.reg_resp.payload);
        reg.respPending.set(true);
      });
      when(rx.ok, () => {
        // A PING starts a host's session: requests numbered before it are forgotten.
        when(rx.type.eq(T.ping).and(rx.len.eq(0)), () => { reg.pongPending.set(true); reg.lastValid.set(false); });
        when(isReg, () => {
          when(reg.lastValid.and(reqSeq.eq(reg.lastSeq)).and(reg.busy.not()), () => reg.respPending.set(true))
            .elsewhen(reg.busy.not(), () => {
              reg.reqValid.set(true);
              reg.busy.set(true);
              reg.write.set(isWrite);
              reg.addr.set(reqAddr.trunc(o.addrBits));
              reg.wdata.set(rx.fields.bits(31, 0));
              reg.seq.set(reqSeq);
            });
        });
        // A chunk of the read in flight, at the offset expected next.
        when(rx.type.eq(T.rdData).and(rx.len.gt(3)).and(rd.active).and(rd.streaming.not())
          .and(chunkTag.eq(rd.tag)).and(chunkOffset.eq(rd.offset)).and(chunkOffset.add(chunkN.zext(16)).le(rd.len)), () => {
          rd.streaming.set(true);
          rd.half.set(doneHalf);
          rd.idx.set(3);                    // the bytes after tag and offset
          rd.n.set(rx.len.bits(6, 0));
          rd.offset.set(rd.offset.add(chunkN.zext(16)));
          rd.idle.set(0);
        });
      });
      // Reads: take a request, time out, stream a chunk out one byte every other cycle.
      when(io.dma_rd_req.valid.and(rd.active.not()), () => {
        const p = io.dma_rd_req.payload;
        rd.active.set(p.len.ne(0));
        rd.addr.set(p.addr);
        rd.len.set(p.len);
        rd.tag.set(p.tag);
        rd.qp.set(p.qp);
        rd.offset.set(0);
        rd.delivered.set(0);
        rd.reqPending.set(p.len.ne(0));
        rd.idle.set(0);
      });
      when(rd.active.and(rd.streaming.not()).and(rd.reqPending.not()), () => {
        rd.idle.set(rd.idle.add(1));
        when(retry, () => { rd.reqPending.set(true); rd.idle.set(0); });
      });
      when(rd.streaming.and(rd.presenting.not()), () => {
        buf.ports[1]!.read(cat(rd.half, rd.idx).as(8));
        rd.presenting.set(true);
      });
      when(rd.presenting.and(io.dma_rd_data.ready), () => {
        rd.presenting.set(false);
        rd.delivered.set(rd.delivered.add(1));
        rd.idx.set(rd.idx.add(1));
        when(rd.idx.add(1).eq(rd.n), () => rd.streaming.set(false));
        when(rdLast, () => { rd.active.set(false); rd.streaming.set(false); });
      });
    });
  });
}
