// sim/cosim/stand-in.ts — TEST DOUBLE. A tiny engine with the real engine top's ports
// (engineIo(c), hw/homa/engine/types.ts) so the co-simulation can be tested before the Homa
// engine exists. It implements no Homa at all:
//  - a register RAM below STAND_IN_RAM_BYTES (so the ABI's config words, ip_addr and mac_addr
//    among them, read back what was written; answers one cycle later than other registers);
//  - a few registers of its own at STAND_IN_REGS: a DMA write of `len` bytes of a counting
//    pattern (byte i = pattern + i) to `addr` starting at lane `lane` (lanes outside the
//    payload carry 0xEE, which the host must ignore); a DMA read of `len` bytes whose
//    Fletcher sums (a += byte, b += a, 32 bits) it keeps; an irq pulse for a queue pair;
//  - per queue pair only an ACTIVE bit: ctrl's ENABLE sets it, clearing ENABLE clears it at
//    once, and either page's status reads it;
//  - mac rx -> 32-beat FIFO -> mac tx (a loopback);
//  - `idle` high exactly when no register answer, DMA, irq or FIFO beat is pending.

import { False, True, assign, bool, cat, connect, lit, module, mux, u, when, type AnyValue, type UInt } from '../../hw/hdl/index.ts';
import { QP_CTRL_BASE, QP_CTRL_REG, QP_STRIDE, QP_USER_BASE, QP_USER_REG, QpCtrl } from '../../hw/homa/abi.ts';
import { engineWidths, type EngineConfig } from '../../hw/homa/engine/config.ts';
import { engineIo } from '../../hw/homa/engine/types.ts';
import { beat } from '../../hw/lib/beat.ts';
import { ramFifo } from '../../hw/lib/fifo.ts';

/** The stand-in's own registers (byte offsets, in a hole of the ABI's register map). */
export const STAND_IN_REGS = {
  dmaAddrLo: 0x40000, dmaAddrHi: 0x40004, dmaLen: 0x40008, dmaQp: 0x4000c, dmaLane: 0x40010, pattern: 0x40014,
  /** Write: start the DMA write. */
  goWrite: 0x40018,
  /** Write: start the DMA read (tag = pattern & 15). */
  goRead: 0x4001c,
  sumA: 0x40020, sumB: 0x40024, writesDone: 0x40028, readsDone: 0x4002c,
  /** Write a queue pair number: one irq pulse for it. */
  irq: 0x40030,
  scratch: 0x40034,
  /** The tag of the last read data beat. */
  readTag: 0x40038,
} as const;

/** Register RAM size: covers the ABI's identity, config, counter and queue-pair header blocks. */
export const STAND_IN_RAM_BYTES = 4096;

/** `dishonestIdle`: idle ignores the loopback FIFO (to test that the co-simulation notices). */
export function standInEngine(c: EngineConfig, opt: { dishonestIdle?: boolean } = {}) {
  const w = engineWidths(c);
  const B = c.beatBytes;
  const logB = Math.log2(B);
  const io = engineIo(c);
  return module(`cosim_stand_in_${c.name}_${B}${opt.dishonestIdle ? '_dishonest' : ''}`, io, (m, io) => {
    const R = STAND_IN_REGS;
    const r = m.regs({
      respValid: bool, respData: u(32), ramPending: bool,
      addrLo: u(32), addrHi: u(32), len: u(16), qp: u(w.qp), lane: u(w.lane), pattern: u(8), scratch: u(32),
      wBusy: bool, wReqSent: bool, wBeat: u(16), writesDone: u(32),
      rBusy: bool, rReqSent: bool, rLeft: u(17), sumA: u(32), sumB: u(32), readsDone: u(32), readTag: u(4),
      irqPending: bool, irqQp: u(w.qp), active: u(c.queuePairs),
    });
    const ram = m.memory('ram', { layout: u(32), depth: STAND_IN_RAM_BYTES / 4, ports: ['rw'] });
    const ramPort = ram.ports[0]!;

    // ---- registers ----
    const req = io.reg_req.payload;
    const addr = req.addr as UInt<number>;
    const isRam = m.let('is_ram', addr.lt(STAND_IN_RAM_BYTES));
    const page = m.let('page', addr.bits(21, 20));
    const qpField = m.let('qp_field', addr.bits(19, 12));
    const pageOff = m.let('page_off', addr.bits(11, 0));
    const qpOk = m.let('qp_ok', c.queuePairs >= 256 ? True : qpField.lt(c.queuePairs));
    const qpIndex = qpField.trunc(w.qp);
    const qpBit = m.let('qp_bit', lit(c.queuePairs, 1).shl(qpIndex));
    const isCtrlWrite = m.let('is_ctrl_write', page.eq(QP_CTRL_BASE >> 20).and(qpOk).and(pageOff.eq(QP_CTRL_REG['ctrl']!)));
    const isStatus = m.let('is_status', qpOk.and(
      page.eq(QP_CTRL_BASE >> 20).and(pageOff.eq(QP_CTRL_REG['status']!)).or(page.eq(QP_USER_BASE >> 20).and(pageOff.eq(QP_USER_REG['status']!)))));
    if (QP_STRIDE !== 0x1000 || QP_USER_BASE !== 0x200000 || QP_CTRL_BASE !== 0x100000) throw new Error('stand-in: the ABI moved the queue-pair pages; update its address decode');
    const named: [number, UInt<number>][] = [
      [R.dmaAddrLo, r.addrLo], [R.dmaAddrHi, r.addrHi], [R.dmaLen, r.len.zext(32)], [R.dmaQp, r.qp.zext(32)],
      [R.dmaLane, r.lane.zext(32)], [R.pattern, r.pattern.zext(32)], [R.sumA, r.sumA], [R.sumB, r.sumB],
      [R.writesDone, r.writesDone], [R.readsDone, r.readsDone], [R.scratch, r.scratch], [R.readTag, r.readTag.zext(32)],
    ];
    let readValue: UInt<number> = mux(isStatus, r.active.shr(qpIndex).bit(0).asUInt().zext(32), lit(32, 0));
    for (const [a, v] of named) readValue = mux(addr.eq(a), v, readValue);
    const readMux = m.let('read_value', readValue);
    io.reg_req.ready.set(r.respValid.not().and(r.ramPending.not()));
    io.reg_resp.valid.set(r.respValid);
    io.reg_resp.payload.set(r.respData);

    // ---- DMA write: one request, beats of the pattern ----
    const base = m.let('w_base', r.wBeat.zext(24).shl(logB));
    const lane24 = r.lane.zext(24);
    const end24 = m.let('w_end', lane24.add(r.len.zext(24)));
    const bytes: UInt<number>[] = [];
    for (let p = 0; p < B; p++) {
      const pos = base.add(p);
      const inside = pos.ge(lane24).and(pos.lt(end24));
      const value = r.pattern.add(pos.trunc(8)).sub(r.lane.zext(8));
      bytes.push(mux(inside, value, lit(8, 0xee)));
    }
    io.dma_wr_req.valid.set(r.wBusy.and(r.wReqSent.not()));
    io.dma_wr_req.payload.addr.set(r.addrHi.cat(r.addrLo));
    io.dma_wr_req.payload.len.set(r.len);
    io.dma_wr_req.payload.qp.set(r.qp);
    io.dma_wr_req.payload.lane.set(r.lane);
    io.dma_wr_data.valid.set(r.wBusy);
    io.dma_wr_data.payload.data.set(B === 1 ? bytes[0]! : cat(...bytes.slice().reverse()));
    const wLast = m.let('w_last', base.add(B).ge(end24));
    io.dma_wr_data.payload.last.set(wLast);

    // ---- DMA read: one request, Fletcher sums over the bytes ----
    io.dma_rd_req.valid.set(r.rBusy.and(r.rReqSent.not()));
    io.dma_rd_req.payload.addr.set(r.addrHi.cat(r.addrLo));
    io.dma_rd_req.payload.len.set(r.len);
    io.dma_rd_req.payload.tag.set(r.pattern.trunc(4));
    io.dma_rd_req.payload.qp.set(r.qp);
    io.dma_rd_data.ready.set(r.rBusy);
    const rd = io.dma_rd_data.payload;
    let a: UInt<number> = r.sumA;
    let b: UInt<number> = r.sumB;
    for (let p = 0; p < B; p++) {
      const take = r.rLeft.gt(p);
      const byte = (rd.data as UInt<number>).bits(8 * p + 7, 8 * p).zext(32);
      a = mux(take, a.add(byte), a);
      b = mux(take, b.add(a), b);
    }
    const nextA = m.let('next_a', a);
    const nextB = m.let('next_b', b);

    // ---- irq ----
    io.irq.valid.set(r.irqPending);
    io.irq.payload.set(r.irqQp);

    // ---- loopback ----
    const loop = m.instance('loop', ramFifo(beat(B), 32));
    loop.in.valid.set(io.mac_rx.valid);
    assign(loop.in.payload.data as AnyValue, io.mac_rx.payload.data as AnyValue);
    assign(loop.in.payload.keep as AnyValue, io.mac_rx.payload.keep as AnyValue);
    loop.in.payload.last.set(io.mac_rx.payload.last);
    io.mac_rx.ready.set(loop.in.ready);
    connect(loop.out, io.mac_tx);

    const fifoBusy = opt.dishonestIdle ? False : (loop.count as UInt<number>).ne(0);
    io.timer_armed.set(false);
    io.wake_us.set(0);
    io.idle.set(r.respValid.or(r.ramPending).or(r.wBusy).or(r.rBusy).or(r.irqPending).or(fifoBusy).not());

    m.seq(() => {
      when(r.ramPending, () => {
        r.respData.set((ramPort.data as UInt<number>).as(32));
        r.respValid.set(true);
        r.ramPending.set(false);
      });
      when(io.reg_resp.fire(), () => r.respValid.set(false));
      when(io.reg_req.fire(), () => {
        when(req.write, () => {
          r.respValid.set(true);
          r.respData.set(0);
          const wd = (req.wdata as UInt<number>).as(32);
          when(isRam, () => ramPort.write(addr.bits(11, 2), wd));
          when(addr.eq(R.dmaAddrLo), () => r.addrLo.set(wd));
          when(addr.eq(R.dmaAddrHi), () => r.addrHi.set(wd));
          when(addr.eq(R.dmaLen), () => r.len.set(wd.trunc(16)));
          when(addr.eq(R.dmaQp), () => r.qp.set(wd.trunc(w.qp)));
          when(addr.eq(R.dmaLane), () => r.lane.set(wd.trunc(w.lane)));
          when(addr.eq(R.pattern), () => r.pattern.set(wd.trunc(8)));
          when(addr.eq(R.scratch), () => r.scratch.set(wd));
          when(addr.eq(R.goWrite).and(r.wBusy.not()), () => { r.wBusy.set(true); r.wReqSent.set(false); r.wBeat.set(0); });
          when(addr.eq(R.goRead).and(r.rBusy.not()), () => {
            r.rBusy.set(true); r.rReqSent.set(false); r.rLeft.set(r.len.zext(17)); r.sumA.set(0); r.sumB.set(0);
          });
          when(addr.eq(R.irq), () => { r.irqPending.set(true); r.irqQp.set(wd.trunc(w.qp)); });
          when(isCtrlWrite, () => r.active.set(mux(wd.bit(0), r.active.or(qpBit), r.active.and(qpBit.not()))));
          if (QpCtrl.ENABLE !== 1) throw new Error('stand-in: QpCtrl.ENABLE moved from bit 0');
        }).otherwise(() => {
          when(isRam, () => { ramPort.read(addr.bits(11, 2)); r.ramPending.set(true); })
            .otherwise(() => { r.respValid.set(true); r.respData.set(readMux.as(32)); });
        });
      });
      when(io.dma_wr_req.fire(), () => r.wReqSent.set(true));
      when(io.dma_wr_data.fire(), () => {
        r.wBeat.set(r.wBeat.add(1));
        when(wLast, () => { r.wBusy.set(false); r.writesDone.set(r.writesDone.add(1)); });
      });
      when(io.dma_rd_req.fire(), () => r.rReqSent.set(true));
      when(io.dma_rd_data.fire(), () => {
        r.sumA.set(nextA.as(32));
        r.sumB.set(nextB.as(32));
        r.rLeft.set(mux(r.rLeft.gt(B), r.rLeft.sub(B), lit(17, 0)));
        r.readTag.set((rd.tag as UInt<number>).as(4));
        when(rd.last, () => { r.rBusy.set(false); r.readsDone.set(r.readsDone.add(1)); });
      });
      when(io.irq.fire(), () => r.irqPending.set(false));
    });
  }, { config: c.name, beatBytes: B, dishonestIdle: opt.dishonestIdle ?? false });
}

/** TEST DOUBLE: the engine top's ports, every output 0 (`idle` high): a register access never answers. */
export function silentEngine(c: EngineConfig) {
  return module(`cosim_silent_${c.name}_${c.beatBytes}`, engineIo(c), (_m, io) => {
    for (const s of [io.reg_req, io.dma_rd_data, io.mac_rx]) s.ready.set(false);
    for (const s of [io.reg_resp, io.dma_rd_req, io.dma_wr_req, io.dma_wr_data, io.mac_tx, io.irq]) s.valid.set(false);
    io.reg_resp.payload.set(0);
    io.irq.payload.set(0);
    for (const p of [io.dma_rd_req.payload, io.dma_wr_req.payload, io.dma_wr_data.payload, io.mac_tx.payload]) {
      for (const v of Object.values(p)) (v as UInt<number>).set(0);
    }
    io.timer_armed.set(false);
    io.wake_us.set(0);
    io.idle.set(true);
  }, { config: c.name });
}
