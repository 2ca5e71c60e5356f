// driver/qemu/device.ts — the host side of a NIC the guest's driver talks to. The guest sees
// a PCI device whose register BAR is a file we share with QEMU (ivshmem); its DMA memory is
// the guest's RAM, also a shared file (file offset = guest-physical address). This server
// lays out ABI v2's register blocks and both arrays of queue-pair pages in the BAR file, takes
// each control page at ENABLE (the kernel's), watches the user pages' doorbells (the
// process's), refuses descriptors whose bytes leave the send region, reads the rest's bytes
// out of guest RAM, hands them to an engine (the reference model NIC), and writes message
// bytes into the bpage region and 64-byte completions (with continuations) into the
// completion ring: the same memory traffic the hardware engine makes.
//
// A file is not a register file: the guest can write any word of a page it maps. So, as the
// engine ignores writes to its read-only registers, this server never reads them back and
// rewrites any the guest changed (records.ts queuePairUser).

import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import {
  BLOCK_HEADER, BlockType, COUNTERS, DEFAULT_ENGINE_PARAMS, MIN_REGION_BPAGES, QP_CTRL_BASE, QP_CTRL_REG, QP_STRIDE, QP_USER_BASE, QP_USER_REG,
  CompletionType, QpCtrl, QpStatus, SendFlag, SendOpcode, bpageReturnEntry, queuePairControl, queuePairUser, readRecord, registerBlocks, resetImage, sendDescriptor,
} from '../../hw/homa/abi.ts';
import type { MemRecord } from '../../hw/homa/abi.ts';
import { COMPLETION_BYTES, SEND_DESC_BYTES, completionEntries, controlPageFault, descriptorFault, encodeCompletion } from '../../sim/model/abi-adapter.ts';
import type { Completion } from '../../sim/model/types.ts';
import { EINVAL } from '../../sim/model/types.ts';

/** A file both QEMU and this process map; plain positioned reads and writes reach the same pages. */
export class SharedFile {
  readonly fd: number;
  constructor(readonly path: string, readonly size: number) {
    this.fd = openSync(path, 'w+');
    ftruncateSync(this.fd, size);
  }
  read(off: number, len: number): Buffer {
    const b = Buffer.allocUnsafe(len);
    const n = readSync(this.fd, b, 0, len, off);
    if (n < len) b.fill(0, n);                        // past the end of the file reads as zeros
    return b;
  }
  write(off: number, data: Uint8Array): void { writeSync(this.fd, data, 0, data.length, off); }
  u32(off: number): number { return this.read(off, 4).readUInt32LE(0); }
  setU32(off: number, v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); this.write(off, b); }
  close(): void { closeSync(this.fd); }
}

/** One completion the engine made for a queue pair, with the message bytes for REQUEST/RESPONSE. */
export interface EngineCompletion extends Completion {
  /** Message bytes as they must appear at the bpage offsets (null for the other types). */
  bytes: Uint8Array | null;
}

export interface SendRequest { peer: Uint8Array; dport: number; payload: Uint8Array; cookie: number; private: boolean; notifyId: boolean; notifyTxDone: boolean }
export interface ReplyRequest { id: number; payload: Uint8Array; peer: Uint8Array; dport: number; notifyTxDone: boolean }

/** A queue pair as an engine sees it. */
export interface EngineQueuePair {
  request(r: SendRequest): void;
  /** `peer` is the descriptor's peer_addr (all zero when the host left it out). Throws if the engine refuses it. */
  reply(r: ReplyRequest): void;
  abort(id: number, error: number): void;
  setServer(on: boolean): void;
  /** False if an offset was not in use (a double free). */
  returnBpages(offsets: number[]): boolean;
  /** Free receive space, bytes (bpool_avail_bytes). */
  availBytes(): number;
  /** Completions since the last call. */
  take(): EngineCompletion[];
  /** Unbind the port and end every RPC: afterwards the engine touches none of the queue pair's memory. */
  close(): void;
}

/** What the server needs from a NIC engine (the reference model, later the RTL). */
export interface Engine {
  /** Bytes of the engine's IP addresses: 4 (IPv4) or 16. */
  readonly family: number;
  /** Open a queue pair; a string is the reason it cannot be (e.g. port in use). */
  open(port: number, server: boolean, regionBpages: number): EngineQueuePair | string;
  /** Let the engine's time catch up with the wall clock. */
  advance(): void;
  counters(): Record<string, number>;
}

const CTRL_BYTES = queuePairControl.width / 8;
const USER_BYTES = queuePairUser.width / 8;
/** How often every control page is read, not only those up to the last enabled queue pair. */
const FULL_SCAN_MS = 1;
const BRET_BYTES = bpageReturnEntry.width / 8;
/** The engine-owned words of a user page (the rest are doorbells or reserved). */
const USER_OWNED = ['sq_head', 'cq_tail', 'bret_head', 'status', 'bpool_avail_bytes'] as const;

/** A control page with its status word (the engine's) zeroed: what the kernel wrote. */
function withoutStatus(page: Buffer): Buffer {
  const b = Buffer.from(page);
  b.writeUInt32LE(0, QP_CTRL_REG['status']!);
  return b;
}

interface QpState {
  ctrl: number;
  status: number;
  sq: { base: number; log: number; head: number };
  cq: { base: number; log: number; tail: number };
  bret: { base: number; log: number; head: number };
  region: { base: number; bpages: number };
  send: { base: number; size: number };
  engine: EngineQueuePair;
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
  /** A refused ENABLE: the control page it was refused for, so only a new attempt is looked at. */
  private readonly refused: (Buffer | null)[];
  private readonly counterBase: number;
  /** Events the server itself counts (the engine never sees refused descriptors). */
  private readonly own: Record<string, number> = { bad_descriptors: 0 };
  private stopped = false;
  private lastFullScan = -Infinity;
  /** Doorbells and completions handled, for tests. */
  readonly stats = { descriptors: 0, badDescriptors: 0, completions: 0, interrupts: 0, enables: 0, refusedEnables: 0, disables: 0, restoredWords: 0 };

  constructor(private readonly o: DeviceOptions) {
    const image = resetImage(DEFAULT_ENGINE_PARAMS);
    o.bar.write(0, new Uint8Array(image.buffer));
    const n = DEFAULT_ENGINE_PARAMS.numQueuePairs;
    if (o.bar.size < QP_USER_BASE + n * QP_STRIDE) throw new RangeError(`BAR file of ${o.bar.size} bytes: ABI v2's pages need ${QP_USER_BASE + n * QP_STRIDE}`);
    o.bar.write(QP_CTRL_BASE, new Uint8Array(n * QP_STRIDE));
    o.bar.write(QP_USER_BASE, new Uint8Array(n * QP_STRIDE));
    this.qps = Array.from({ length: n }, () => null);
    this.refused = Array.from({ length: n }, () => null);
    const counters = registerBlocks().find((b) => b.type === BlockType.COUNTERS)!;
    this.counterBase = counters.offset + BLOCK_HEADER.size;
  }

  /** One pass over every queue pair; true if anything happened. */
  step(): boolean {
    const { bar } = this.o;
    // Reading the BAR file costs a system call per range, the time of a round trip: every pass
    // reads the control pages up to one past the last enabled queue pair (a kernel enables the
    // lowest free one) and the user pages of the enabled ones; all control pages now and then.
    const now = performance.now();
    const full = now - this.lastFullScan >= FULL_SCAN_MS;
    if (full) this.lastFullScan = now;
    const pages = full ? this.qps.length : Math.min(this.qps.length, this.qps.findLastIndex((q) => q !== null) + 2);
    const ctrlPages = bar.read(QP_CTRL_BASE, pages * QP_STRIDE);
    let busy = false;
    this.o.engine?.advance();
    for (let i = 0; i < pages; i++) {
      const ctrl = ctrlPages.subarray(i * QP_STRIDE, i * QP_STRIDE + CTRL_BYTES);
      busy = this.stepQp(i, ctrl) || busy;
    }
    return busy;
  }

  private ctrlAt(i: number, name: string): number { return QP_CTRL_BASE + i * QP_STRIDE + QP_CTRL_REG[name]!; }
  private userAt(i: number, name: string): number { return QP_USER_BASE + i * QP_STRIDE + QP_USER_REG[name]!; }

  private setStatus(i: number, status: number): void {
    // The user page first: the driver waits on the control page's word and then lets the
    // application read the user page's, which must already say the same.
    this.o.bar.setU32(this.userAt(i, 'status'), status);
    this.o.bar.setU32(this.ctrlAt(i, 'status'), status);
  }

  private stepQp(i: number, page: Buffer): boolean {
    const reg = (name: string): number => page.readUInt32LE(QP_CTRL_REG[name]!);
    const ctrl = reg('ctrl');
    let qp = this.qps[i];
    if (!qp) {
      if (!(ctrl & QpCtrl.ENABLE)) { this.refused[i] = null; return false; }
      const refused = this.refused[i];
      if (refused && refused.equals(withoutStatus(page))) return false;   // the same refused attempt
      // The doorbells read before ENABLE reset them are stale: the next pass takes them.
      this.enable(i, page, reg);
      return true;
    } else if (!(ctrl & QpCtrl.ENABLE)) {
      // Disabled: the port is unbound and every RPC ends at once, so nothing is in flight.
      qp.engine.close();
      this.qps[i] = null;
      this.stats.disables++;
      this.setStatus(i, qp.status & ~QpStatus.ACTIVE);
      return true;
    } else if (ctrl !== qp.ctrl) {
      // ctrl is the one control register the engine takes while enabled (SO_HOMA_SERVER).
      if ((ctrl ^ qp.ctrl) & QpCtrl.SERVER) qp.engine.setServer((ctrl & QpCtrl.SERVER) !== 0);
      qp.ctrl = ctrl;
    }
    const user = this.o.bar.read(QP_USER_BASE + i * QP_STRIDE, USER_BYTES);
    const word = (name: string): number => user.readUInt32LE(QP_USER_REG[name]!);
    this.restoreOwned(i, qp, word, reg('status'));
    let busy = this.sendQueue(i, qp, word('sq_tail'));
    busy = this.bpageReturns(i, qp, word('bret_tail')) || busy;
    busy = this.completions(i, qp, word('cq_head')) || busy;
    return busy;
  }

  /** Take the control page as it is now (records.ts): ACTIVE, or PORT_IN_USE / BAD_CONFIG and stay disabled. */
  private enable(i: number, page: Buffer, reg: (name: string) => number): void {
    const { bar } = this.o;
    const engine = this.o.engine;
    const lohi = (n: string): number => reg(`${n}_base_lo`) + reg(`${n}_base_hi`) * 2 ** 32;
    const fault = controlPageFault(reg, MIN_REGION_BPAGES, DEFAULT_ENGINE_PARAMS.maxRegionBpages) ?? (engine ? null : 'no engine behind this device');
    const opened = fault ?? engine!.open(reg('port'), (reg('ctrl') & QpCtrl.SERVER) !== 0, reg('bpool_num_bpages'));
    if (typeof opened === 'string') {
      this.refused[i] = withoutStatus(page);
      this.stats.refusedEnables++;
      this.setStatus(i, fault ? QpStatus.BAD_CONFIG : QpStatus.PORT_IN_USE);
      return;
    }
    const qp: QpState = {
      ctrl: reg('ctrl'), status: QpStatus.ACTIVE,
      sq: { base: lohi('sq'), log: reg('sq_log_size'), head: 0 },
      cq: { base: lohi('cq'), log: reg('cq_log_size'), tail: 0 },
      bret: { base: lohi('bret'), log: reg('bret_log_size'), head: 0 },
      region: { base: lohi('bpool'), bpages: reg('bpool_num_bpages') },
      send: { base: lohi('send'), size: reg('send_size') },
      engine: opened, pending: [],
    };
    this.qps[i] = qp;
    this.stats.enables++;
    // Fresh rings: every head and tail at 0 (doorbells too), then ACTIVE.
    for (const r of ['sq_tail', 'cq_head', 'bret_tail', 'sq_head', 'cq_tail', 'bret_head']) bar.setU32(this.userAt(i, r), 0);
    bar.setU32(this.userAt(i, 'bpool_avail_bytes'), Math.min(opened.availBytes(), 0xffffffff));
    this.setStatus(i, qp.status);
  }

  /** The engine-owned words of the user page, as the engine holds them. */
  private owned(qp: QpState, name: (typeof USER_OWNED)[number]): number {
    switch (name) {
      case 'sq_head': return qp.sq.head;
      case 'cq_tail': return qp.cq.tail;
      case 'bret_head': return qp.bret.head;
      case 'status': return qp.status;
      default: return Math.min(qp.engine.availBytes(), 0xffffffff);
    }
  }

  /** Rewrite any engine-owned word the guest wrote over (a register would have ignored the write). */
  private restoreOwned(i: number, qp: QpState, word: (name: string) => number, ctrlStatus: number): void {
    for (const name of USER_OWNED) {
      const v = this.owned(qp, name) >>> 0;
      if (word(name) === v) continue;
      this.o.bar.setU32(this.userAt(i, name), v);
      this.stats.restoredWords++;
    }
    if (ctrlStatus !== qp.status) this.o.bar.setU32(this.ctrlAt(i, 'status'), qp.status);
  }

  private sendQueue(i: number, qp: QpState, tail: number): boolean {
    const { ram } = this.o;
    const mask = (1 << qp.sq.log) - 1;
    let busy = false;
    // A ring's worth per pass: a tail written more than a ring ahead (a host bug) cannot stall the others.
    for (let budget = mask + 1; qp.sq.head !== tail && budget > 0; budget--) {
      const d = readRecord(sendDescriptor, ram.read(qp.sq.base + (qp.sq.head & mask) * SEND_DESC_BYTES, SEND_DESC_BYTES), 0);
      // Refused before any byte of it is read: a descriptor only reaches its own send region.
      const fault = descriptorFault(d, qp.send.size, this.o.engine!.family) ?? this.execute(qp, d);
      if (fault) this.refuse(i, qp, d);
      else this.stats.descriptors++;
      qp.sq.head = (qp.sq.head + 1) >>> 0;
      this.o.bar.setU32(this.userAt(i, 'sq_head'), qp.sq.head);
      busy = true;
    }
    if (busy) this.o.engine?.advance();
    return busy;
  }

  /** Hand one checked descriptor to the engine; a reason if the engine refuses it. */
  private execute(qp: QpState, d: MemRecord): string | null {
    const op = d['opcode'] as number;
    const flags = d['flags'] as number;
    try {
      if (op === SendOpcode.ABORT) { qp.engine.abort(Number(d['id']), d['error'] as number); return null; }
      const payload = new Uint8Array(this.o.ram.read(qp.send.base + (d['send_offset'] as number), d['length'] as number));
      const notifyTxDone = (flags & SendFlag.NOTIFY_TX_DONE) !== 0;
      if (op === SendOpcode.REQUEST) {
        qp.engine.request({
          peer: d['peer_addr'] as Uint8Array, dport: d['dport'] as number, payload, cookie: Number(d['cookie']),
          private: (flags & SendFlag.PRIVATE) !== 0, notifyId: (flags & SendFlag.NOTIFY_ID) !== 0, notifyTxDone,
        });
      } else {
        qp.engine.reply({ id: Number(d['id']), payload, peer: d['peer_addr'] as Uint8Array, dport: d['dport'] as number, notifyTxDone });
      }
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** ERROR with EINVAL, the descriptor's id and cookie; BAD_DESCRIPTOR; bad_descriptors (records.ts). */
  private refuse(i: number, qp: QpState, d: MemRecord): void {
    this.stats.badDescriptors++;
    this.own['bad_descriptors']!++;
    qp.status |= QpStatus.BAD_DESCRIPTOR;
    this.setStatus(i, qp.status);
    qp.pending.push({
      type: CompletionType.ERROR, id: Number(d['id']), cookie: Number(d['cookie']), peer: d['peer_addr'] as Uint8Array, peerPort: d['dport'] as number,
      length: 0, error: EINVAL, bpageOffsets: [], bytes: null,
    });
  }

  private bpageReturns(i: number, qp: QpState, tail: number): boolean {
    if (qp.bret.head === tail) return false;
    const mask = (1 << qp.bret.log) - 1;
    const offsets: number[] = [];
    for (let budget = mask + 1; qp.bret.head !== tail && budget > 0; budget--) {
      offsets.push(this.o.ram.u32(qp.bret.base + (qp.bret.head & mask) * BRET_BYTES));
      qp.bret.head = (qp.bret.head + 1) >>> 0;
    }
    if (!qp.engine.returnBpages(offsets)) {
      qp.status |= QpStatus.BPAGE_DOUBLE_FREE;
      this.setStatus(i, qp.status);
    }
    this.o.bar.setU32(this.userAt(i, 'bret_head'), qp.bret.head);
    this.o.bar.setU32(this.userAt(i, 'bpool_avail_bytes'), Math.min(qp.engine.availBytes(), 0xffffffff));
    return true;
  }

  private completions(i: number, qp: QpState, head: number): boolean {
    qp.pending.push(...qp.engine.take());
    if (!qp.pending.length) return false;
    const { ram, bar } = this.o;
    // Counters first: an application that has seen a completion sees the counts behind it.
    this.writeCounters();
    const size = 1 << qp.cq.log;
    let wrote = 0;
    while (qp.pending.length && ((qp.cq.tail - head) >>> 0) + completionEntries(qp.pending[0]!) <= size) {
      const c = qp.pending.shift()!;
      // Payload first, then the entries, the first one's phase byte last: the host may be polling.
      if (c.bytes) {
        let done = 0;
        for (const off of c.bpageOffsets) {
          const n = Math.min(65536, c.length - done);
          ram.write(qp.region.base + off, c.bytes.subarray(done, done + n));
          done += n;
        }
      }
      const entries = encodeCompletion(c, qp.cq.tail, qp.cq.log);
      const slot = (k: number): number => qp.cq.base + ((qp.cq.tail + k) & (size - 1)) * COMPLETION_BYTES;
      if (entries[1]) ram.write(slot(1), entries[1]);
      ram.write(slot(0) + 2, entries[0]!.subarray(2));
      ram.write(slot(0), entries[0]!.subarray(0, 2));
      qp.cq.tail = (qp.cq.tail + entries.length) >>> 0;
      wrote++;
    }
    if (!wrote) return false;
    this.stats.completions += wrote;
    bar.setU32(this.userAt(i, 'cq_tail'), qp.cq.tail);
    bar.setU32(this.userAt(i, 'bpool_avail_bytes'), Math.min(qp.engine.availBytes(), 0xffffffff));
    if (qp.ctrl & QpCtrl.IRQ_ENABLE && this.o.irq) {
      this.o.irq(i % (this.o.vectors ?? 1));
      this.stats.interrupts++;
    }
    return true;
  }

  private writeCounters(): void {
    const c = this.o.engine?.counters() ?? {};
    const buf = Buffer.alloc(COUNTERS.length * 8);
    COUNTERS.forEach((name, k) => buf.writeBigUInt64LE(BigInt((c[name] ?? 0) + (this.own[name] ?? 0)), k * 8));
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
