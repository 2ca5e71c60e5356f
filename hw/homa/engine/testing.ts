// hw/homa/engine/testing.ts — what the engine's tests share: the host's register access
// through a {write, addr, wdata} -> {rdata} port pair, stepping the simulator synchronously.

import type { PortHandle, Simulator } from '../../hdl/sim/index.ts';

/** The host side of a register port (`req`/`resp` on the register block, `reg_req`/`reg_resp` on the top). */
export class RegPort {
  private readonly h: Record<'valid' | 'ready' | 'write' | 'addr' | 'wdata' | 'rvalid' | 'rready' | 'rdata', PortHandle>;
  /** Cycles the last access took, request to response. */
  lastCycles = 0;

  constructor(private readonly sim: Simulator, req = 'req', resp = 'resp', private readonly limit = 10_000) {
    const p = (n: string): PortHandle => sim.port(n);
    this.h = {
      valid: p(`${req}.valid`), ready: p(`${req}.ready`), write: p(`${req}.payload.write`), addr: p(`${req}.payload.addr`),
      wdata: p(`${req}.payload.wdata`), rvalid: p(`${resp}.valid`), rready: p(`${resp}.ready`), rdata: p(`${resp}.payload`),
    };
    this.h.valid.set(0);
    this.h.rready.set(0);
  }

  read(addr: number): number { return this.access(false, addr, 0); }
  write(addr: number, value: number): void { this.access(true, addr, value); }

  private access(write: boolean, addr: number, value: number): number {
    const h = this.h;
    const start = this.sim.cycle;
    h.valid.set(1);
    h.write.set(write ? 1 : 0);
    h.addr.set(addr);
    h.wdata.set(value >>> 0);
    this.waitFor(h.ready, `request to 0x${addr.toString(16)}`);
    this.sim.step(1);
    h.valid.set(0);
    h.rready.set(1);
    this.waitFor(h.rvalid, `response from 0x${addr.toString(16)}`);
    const data = Number(h.rdata.get());
    this.sim.step(1);
    h.rready.set(0);
    this.lastCycles = this.sim.cycle - start;
    return data >>> 0;
  }

  private waitFor(h: PortHandle, what: string): void {
    for (let i = 0; Number(h.get()) === 0; i++) {
      if (i >= this.limit) throw new Error(`register port: no ${what} after ${this.limit} cycles`);
      this.sim.step(1);
    }
  }
}
