// host-lib/backends/sim-queue-pair.ts — the NIC's side of one ABI v1 queue pair, served by the
// reference model (sim/model): it reads send descriptors from the host's ring and calls the
// model's QueuePair, writes the model's completions into the host's completion ring, and
// hands returned bpage offsets back to the model's pool.
//
// Two copies stand in for DMA: a send descriptor's payload is copied when the descriptor is
// taken from the ring (the engine would read it as packets go out), and a message's bytes
// are copied from the model's region into the host's region when its completion is written
// (the engine writes them straight into the host's bpages). Offsets are the same in both
// regions, so what the host sees is what the hardware would give it.

import { CompletionType, QpCtrl, QpStatus, SendOpcode, bpageReturnEntry, readRecord, sendDescriptor } from '../../hw/homa/abi.ts';
import { executeDescriptor, writeCompletion } from '../../sim/model/abi-adapter.ts';
import type { ModelNic } from '../../sim/model/nic.ts';
import type { QueuePair } from '../../sim/model/queue-pair.ts';
import type { Completion } from '../../sim/model/types.ts';
import { EINVAL } from '../../sim/model/types.ts';
import { BPAGE_SIZE, BRET_BYTES, COMPLETION_BYTES, SEND_DESC_BYTES } from '../queue-pair.ts';
import type { SimMemory } from './sim-memory.ts';

/** What a queue pair needs from its device. */
export interface SimQueuePairHost {
  readonly nic: ModelNic;
  readonly memory: SimMemory;
  reg(qp: number, name: string): number;
  setReg(qp: number, name: string, value: number): void;
  /** Run `fn` in the simulation after the doorbell latency. */
  soon(fn: () => void): void;
  /** Count an event (wakes host waiters). */
  raise(): void;
  /** Remember a problem for debugging (status bits carry what the host must know). */
  note(problem: string): void;
}

export class SimQueuePair {
  private qp: QueuePair | null = null;
  private region: Uint8Array | null = null;
  private readonly pending: Completion[] = [];
  private sqScheduled = false;
  private bretScheduled = false;
  private cqScheduled = false;

  constructor(private readonly host: SimQueuePairHost, readonly index: number) {}

  get model(): QueuePair | null { return this.qp; }

  /** A host write to one of this queue pair's registers (already stored in BAR). */
  written(name: string, value: number): void {
    switch (name) {
      case 'ctrl': this.control(value); return;
      case 'sq_tail': if (this.qp && !this.sqScheduled) { this.sqScheduled = true; this.host.soon(() => this.takeDescriptors()); } return;
      case 'bret_tail': if (this.qp && !this.bretScheduled) { this.bretScheduled = true; this.host.soon(() => this.takeReturns()); } return;
      case 'cq_head': if (this.qp && this.pending.length > 0 && !this.cqScheduled) { this.cqScheduled = true; this.host.soon(() => { this.cqScheduled = false; this.flushCompletions(); }); } return;
      default: return;
    }
  }

  private reg(name: string): number { return this.host.reg(this.index, name); }
  private setReg(name: string, v: number): void { this.host.setReg(this.index, name, v >>> 0); }
  private base(prefix: string): number { return this.reg(`${prefix}_base_lo`) + this.reg(`${prefix}_base_hi`) * 2 ** 32; }

  private control(v: number): void {
    if (v & QpCtrl.ENABLE) {
      if (!this.qp) this.enable(v);
      else this.qp.setServer((v & QpCtrl.SERVER) !== 0);
    } else if (this.qp) {
      this.disable();
    }
  }

  private enable(ctrl: number): void {
    const nic = this.host.nic;
    const port = this.reg('port');
    for (const r of ['sq_head', 'sq_tail', 'cq_head', 'cq_tail', 'bret_head', 'bret_tail']) this.setReg(r, 0);
    if (port < 1 || port > 65535) { this.setReg('status', QpStatus.BAD_DESCRIPTOR); this.host.note(`queue pair ${this.index}: port ${port} out of range`); return; }
    if (nic.queuePairs.has(port)) { this.setReg('status', QpStatus.PORT_IN_USE); return; }
    const bpages = this.reg('bpool_num_bpages');
    try {
      this.region = this.host.memory.resolve(this.base('bpool'), bpages * BPAGE_SIZE);
      this.qp = nic.openQueuePair({ port, server: (ctrl & QpCtrl.SERVER) !== 0, bpages });
    } catch (e) {
      this.region = null;
      this.setReg('status', 0);
      this.host.note(`queue pair ${this.index}: ${(e as Error).message}`);
      return;
    }
    this.qp.onCompletion = (c) => this.completed(c);
    this.setReg('status', QpStatus.ACTIVE);
    this.updateAvail();
  }

  /** The model has no close: abort the client RPCs silently and unbind the port. */
  private disable(): void {
    const qp = this.qp!;
    qp.abort(0, 0);
    qp.setServer(false);
    qp.onCompletion = () => {};
    this.host.nic.queuePairs.delete(qp.port);
    this.qp = null;
    this.region = null;
    this.pending.length = 0;
    this.setReg('status', 0);
  }

  private takeDescriptors(): void {
    this.sqScheduled = false;
    const qp = this.qp;
    if (!qp) return;
    const log = this.reg('sq_log_size');
    const mem = this.host.memory.resolve(this.base('sq'), SEND_DESC_BYTES << log);
    let head = this.reg('sq_head');
    const tail = this.reg('sq_tail');
    while (head !== tail && this.qp === qp) {
      const off = (head & ((1 << log) - 1)) * SEND_DESC_BYTES;
      head = (head + 1) >>> 0;
      this.setReg('sq_head', head);
      this.execute(qp, mem, off);
    }
    this.host.raise();
  }

  /** One descriptor through the model's ABI adapter; a refused REQUEST still completes (EINVAL). */
  private execute(qp: QueuePair, ring: Uint8Array, off: number): void {
    // The payload is copied now (see the header comment), so the host may reuse its buffer.
    const r = executeDescriptor(qp, ring, off, (address, length) => this.host.memory.resolve(address, length).slice());
    if (r.ok) return;
    this.setReg('status', this.reg('status') | QpStatus.BAD_DESCRIPTOR);
    this.host.note(`queue pair ${this.index}: descriptor refused: ${r.reason}`);
    const d = readRecord(sendDescriptor, ring, off);
    if (d['opcode'] === SendOpcode.REQUEST) {
      this.completed({ type: CompletionType.ERROR, id: 0, cookie: Number(d['cookie'] as bigint), peer: new Uint8Array(4), peerPort: 0, length: 0, error: EINVAL, bpageOffsets: [] });
    }
  }

  private takeReturns(): void {
    this.bretScheduled = false;
    const qp = this.qp;
    if (!qp) return;
    const log = this.reg('bret_log_size');
    const mem = this.host.memory.resolve(this.base('bret'), BRET_BYTES << log);
    let head = this.reg('bret_head');
    const tail = this.reg('bret_tail');
    const offsets: number[] = [];
    while (head !== tail) {
      offsets.push(readRecord(bpageReturnEntry, mem, (head & ((1 << log) - 1)) * BRET_BYTES)['offset'] as number);
      head = (head + 1) >>> 0;
    }
    this.setReg('bret_head', head);
    if (!qp.returnBpages(offsets)) this.setReg('status', this.reg('status') | QpStatus.BPAGE_DOUBLE_FREE);
    this.updateAvail();
    this.host.raise();
  }

  /** The model posted a completion: copy the message into the host's region, then queue it. */
  private completed(c: Completion): void {
    const qp = this.qp;
    if (!qp || !this.region) return;
    if ((c.type === CompletionType.REQUEST || c.type === CompletionType.RESPONSE) && qp.region) {
      let left = c.length;
      for (const off of c.bpageOffsets) {
        const n = Math.min(left, BPAGE_SIZE - (off & (BPAGE_SIZE - 1)));
        this.region.set(qp.region.subarray(off, off + n), off);
        left -= n;
      }
    }
    this.pending.push(c);
    this.flushCompletions();
  }

  /** Write queued completions while the ring has room (a full ring holds them: never lost). */
  private flushCompletions(): void {
    if (!this.qp || this.pending.length === 0) return;
    const log = this.reg('cq_log_size');
    const size = 1 << log;
    const mem = this.host.memory.resolve(this.base('cq'), COMPLETION_BYTES << log);
    let tail = this.reg('cq_tail');
    const head = this.reg('cq_head');
    let wrote = 0;
    while (this.pending.length > 0 && ((tail - head) >>> 0) < size) {
      const c = this.pending.shift()!;
      writeCompletion(c, mem, (tail & (size - 1)) * COMPLETION_BYTES, ((tail >>> log) & 1) ^ 1);
      tail = (tail + 1) >>> 0;
      wrote++;
    }
    this.setReg('cq_tail', tail);
    this.updateAvail();
    if (wrote > 0) this.host.raise();
  }

  private updateAvail(): void {
    if (this.qp) this.setReg('bpool_avail_bpages', Math.floor(this.qp.pool.availBytes / BPAGE_SIZE));
  }
}
