// boards/sim/sim-board.ts — a simulated dev board: the board core (boards/flows/core.ts: the
// engine in its `ice40` configuration, the RMII MAC, the UART bridge) cycle by cycle in the JS
// simulator or Verilator, with its UART as a byte stream and its RMII port wired to a second
// NIC (the reference model, sim/model) as a PHY would: frames to dibits and back, FCS and all.
//
// One cycle is 20 ns (the 50 MHz REF_CLK). The UART runs at the core's divisor (default 4
// cycles per bit: 12.5 Mbaud in simulated time); the serial side of a pseudo-terminal does not
// care about the rate.

import { simulate, type Simulator } from '../../hw/hdl/sim/index.ts';
import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import { rmiiDecode, rmiiReceive, withFcs, type RmiiRxCycle } from '../../hw/lib/rmii_models.ts';
import { EventQueue } from '../../sim/model/harness.ts';
import type { Endpoint, EndpointPort, TimerHandle } from '../../sim/net/endpoint.ts';
import { boardCore } from '../flows/core.ts';

export const CYCLE_PS = 20_000;

export interface SimBoardOptions {
  readonly engine?: string;
  readonly divisor?: number;
}

export class SimBoard {
  readonly divisor: number;
  /** Simulated time of the second NIC's side, in picoseconds (one cycle = 20 ns). */
  readonly q = new EventQueue();
  /** Frames the board sent (FCS good) and received from the peer. */
  readonly counts = { framesOut: 0, badFramesOut: 0, framesIn: 0, uartIn: 0, uartOut: 0 };
  private toUart: number[] = [];
  private level: number[] = [];
  private rx = { busy: false, t: 0, bits: 0, n: 0, prev: 1 };
  private rmiiIn: RmiiRxCycle[] = [];
  private txEn: number[] = [];
  private txd: number[] = [];
  private peer: Endpoint | null = null;
  private peerBusyUntil = 0;

  private constructor(readonly sim: Simulator, divisor: number, private readonly onUart: (bytes: Uint8Array) => void) {
    this.divisor = divisor;
    sim.poke('uart_rx', 1);
    sim.poke('rmii_crs_dv', 0);
    sim.poke('rmii_rxd', 0);
  }

  static async create(onUart: (bytes: Uint8Array) => void, o: SimBoardOptions = {}): Promise<SimBoard> {
    const divisor = o.divisor ?? 4;
    const sim = await simulate(boardCore({ engine: ENGINE_CONFIGS.ice40, divisor, clockMhz: 50 }), { engine: o.engine ?? 'js' });
    sim.reset(4);
    return new SimBoard(sim, divisor, onUart);
  }

  /** The second NIC on the board's Ethernet port. */
  attachPeer(peer: Endpoint): void {
    this.peer = peer;
    const q = this.q;
    const port: EndpointPort = {
      now: () => q.now,
      at: (t: number, fn: () => void): TimerHandle => q.at(t, fn),
      cancel: (h: TimerHandle) => q.cancel(h),
      wake: () => { q.at(q.now, () => this.pullPeer()); },
      linkBitsPerSecond: 100e6,
    };
    peer.attach(port);
  }

  private pullPeer(): void {
    if (!this.peer || this.rmiiIn.length > 0) { if (this.peer) this.q.at(this.q.now + 1_000_000, () => this.pullPeer()); return; }
    const f = this.peer.pull();
    if (!f) return;
    this.rmiiIn.push(...rmiiReceive(withFcs(f), { gap: 48 }));
    this.counts.framesIn++;
    // More frames wait their turn on the wire.
    this.q.at(this.q.now + 1_000_000, () => this.pullPeer());
  }

  /** Bytes from the host for the board's UART. */
  uartSend(bytes: Uint8Array): void { this.toUart.push(...bytes); this.counts.uartIn += bytes.length; }

  /** Runs `cycles` clock cycles. */
  run(cycles: number): void {
    const s = this.sim, d = this.divisor;
    for (let i = 0; i < cycles; i++) {
      if (this.level.length === 0 && this.toUart.length) {
        const b = this.toUart.shift()!;
        for (let k = 0; k < 10; k++) for (let t = 0; t < d; t++) this.level.push(k === 0 ? 0 : k === 9 ? 1 : (b >> (k - 1)) & 1);
      }
      s.poke('uart_rx', this.level.length ? this.level.shift()! : 1);
      const c = this.rmiiIn.shift();
      s.poke('rmii_crs_dv', c ? c.crsDv : 0);
      s.poke('rmii_rxd', c ? c.rxd : 0);
      s.step();
      this.q.run(this.q.now + CYCLE_PS);
      // UART out, sampled mid-bit.
      const txd = Number(s.peek('uart_tx'));
      const r = this.rx;
      if (!r.busy && r.prev === 1 && txd === 0) { r.busy = true; r.t = 0; r.bits = 0; r.n = 0; }
      else if (r.busy && ++r.t % d === d >> 1) {
        if (r.n >= 1 && r.n <= 8) r.bits |= txd << (r.n - 1);
        if (++r.n === 10) { r.busy = false; if (txd) { this.counts.uartOut++; this.onUart(Uint8Array.of(r.bits)); } }
      }
      r.prev = txd;
      // RMII out: a frame ends when TX_EN falls.
      const en = Number(s.peek('rmii_tx_en'));
      if (en) { this.txEn.push(1); this.txd.push(Number(s.peek('rmii_txd'))); }
      else if (this.txEn.length) {
        for (const f of rmiiDecode(this.txEn, this.txd)) {
          if (!f.fcsOk || !f.preambleOk) { this.counts.badFramesOut++; continue; }
          this.counts.framesOut++;
          this.peer?.receive(f.bytes);
        }
        this.txEn = []; this.txd = [];
      }
    }
  }

  /** True when nothing is on its way in (UART or Ethernet): the caller may sleep a little. */
  quiet(): boolean { return this.toUart.length === 0 && this.level.length === 0 && this.rmiiIn.length === 0 && !this.rx.busy; }

  dispose(): void { this.sim.dispose(); }
}
