// host-lib/queue-pair.ts — the host's side of one ABI v1 queue pair (hw/homa/abi/records.ts):
// it finds the register blocks the way the driver does, allocates the rings and the bpage
// region in DMA memory, programs the queue pair's registers, and moves records through the
// rings. It knows nothing about RPCs; socket.ts does.
//
// Ring convention (both sides of the ABI must agree; the ABI text leaves it open, see
// host-lib/README.md "ABI notes"): head and tail registers are free-running 32-bit counters,
// a record's slot is counter & (entries - 1), a ring is full when tail - head == entries.
// A completion's `phase` is 1 on even passes over the ring and 0 on odd ones, so zeroed
// memory reads as empty.

import {
  BlockType, QP_BASE, QP_STRIDE, QpCtrl, QpStatus, bpageReturnEntry, completionEntry, discoverBlocks,
  queuePairRegisters, readRecord, registerBlocks, sendDescriptor, writeRecord,
} from '../hw/homa/abi.ts';
import type { MemRecord } from '../hw/homa/abi.ts';
import { byteFields } from '../hw/hdl/layout.ts';
import type { Device, DmaBuffer } from './device.ts';
import { AddressInUseError, HomaError, ERRNO } from './errors.ts';

export const BPAGE_SIZE = 1 << 16;
export const SEND_DESC_BYTES = sendDescriptor.width / 8;
export const COMPLETION_BYTES = completionEntry.width / 8;
export const BRET_BYTES = bpageReturnEntry.width / 8;

/** Byte offset of each queue-pair register inside its 4 KiB page. */
export const QP_REG: Readonly<Record<string, number>> = Object.fromEntries(
  byteFields(queuePairRegisters).map((f) => [f.name, f.offset]),
);

/** Where things are in BAR 0, found by walking the register-block list (regmap.ts). */
export interface DeviceLayout {
  numQueuePairs: number;
  qpBase: number;
  qpStride: number;
  maxMessageLength: number;
}

function regOffset(block: 'identity' | 'queue_pairs', name: string): number {
  const b = registerBlocks().find((x) => x.name === block)!;
  return b.registers.find((r) => r.name === name)!.offset;
}

export function discoverLayout(device: Device): DeviceLayout {
  const blocks = discoverBlocks((off) => device.read32(off));
  const id = blocks.find((b) => b.type === BlockType.IDENTITY);
  const qps = blocks.find((b) => b.type === BlockType.QUEUE_PAIRS);
  if (!id || !qps) throw new HomaError('ENODEV', ERRNO.ENODEV, `${device.url}: register map has no identity or queue-pair block (not a homa-nic?)`);
  const version = device.read32(id.offset + regOffset('identity', 'abi_version'));
  if (version >>> 16 !== 1) throw new HomaError('ENODEV', ERRNO.ENODEV, `${device.url}: ABI major version ${version >>> 16}, host-lib speaks 1`);
  return {
    numQueuePairs: device.read32(id.offset + regOffset('identity', 'num_queue_pairs')),
    qpBase: device.read32(qps.offset + regOffset('queue_pairs', 'qp_base')) || QP_BASE,
    qpStride: device.read32(qps.offset + regOffset('queue_pairs', 'qp_stride')) || QP_STRIDE,
    maxMessageLength: device.read32(id.offset + regOffset('identity', 'max_message_length')),
  };
}

export interface RingSizes {
  /** log2 of entries of each ring. */
  sqLog: number;
  cqLog: number;
  bretLog: number;
}

export const DEFAULT_RINGS: RingSizes = { sqLog: 8, cqLog: 10, bretLog: 12 };

export class HostQueuePair {
  readonly device: Device;
  readonly index: number;
  readonly base: number;
  readonly sq: DmaBuffer;
  readonly cq: DmaBuffer;
  readonly bret: DmaBuffer;
  readonly region: DmaBuffer;
  readonly numBpages: number;
  private readonly sizes: RingSizes;
  private sqTail = 0;
  private cqHead = 0;
  private bretTail = 0;

  constructor(device: Device, layout: DeviceLayout, index: number, numBpages: number, sizes: RingSizes = DEFAULT_RINGS) {
    this.device = device;
    this.index = index;
    this.base = layout.qpBase + index * layout.qpStride;
    this.sizes = sizes;
    this.numBpages = numBpages;
    this.sq = device.allocateDma(SEND_DESC_BYTES << sizes.sqLog);
    this.cq = device.allocateDma(COMPLETION_BYTES << sizes.cqLog);
    this.bret = device.allocateDma(BRET_BYTES << sizes.bretLog);
    this.region = device.allocateDma(numBpages * BPAGE_SIZE, BPAGE_SIZE);
  }

  reg(name: string): number { return this.device.read32(this.base + QP_REG[name]!); }
  private set(name: string, v: number): void { this.device.write32(this.base + QP_REG[name]!, v >>> 0); }
  private setAddr(prefix: string, a: bigint): void {
    this.set(`${prefix}_base_lo`, Number(a & 0xffffffffn));
    this.set(`${prefix}_base_hi`, Number(a >> 32n));
  }

  /** Program the rings and the region, bind `port`, enable. Throws EADDRINUSE. */
  enable(port: number, server: boolean): void {
    this.set('ctrl', 0);
    this.setAddr('sq', this.sq.address);
    this.set('sq_log_size', this.sizes.sqLog);
    this.setAddr('cq', this.cq.address);
    this.set('cq_log_size', this.sizes.cqLog);
    this.setAddr('bpool', this.region.address);
    this.set('bpool_num_bpages', this.numBpages);
    this.setAddr('bret', this.bret.address);
    this.set('bret_log_size', this.sizes.bretLog);
    this.set('port', port);
    // Enabling resets every head and tail to 0 (fresh rings, phase 1 on the first pass).
    this.set('ctrl', QpCtrl.ENABLE | (server ? QpCtrl.SERVER : 0) | QpCtrl.IRQ_ENABLE);
    this.sqTail = 0;
    this.cqHead = 0;
    this.bretTail = 0;
    const status = this.reg('status');
    if (status & QpStatus.PORT_IN_USE) { this.set('ctrl', 0); throw new AddressInUseError(port); }
    if (!(status & QpStatus.ACTIVE)) {
      this.set('ctrl', 0);
      throw new HomaError('ENOMEM', ERRNO.ENOMEM, `${this.device.url}: queue pair ${this.index} did not become active (status 0x${status.toString(16)})`);
    }
  }

  /** SO_HOMA_SERVER after the fact. */
  setServer(on: boolean): void {
    this.set('ctrl', QpCtrl.ENABLE | QpCtrl.IRQ_ENABLE | (on ? QpCtrl.SERVER : 0));
  }

  disable(): void {
    this.set('ctrl', 0);
  }

  release(): void {
    for (const b of [this.sq, this.cq, this.bret, this.region]) this.device.freeDma(b);
  }

  get sqEntries(): number { return 1 << this.sizes.sqLog; }

  /** Free send-queue slots. */
  sqSpace(): number {
    return (1 << this.sizes.sqLog) - ((this.sqTail - this.reg('sq_head')) >>> 0);
  }

  /** Write one descriptor and ring the doorbell. The caller checked sqSpace(). */
  postSend(desc: Partial<MemRecord>): void {
    if (this.sqSpace() <= 0) throw new Error('internal: send ring full (the caller must wait for sq_head)');
    const slot = this.sqTail & ((1 << this.sizes.sqLog) - 1);
    writeRecord(sendDescriptor, this.sq.bytes, slot * SEND_DESC_BYTES, desc);
    this.sqTail = (this.sqTail + 1) >>> 0;
    this.set('sq_tail', this.sqTail);
  }

  /** The next completion, or null. Advances cq_head (a doorbell: frees the slot for the NIC). */
  pollCompletion(): MemRecord | null {
    const log = this.sizes.cqLog;
    const slot = this.cqHead & ((1 << log) - 1);
    const phase = ((this.cqHead >>> log) & 1) ^ 1;
    const off = slot * COMPLETION_BYTES;
    if (this.cq.bytes[off + 1] !== phase) return null;       // phase byte follows type (records.ts)
    const rec = readRecord(completionEntry, this.cq.bytes, off);
    this.cqHead = (this.cqHead + 1) >>> 0;
    this.set('cq_head', this.cqHead);
    return rec;
  }

  /** Post as many bpage returns as fit; returns how many were taken. */
  postReturns(offsets: readonly number[]): number {
    const size = 1 << this.sizes.bretLog;
    const room = size - ((this.bretTail - this.reg('bret_head')) >>> 0);
    const n = Math.min(room, offsets.length);
    for (let i = 0; i < n; i++) {
      const slot = (this.bretTail + i) & (size - 1);
      writeRecord(bpageReturnEntry, this.bret.bytes, slot * BRET_BYTES, { offset: offsets[i]! });
    }
    if (n > 0) {
      this.bretTail = (this.bretTail + n) >>> 0;
      this.set('bret_tail', this.bretTail);
    }
    return n;
  }

  /** NIC-reported status bits (QpStatus). */
  status(): number { return this.reg('status'); }
  /** Free bpages as the NIC reports them (bpool_avail_bpages). */
  availBpages(): number { return this.reg('bpool_avail_bpages'); }
}

/** A queue pair nobody uses (ctrl reads 0), or -1. */
export function findFreeQueuePair(device: Device, layout: DeviceLayout, claimed: ReadonlySet<number>): number {
  for (let i = 0; i < layout.numQueuePairs; i++) {
    if (claimed.has(i)) continue;
    if (device.read32(layout.qpBase + i * layout.qpStride + QP_REG['ctrl']!) === 0) return i;
  }
  return -1;
}
