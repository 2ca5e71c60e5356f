// sim/cosim/dma-port.ts — host memory as the engine's DMA ports see it (hw/homa/engine/types.ts):
//   reads:  dma_rd_req {addr, len, tag, qp} -> dma_rd_data beats {data, last, tag}, bytes
//           packed from lane 0, in request order;
//   writes: dma_wr_req {addr, len, qp, lane} + dma_wr_data beats {data, last}, the first byte
//           in lane `lane` of the first beat; performed in request order (posted, as PCIe).
// Every request goes through the DMA watchdog before a byte moves.
//
// Latency: none added by default. Requests are always accepted; a read's first data beat is
// offered the cycle after its request (the least a registered interface can do), then one
// beat per cycle the engine takes; write data is taken in the request's own cycle onwards and
// lands in host memory as each beat arrives. `readLatencyCycles` / `writeLatencyCycles` add
// cycles for experiments (a PCIe round trip is ~1 us).
//
// Runs inside the simulator's cycle hook: drive() pokes inputs, sample() reads what moved.
// Inputs are poked only when they change, so a quiet port costs no extra settle.

import type { PortHandle, Simulator } from '../../hw/hdl/sim/simulator.ts';
import type { BeatCodec } from './beats.ts';
import type { DmaWatchdog } from './dma-watchdog.ts';
import { PortProtocolError } from './protocol-error.ts';

export interface DmaLatency {
  /** Extra cycles between a read request and its first data beat (default 0). */
  readonly readLatencyCycles?: number;
  /** Extra cycles before written bytes become visible in host memory (default 0). */
  readonly writeLatencyCycles?: number;
}

interface ReadJob { bytes: Uint8Array; tag: number; qp: number; address: bigint; done: number; readyCycle: number }
interface WriteJob { bytes: Uint8Array; staging: Uint8Array | null; lane: number; qp: number; address: bigint; done: number }
interface PendingWrite { bytes: Uint8Array; staging: Uint8Array; cycle: number }

/** A FIFO over an array with a moving head (shift() on a long array is O(n)). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number { return this.items.length - this.head; }
  peek(): T | undefined { return this.items[this.head]; }
  push(x: T): void { this.items.push(x); }
  shift(): void {
    this.head++;
    if (this.head > 32 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
  }
}

const hex = (a: bigint): string => `0x${a.toString(16)}`;

export class DmaPort {
  bytesRead = 0;
  bytesWritten = 0;
  readRequests = 0;
  writeRequests = 0;
  private readonly reads = new Fifo<ReadJob>();
  private readonly writes = new Fifo<WriteJob>();
  private readonly delayed = new Fifo<PendingWrite>();
  private readonly readLatency: number;
  private readonly writeLatency: number;
  private presenting = false;
  private presentedBytes = 0;
  private rdValidPoked = 0;
  private wrReadyPoked = 0;

  private readonly rdReqValid: PortHandle; private readonly rdAddr: PortHandle; private readonly rdLen: PortHandle;
  private readonly rdTag: PortHandle; private readonly rdQp: PortHandle;
  private readonly rdDataValid: PortHandle; private readonly rdDataReady: PortHandle; private readonly rdData: PortHandle;
  private readonly rdLast: PortHandle; private readonly rdDataTag: PortHandle;
  private readonly wrReqValid: PortHandle; private readonly wrAddr: PortHandle; private readonly wrLen: PortHandle;
  private readonly wrQp: PortHandle; private readonly wrLane: PortHandle;
  private readonly wrDataValid: PortHandle; private readonly wrDataReady: PortHandle; private readonly wrData: PortHandle;
  private readonly wrLast: PortHandle;

  constructor(sim: Simulator, private readonly codec: BeatCodec, private readonly watchdog: DmaWatchdog, latency: DmaLatency = {}, private readonly where: () => string = () => '') {
    const p = (n: string): PortHandle => sim.port(n);
    this.rdReqValid = p('dma_rd_req_valid'); this.rdAddr = p('dma_rd_req_addr'); this.rdLen = p('dma_rd_req_len');
    this.rdTag = p('dma_rd_req_tag'); this.rdQp = p('dma_rd_req_qp');
    this.rdDataValid = p('dma_rd_data_valid'); this.rdDataReady = p('dma_rd_data_ready'); this.rdData = p('dma_rd_data_data');
    this.rdLast = p('dma_rd_data_last'); this.rdDataTag = p('dma_rd_data_tag');
    this.wrReqValid = p('dma_wr_req_valid'); this.wrAddr = p('dma_wr_req_addr'); this.wrLen = p('dma_wr_req_len');
    this.wrQp = p('dma_wr_req_qp'); this.wrLane = p('dma_wr_req_lane');
    this.wrDataValid = p('dma_wr_data_valid'); this.wrDataReady = p('dma_wr_data_ready'); this.wrData = p('dma_wr_data_data');
    this.wrLast = p('dma_wr_data_last');
    this.readLatency = latency.readLatencyCycles ?? 0;
    this.writeLatency = latency.writeLatencyCycles ?? 0;
    for (const [k, v] of Object.entries({ readLatencyCycles: this.readLatency, writeLatencyCycles: this.writeLatency })) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`DMA ${k} ${v}: must be a whole number of cycles >= 0`);
    }
    // Requests are always taken: host memory never pushes back.
    p('dma_rd_req_ready').set(1);
    p('dma_wr_req_ready').set(1);
    this.rdDataValid.set(0);
    this.wrDataReady.set(0);
  }

  /** Nothing in flight on this side: no read data owed, no write waiting for its beats. */
  get quiet(): boolean { return this.reads.length === 0 && this.writes.length === 0 && this.delayed.length === 0; }

  drive(cycle: number): void {
    for (let w = this.delayed.peek(); w && w.cycle <= cycle; w = this.delayed.peek()) {
      w.bytes.set(w.staging);
      this.delayed.shift();
    }
    // Read data: the head job's next beat, held until the engine takes it.
    const job = this.reads.peek();
    if (job && job.readyCycle <= cycle) {
      if (!this.presenting) {
        const n = Math.min(this.codec.bytes, job.bytes.length - job.done);
        this.rdData.set(this.codec.encode(job.bytes, job.done, n));
        this.rdLast.set(job.done + n === job.bytes.length ? 1 : 0);
        this.rdDataTag.set(job.tag);
        this.presentedBytes = n;
        this.presenting = true;
      }
      if (this.rdValidPoked !== 1) { this.rdDataValid.set(1); this.rdValidPoked = 1; }
    } else if (this.rdValidPoked !== 0) { this.rdDataValid.set(0); this.rdValidPoked = 0; }
    // Write data is taken only for a request already seen or offered in this same cycle (so a
    // beat is never orphaned); reading the request's valid settles the logic, so this goes last.
    const ready = this.writes.length > 0 || this.wrReqValid.get() === 1 ? 1 : 0;
    if (ready !== this.wrReadyPoked) { this.wrDataReady.set(ready); this.wrReadyPoked = ready; }
  }

  sample(cycle: number): void {
    if (this.rdReqValid.get() === 1) this.acceptRead(cycle);
    if (this.presenting && this.rdValidPoked === 1 && this.rdDataReady.get() === 1) {
      const job = this.reads.peek()!;
      job.done += this.presentedBytes;
      this.presenting = false;
      if (job.done === job.bytes.length) this.reads.shift();
    }
    if (this.wrReqValid.get() === 1) this.acceptWrite();
    if (this.wrReadyPoked === 1 && this.wrDataValid.get() === 1) this.takeWriteBeat(cycle);
  }

  private acceptRead(cycle: number): void {
    const address = BigInt(this.rdAddr.get());
    const len = this.rdLen.get() as number;
    const qp = this.rdQp.get() as number;
    if (len === 0) this.fail(`dma_rd_req: a read of 0 bytes at ${hex(address)} for queue pair ${qp}; a request must move at least one byte`);
    const bytes = this.watchdog.check('read', address, len, qp);
    this.reads.push({ bytes, tag: this.rdTag.get() as number, qp, address, done: 0, readyCycle: cycle + 1 + this.readLatency });
    this.readRequests++;
    this.bytesRead += len;
  }

  private acceptWrite(): void {
    const address = BigInt(this.wrAddr.get());
    const len = this.wrLen.get() as number;
    const qp = this.wrQp.get() as number;
    const lane = this.wrLane.get() as number;
    if (len === 0) this.fail(`dma_wr_req: a write of 0 bytes at ${hex(address)} for queue pair ${qp}; a request must move at least one byte`);
    const bytes = this.watchdog.check('write', address, len, qp);
    this.writes.push({ bytes, staging: this.writeLatency > 0 ? new Uint8Array(len) : null, lane, qp, address, done: 0 });
    this.writeRequests++;
    this.bytesWritten += len;
  }

  private takeWriteBeat(cycle: number): void {
    const job = this.writes.peek()!;
    const lane = job.done === 0 ? job.lane : 0;
    const n = Math.min(this.codec.bytes - lane, job.bytes.length - job.done);
    this.codec.decode(this.wrData.get(), job.staging ?? job.bytes, job.done, n, lane);
    job.done += n;
    const complete = job.done === job.bytes.length;
    const last = this.wrLast.get() === 1;
    if (last !== complete) {
      this.fail(`dma_wr_data: a beat with last=${last ? 1 : 0} for the write of ${job.bytes.length} bytes at ${hex(job.address)} (queue pair ${job.qp}, first lane ${job.lane}) `
        + `after ${job.done} of its bytes; with ${this.codec.bytes}-byte beats it takes ${Math.ceil((job.lane + job.bytes.length) / this.codec.bytes)} beats, last=1 on the final one`);
    }
    if (complete) {
      if (job.staging) this.delayed.push({ bytes: job.bytes, staging: job.staging, cycle: cycle + 1 + this.writeLatency });
      this.writes.shift();
    }
  }

  private fail(message: string): never {
    const at = this.where();
    throw new PortProtocolError(`${message}${at ? ` (${at})` : ''}`);
  }
}
