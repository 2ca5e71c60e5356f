// sim/cosim/reg-port.ts — the host's register access through the engine's reg_req / reg_resp
// streams (hw/homa/engine/types.ts): one access outstanding, {write, addr, wdata} in, one
// 32-bit answer out (a write answers too, with 0, once it took effect). The access takes
// the cycles the engine takes; RtlNic steps the clock until the answer comes.

import type { PortHandle, Simulator } from '../../hw/hdl/sim/simulator.ts';
import { PortProtocolError } from './protocol-error.ts';

export class RegPort {
  reads = 0;
  writes = 0;
  private pending = false;
  private accepted = false;
  private answer = 0;
  private answered = false;
  private validPoked = 0;
  private readonly reqValid: PortHandle; private readonly reqReady: PortHandle; private readonly reqWrite: PortHandle;
  private readonly reqAddr: PortHandle; private readonly reqWdata: PortHandle;
  private readonly respValid: PortHandle; private readonly respData: PortHandle;

  constructor(sim: Simulator, private readonly where: () => string = () => '') {
    const p = (n: string): PortHandle => sim.port(n);
    this.reqValid = p('reg_req_valid'); this.reqReady = p('reg_req_ready'); this.reqWrite = p('reg_req_write');
    this.reqAddr = p('reg_req_addr'); this.reqWdata = p('reg_req_wdata');
    this.respValid = p('reg_resp_valid'); this.respData = p('reg_resp_data');
    p('reg_resp_ready').set(1);
    this.reqValid.set(0);
  }

  /** An access waits to be offered, or for its answer. */
  get busy(): boolean { return this.pending; }
  /** The last access's answer is in. */
  get done(): boolean { return this.answered; }
  get result(): number { return this.answer; }

  /** Starts one access; the caller steps the clock until `done`. */
  start(write: boolean, offset: number, wdata: number): void {
    if (this.pending) throw new Error('a register access is already in progress (one outstanding: the host waits for each answer)');
    this.reqWrite.set(write ? 1 : 0);
    this.reqAddr.set(offset);
    this.reqWdata.set(wdata >>> 0);
    this.pending = true;
    this.accepted = false;
    this.answered = false;
    if (write) this.writes++; else this.reads++;
  }

  drive(): void {
    const valid = this.pending && !this.accepted ? 1 : 0;
    if (valid !== this.validPoked) { this.reqValid.set(valid); this.validPoked = valid; }
  }

  sample(): void {
    if (this.validPoked === 1 && this.reqReady.get() === 1) this.accepted = true;
    if (this.respValid.get() === 1) {
      if (!this.pending || !this.accepted) {
        const at = this.where();
        throw new PortProtocolError(`reg_resp: an answer with no register access outstanding (one access at a time, one answer each)${at ? ` (${at})` : ''}`);
      }
      this.answer = this.respData.get() as number;
      this.answered = true;
      this.pending = false;
    }
  }
}
