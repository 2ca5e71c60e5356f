// boards/flows/core.ts — what every UART-hosted dev board runs: the Homa engine joined to the
// RMII MAC (hw/lib/rmii_mac.ts) and the UART host bridge (hw/lib/uart_bridge.ts), on one
// clock. A board's top wrapper (its PLL, pins and reset) instantiates this module.
//
// One byte per beat: the engine's `ice40` configuration. The MAC's RMII side is sampled in
// every cycle (`rmii_en` high), so the clock is the PHY's 50 MHz REF_CLK. The UART's divisor
// is fixed when the core is generated (clock / baud).

import { bool, clog2, connect, input, lit, module, mux, output, u, when, type ModuleDef } from '../../hw/hdl/index.ts';
import type { IoSpec } from '../../hw/hdl/ports.ts';
import { homaEngine } from '../../hw/homa/engine/engine.ts';
import { engineWidths, type EngineConfig } from '../../hw/homa/engine/config.ts';
import { rmiiMac } from '../../hw/lib/rmii_mac.ts';
import { uartBridge } from '../../hw/lib/uart_bridge.ts';
import { REG_ADDR_BITS, DMA_TAG_BITS } from '../../hw/homa/engine/types.ts';

export interface CoreOptions {
  /** The engine configuration (one byte per beat). */
  readonly engine: EngineConfig;
  /** UART clock cycles per bit (clock / baud, >= 4). */
  readonly divisor: number;
  /** The clock the core runs on (MHz, an integer): the engine's microseconds are counted from it. */
  readonly clockMhz: number;
  /** Without the engine: the MAC's frames looped back and the bridge's requests answered by a
   *  small register file (a quick check of the board's MAC, UART and flow). */
  readonly shell?: boolean;
}

/** The pins every UART-hosted board core has (the wrapper adds clock and reset). */
function coreIo() {
  return {
    rmii_rxd: input(u(2)),
    rmii_crs_dv: input(bool),
    rmii_txd: output(u(2)),
    rmii_tx_en: output(bool),
    uart_rx: input(bool),
    uart_tx: output(bool),
    led_rx: output(bool),
    led_host: output(bool),
  };
}

export function boardCore(o: CoreOptions): ModuleDef<IoSpec> {
  if (o.engine.beatBytes !== 1) throw new RangeError(`boardCore: engine configuration '${o.engine.name}' has ${o.engine.beatBytes}-byte beats; the RMII MAC and UART bridge need 1`);
  if (!Number.isInteger(o.divisor) || o.divisor < 4 || o.divisor > 65535) throw new RangeError(`boardCore: UART divisor ${o.divisor} (clock cycles per bit, 4..65535)`);
  if (!Number.isInteger(o.clockMhz) || o.clockMhz < 1) throw new RangeError(`boardCore: clock ${o.clockMhz} MHz must be a whole number of MHz (the engine counts microseconds in cycles)`);
  const w = engineWidths(o.engine);
  const def = module(o.shell ? 'board_shell' : 'board_core', coreIo(), (m, io) => {
    const mac = m.instance('mac', rmiiMac());
    const bridge = m.instance('bridge', uartBridge({ addrBits: REG_ADDR_BITS, qpBits: w.qp, tagBits: DMA_TAG_BITS }));
    mac.rmii_en.set(true);
    mac.rmii_rxd.set(io.rmii_rxd);
    mac.rmii_crs_dv.set(io.rmii_crs_dv);
    io.rmii_txd.set(mac.rmii_txd);
    io.rmii_tx_en.set(mac.rmii_tx_en);
    bridge.divisor.set(o.divisor);
    bridge.rxd.set(io.uart_rx);
    io.uart_tx.set(bridge.txd);
    io.led_rx.set(mac.rx.valid);
    io.led_host.set(bridge.reg_req.valid);
    if (o.shell) {
      // Frames straight back out; registers read back what was written to the low 16 words.
      connect(mac.tx.valid, mac.rx.valid);
      mac.tx.payload.data.set(mac.rx.payload.data);
      mac.tx.payload.keep.set(1);
      mac.tx.payload.last.set(mac.rx.payload.last);
      mac.rx.ready.set(mac.tx.ready);
      const regs = m.memory('regs', { layout: u(32), depth: 16 });
      const r = m.regs({ busy: bool, wasWrite: bool });
      const req = bridge.reg_req;
      req.ready.set(r.busy.not());
      bridge.reg_resp.valid.set(r.busy);
      bridge.reg_resp.payload.set(mux(r.wasWrite, lit(32, 0), regs.ports[0]!.data));
      m.seq(() => {
        when(req.valid.and(r.busy.not()), () => {
          r.busy.set(true);
          r.wasWrite.set(req.payload.write);
          const addr = req.payload.addr.bits(5, 2);
          when(req.payload.write, () => regs.ports[0]!.write(addr, req.payload.wdata)).otherwise(() => regs.ports[0]!.read(addr));
        });
        when(r.busy.and(bridge.reg_resp.ready), () => r.busy.set(false));
      });
      // No DMA and no interrupts without the engine.
      for (const s of ['dma_rd_req', 'dma_wr_req', 'dma_wr_data', 'irq'] as const) bridge[s].valid.set(false);
      for (const f of [bridge.dma_rd_req.payload.addr, bridge.dma_rd_req.payload.len, bridge.dma_rd_req.payload.tag, bridge.dma_rd_req.payload.qp,
        bridge.dma_wr_req.payload.addr, bridge.dma_wr_req.payload.len, bridge.dma_wr_req.payload.qp, bridge.dma_wr_data.payload.data, bridge.irq.payload]) f.set(0);
      bridge.dma_wr_data.payload.last.set(false);
      bridge.dma_rd_data.ready.set(true);
      return;
    }
    const engine = m.instance('engine', homaEngine(o.engine));
    // The engine's clock of microseconds (its timers' time), counted from this clock.
    const perUs = o.clockMhz;
    const t = m.regs({ cycle_in_us: u(Math.max(1, clog2(perUs))), now_us: u(32) });
    const usDone = t.cycle_in_us.eq(perUs - 1);
    m.seq(() => {
      t.cycle_in_us.set(mux(usDone, lit(t.cycle_in_us.width, 0), t.cycle_in_us.add(1)));
      when(usDone, () => t.now_us.set(t.now_us.add(1)));
    });
    engine.now_us.set(t.now_us);
    connect(engine.mac_rx, mac.rx);
    connect(mac.tx, engine.mac_tx);
    connect(engine.reg_req, bridge.reg_req);
    connect(bridge.reg_resp, engine.reg_resp);
    // DMA reads: the engine asks, the host's bytes come back through the bridge.
    bridge.dma_rd_req.valid.set(engine.dma_rd_req.valid);
    engine.dma_rd_req.ready.set(bridge.dma_rd_req.ready);
    bridge.dma_rd_req.payload.addr.set(engine.dma_rd_req.payload.addr);
    bridge.dma_rd_req.payload.len.set(engine.dma_rd_req.payload.len);
    bridge.dma_rd_req.payload.tag.set(engine.dma_rd_req.payload.tag);
    bridge.dma_rd_req.payload.qp.set(engine.dma_rd_req.payload.qp);
    connect(engine.dma_rd_data, bridge.dma_rd_data);
    // DMA writes: at one byte per beat the first byte is always in lane 0.
    bridge.dma_wr_req.valid.set(engine.dma_wr_req.valid);
    engine.dma_wr_req.ready.set(bridge.dma_wr_req.ready);
    bridge.dma_wr_req.payload.addr.set(engine.dma_wr_req.payload.addr);
    bridge.dma_wr_req.payload.len.set(engine.dma_wr_req.payload.len);
    bridge.dma_wr_req.payload.qp.set(engine.dma_wr_req.payload.qp);
    connect(bridge.dma_wr_data, engine.dma_wr_data);
    connect(bridge.irq, engine.irq);
  });
  return def as unknown as ModuleDef<IoSpec>;
}
