// driver/qemu/device.ts — the host side of a NIC the guest's driver talks to. The guest sees
// a PCI device whose register BAR is a file we share with QEMU (ivshmem); its DMA memory is
// the guest's RAM, also a shared file (file offset = guest-physical address). This server
// lays out ABI v1's register blocks in the BAR file, watches the queue-pair pages for
// doorbells, reads send descriptors and payload out of guest RAM, hands them to an engine
// (the reference model NIC), and writes payload into the queue pair's bpage region and
// completions into its completion ring — the same memory traffic the hardware engine makes.

import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import {
  BLOCK_HEADER, BlockType, COUNTERS, DEFAULT_ENGINE_PARAMS, QP_BASE, QP_STRIDE, QpCtrl, QpStatus, SendOpcode,
  completionEntry, queuePairRegisterList, queuePairRegisters, readRecord, registerBlocks, resetImage, sendDescriptor,
  writeRecord,
} from '../../hw/homa/abi.ts';
import { HOMA_MAX_MESSAGE_LENGTH } from '../../hw/homa/wire/index.ts';

/** A file both QEMU and this process map; plain positioned reads and writes reach the same pages. */
export class SharedFile {
  readonly fd: number;
  constructor(readonly path: string, readonly size: number) {
    this.fd = openSync(path, 'w+');
    ftruncateSync(this.fd, size);
  }
  read(off: number, len: number): Buffer {
    const b = Buffer.alloc(len);
    readSync(this.fd, b, 0, len, off);
    return b;
  }
  write(off: number, data: Uint8Array): void { writeSync(this.fd, data, 0, data.length, off); }
  u32(off: number): number { return this.read(off, 4).readUInt32LE(0); }
  setU32(off: number, v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); this.write(off, b); }
  close(): void { closeSync(this.fd); }
}

/** One message the engine completed for a queue pair, with its bytes. */
export interface EngineCompletion {
  type: number;
  id: number;
  cookie: number;
  peer: Uint8Array;
  peerPort: number;
  length: number;
  error: number;
  bpageOffsets: number[];
  /** Message bytes as they must appear at the bpage offsets (null for ERROR/ACCEPTED). */
  bytes: Uint8Array | null;
}

export interface SendRequest { peer: Uint8Array; dport: number; payload: Uint8Array; cookie: number; private: boolean; notifyId: boolean }

/** A queue pair as an engine sees it. */
export interface EngineQueuePair {
  request(r: SendRequest): void;
  /** `peer` is the descriptor's peer_addr (all zero when the host left it out). */
  reply(id: number, payload: Uint8Array, peer: Uint8Array): void;
  abort(id: number, error: number): void;
  /** False if an offset was not in use (a double free). */
  returnBpages(offsets: number[]): boolean;
  /** Bpages of the region not holding any message. */
  availBpages(): number;
  /** Completions since the last call. */
  take(): EngineCompletion[];
  close(): void;
}

/** What the server needs from a NIC engine (the reference model, later the RTL). */
export interface Engine {
  /** Open a queue pair; a string is the reason it cannot be (e.g. port in use). */
  open(port: number, server: boolean, regionBpages: number): EngineQueuePair | string;
  /** Let the engine's time catch up with the wall clock. */
  advance(): void;
  counters(): Record<string, number>;
}

const R: Record<string, number> = Object.fromEntries(queuePairRegisterList().map((r) => [r.name, r.offset]));
const SEND_SIZE = sendDescriptor.width / 8;
const CQE_SIZE = completionEntry.width / 8;
const QP_REGS_SIZE = queuePairRegisters.width / 8;

interface QpState {
  ctrl: number;
  status: number;
  sq: { base: number; log: number; head: number };
  cq: { base: number; log: number; tail: number };
  bret: { base: number; log: number; head: number };
  region: { base: number; bpages: number };
  engine: EngineQueuePair | null;
  pending: EngineCompletion[];
}

export interface DeviceOptions {
  bar: SharedFile;
  ram: SharedFile;
  engine: Engine | null;
  /** Raise MSI-X vector n in the guest (ivshmem-doorbell); absent = the guest polls. */
  irq?: (vector: number) => void;
  vectors?: number;
}

export class DeviceServer {
  private readonly qps: (QpState | null)[];
  private readonly counterBase: number;
  private stopped = false;
  /** Doorbells and completions handled, for tests. */
  readonly stats = { descriptors: 0, badDescriptors: 0, completions: 0, interrupts: 0, enables: 0, disables: 0 };

  constructor(private readonly o: DeviceOptions) {
    const image = resetImage(DEFAULT_ENGINE_PARAMS);
    o.bar.write(0, new Uint8Array(image.buffer));
    this.qps = Array.from({ length: DEFAULT_ENGINE_PARAMS.numQueuePairs }, () => null);
    const counters = registerBlocks().find((b) => b.type === BlockType.COUNTERS)!;
    this.counterBase = counters.offset + BLOCK_HEADER.size;
  }

  /** One pass over every queue pair; true if anything happened. */
  step(): boolean {
    const { bar } = this.o;
    const pages = bar.read(QP_BASE, this.qps.length * QP_STRIDE);
    let busy = false;
    this.o.engine?.advance();
    for (let i = 0; i < this.qps.length; i++) {
      const page = pages.subarray(i * QP_STRIDE, i * QP_STRIDE + QP_REGS_SIZE);
      const base = QP_BASE + i * QP_STRIDE;
      busy = this.stepQp(i, base, page) || busy;
    }
    return busy;
  }

  private stepQp(i: number, base: number, page: Buffer): boolean {
    const { bar } = this.o;
    const reg = (name: string): number => page.readUInt32LE(R[name]!);
    const ctrl = reg('ctrl');
    let qp = this.qps[i];
    const enabling = (ctrl & QpCtrl.ENABLE) !== 0 && !qp;
    if (enabling) {
      // A fresh queue pair: latch its rings, reset the engine-owned indices.
      const lohi = (n: string): number => reg(`${n}_base_lo`) + reg(`${n}_base_hi`) * 2 ** 32;
      qp = {
        ctrl, status: QpStatus.ACTIVE,
        sq: { base: lohi('sq'), log: reg('sq_log_size'), head: 0 },
        cq: { base: lohi('cq'), log: reg('cq_log_size'), tail: 0 },
        bret: { base: lohi('bret'), log: reg('bret_log_size'), head: 0 },
        region: { base: 0, bpages: 0 }, engine: null, pending: [],
      };
      this.qps[i] = qp;
      this.stats.enables++;
      for (const r of ['sq_head', 'cq_tail', 'bret_head', 'bpool_avail_bpages']) bar.setU32(base + R[r]!, 0);
    }
    if (!qp) return false;
    if (!(ctrl & QpCtrl.ENABLE)) {
      // Disabled: drop the engine's state, then say we no longer touch its memory.
      qp.engine?.close();
      this.qps[i] = null;
      this.stats.disables++;
      bar.setU32(base + R['status']!, 0);
      return true;
    }
    qp.ctrl = ctrl;
    let busy = enabling;
    const bpages = reg('bpool_num_bpages');
    if (bpages && !qp.region.bpages && this.o.engine) {
      qp.region = { base: reg('bpool_base_lo') + reg('bpool_base_hi') * 2 ** 32, bpages };
      const e = this.o.engine.open(reg('port'), (ctrl & QpCtrl.SERVER) !== 0, bpages);
      if (typeof e === 'string') qp.status |= QpStatus.PORT_IN_USE;
      else {
        qp.engine = e;
        bar.setU32(base + R['bpool_avail_bpages']!, e.availBpages());
      }
      busy = true;
    }
    // ACTIVE (and PORT_IN_USE, if the engine refused the port) appear together.
    if (enabling || busy) bar.setU32(base + R['status']!, qp.status);
    busy = this.sendQueue(i, base, qp, reg('sq_tail')) || busy;
    busy = this.bpageReturns(i, qp, base, reg('bret_tail')) || busy;
    busy = this.completions(qp, base, reg('cq_head')) || busy;
    return busy;
  }

  private flag(i: number, base: number, bit: number): void {
    const qp = this.qps[i]!;
    qp.status |= bit;
    this.o.bar.setU32(base + R['status']!, qp.status);
  }

  private sendQueue(i: number, base: number, qp: QpState, tail: number): boolean {
    const { ram } = this.o;
    const mask = (1 << qp.sq.log) - 1;
    let busy = false;
    while (qp.sq.head !== tail) {
      const d = readRecord(sendDescriptor, ram.read(qp.sq.base + (qp.sq.head & mask) * SEND_SIZE, SEND_SIZE), 0);
      const op = d['opcode'] as number;
      const len = d['length'] as number;
      // A message must lie inside guest memory: the device reads nothing else.
      const buffer = Number(d['buffer']);
      const valid = (op === SendOpcode.REQUEST || op === SendOpcode.REPLY)
        ? len > 0 && len <= HOMA_MAX_MESSAGE_LENGTH && buffer + len <= ram.size
        : op === SendOpcode.ABORT;
      if (valid && !qp.engine) break;                       // wait for the region to be registered
      if (!valid) {
        this.stats.badDescriptors++;
        this.flag(i, base, QpStatus.BAD_DESCRIPTOR);
      } else {
        this.stats.descriptors++;
        const e = qp.engine!;
        if (op === SendOpcode.ABORT) e.abort(Number(d['id']), d['error'] as number);
        else {
          const payload = new Uint8Array(ram.read(buffer, len));
          if (op === SendOpcode.REQUEST) {
            const flags = d['flags'] as number;
            e.request({ peer: d['peer_addr'] as Uint8Array, dport: d['dport'] as number, payload, cookie: Number(d['cookie']), private: (flags & 1) !== 0, notifyId: (flags & 2) !== 0 });
          } else e.reply(Number(d['id']), payload, d['peer_addr'] as Uint8Array);
        }
      }
      qp.sq.head = (qp.sq.head + 1) >>> 0;
      this.o.bar.setU32(base + R['sq_head']!, qp.sq.head);
      busy = true;
    }
    if (busy) this.o.engine?.advance();
    return busy;
  }

  private bpageReturns(i: number, qp: QpState, base: number, tail: number): boolean {
    if (qp.bret.head === tail || !qp.engine) return false;
    const mask = (1 << qp.bret.log) - 1;
    const offsets: number[] = [];
    while (qp.bret.head !== tail) {
      offsets.push(this.o.ram.u32(qp.bret.base + (qp.bret.head & mask) * 4));
      qp.bret.head = (qp.bret.head + 1) >>> 0;
    }
    if (!qp.engine.returnBpages(offsets)) this.flag(i, base, QpStatus.BPAGE_DOUBLE_FREE);
    this.o.bar.setU32(base + R['bret_head']!, qp.bret.head);
    this.o.bar.setU32(base + R['bpool_avail_bpages']!, qp.engine.availBpages());
    return true;
  }

  private completions(qp: QpState, base: number, head: number): boolean {
    if (qp.engine) qp.pending.push(...qp.engine.take());
    if (!qp.pending.length) return false;
    const { ram, bar } = this.o;
    // Counters first: an application that has seen a completion sees the counts behind it.
    this.writeCounters();
    const size = 1 << qp.cq.log;
    let wrote = 0;
    while (qp.pending.length && ((qp.cq.tail - head) >>> 0) < size) {
      const c = qp.pending.shift()!;
      // Payload first, then the entry, then its phase byte last: the host may be polling.
      if (c.bytes) {
        let done = 0;
        for (const off of c.bpageOffsets) {
          const n = Math.min(65536, c.length - done);
          ram.write(qp.region.base + off, c.bytes.subarray(done, done + n));
          done += n;
        }
      }
      const slot = qp.cq.base + (qp.cq.tail & (size - 1)) * CQE_SIZE;
      const phase = ((qp.cq.tail >>> qp.cq.log) & 1) ^ 1;
      const entry = new Uint8Array(CQE_SIZE);
      writeRecord(completionEntry, entry, 0, {
        type: c.type, phase: phase ^ 1, peer_port: c.peerPort, length: c.length, id: BigInt(c.id), cookie: BigInt(c.cookie),
        error: c.error, num_bpages: c.bpageOffsets.length, peer_addr: c.peer, bpage_offsets: c.bpageOffsets,
      });
      ram.write(slot, entry);
      ram.write(slot + 1, Uint8Array.of(phase));
      qp.cq.tail = (qp.cq.tail + 1) >>> 0;
      wrote++;
    }
    if (!wrote) return false;
    this.stats.completions += wrote;
    bar.setU32(base + R['cq_tail']!, qp.cq.tail);
    if (qp.engine) bar.setU32(base + R['bpool_avail_bpages']!, qp.engine.availBpages());
    if (qp.ctrl & QpCtrl.IRQ_ENABLE && this.o.irq) {
      const index = (base - QP_BASE) / QP_STRIDE;
      this.o.irq(index % (this.o.vectors ?? 1));
      this.stats.interrupts++;
    }
    return true;
  }

  private writeCounters(): void {
    if (!this.o.engine) return;
    const c = this.o.engine.counters();
    const buf = Buffer.alloc(COUNTERS.length * 8);
    COUNTERS.forEach((name, k) => buf.writeBigUInt64LE(BigInt(c[name] ?? 0), k * 8));
    this.o.bar.write(this.counterBase, buf);
  }

  /** Why serving stopped early (the engine threw), if it did. */
  failure: Error | null = null;

  /**
   * Serve until stop(): spin while busy, back off to 1 ms sleeps when idle. If the engine
   * throws, the device stops answering (as a wedged card would): `failure` says why and
   * `onFailure` is told, so the caller can stop the guest instead of letting it time out.
   */
  async serve(onFailure: (e: Error) => void = () => {}): Promise<void> {
    let idleSince = Date.now();
    while (!this.stopped) {
      let busy: boolean;
      try {
        busy = this.step();
      } catch (e) {
        this.failure = e as Error;
        onFailure(this.failure);
        return;
      }
      if (busy) idleSince = Date.now();
      if (Date.now() - idleSince < 20) await new Promise((r) => setImmediate(r));
      else await new Promise((r) => setTimeout(r, 1));
    }
  }

  stop(): void { this.stopped = true; }
}
