// host-lib/queue-pair.ts — the host's side of one ABI v2 queue pair (hw/homa/abi/records.ts):
// it finds the register blocks the way the driver does, allocates the rings, the bpage region
// and the send region in DMA memory, programs the queue pair's control page, rings doorbells
// in its user page and moves records through the rings. It knows nothing about RPCs;
// socket.ts does.
//
// On the sim backend host-lib is its own kernel and writes the control page itself; on pcie
// the backend shadows control-page writes and turns ENABLE into the driver's attach ioctl
// (driver/native/pcie-device.ts). Either way every offset comes from the register blocks the
// device reports and the ABI's page records (QP_CTRL_REG, QP_USER_REG), never from constants.
//
// Ring conventions are the ABI's (records.ts): free-running 32-bit head and tail counters,
// slot = counter & (entries - 1), full when tail - head == entries, and a completion is valid
// when its phase equals ((index >> cq_log_size) & 1) ^ 1.

import {
  BlockType, BPAGE_SIZE, COMPLETION_INLINE_BPAGES, CompletionType, QP_CTRL_REG, QP_USER_REG, QpCtrl, QpStatus,
  bpageReturnEntry, completionContinuation, completionEntry, discoverBlocks, readRecord, registerBlocks, sendDescriptor,
  writeRecord,
} from '../hw/homa/abi.ts';
import type { MemRecord, RegisterBlock } from '../hw/homa/abi.ts';
import type { Device, DmaBuffer } from './device.ts';
import { AddressInUseError, HomaError, ERRNO } from './errors.ts';

export { BPAGE_SIZE };
export const SEND_DESC_BYTES = sendDescriptor.width / 8;
export const COMPLETION_BYTES = completionEntry.width / 8;
export const BRET_BYTES = bpageReturnEntry.width / 8;

/** What the device reports about itself, found by walking its register-block list (regmap.ts). */
export interface DeviceLayout {
  numQueuePairs: number;
  /** BAR offsets of queue pair 0's control page and user page, and the distance to the next queue pair's. */
  ctrlBase: number;
  userBase: number;
  stride: number;
  maxMessageLength: number;
  /** Receive regions the engine accepts, in bpages (spec §4). */
  minRegionBpages: number;
  maxRegionBpages: number;
}

/** Offset of register `name` inside its block (from the ABI's block declarations). */
function regOffset(block: RegisterBlock['name'], name: string): number {
  const b = registerBlocks().find((x) => x.name === block)!;
  return b.registers.find((r) => r.name === name)!.offset;
}

export function discoverLayout(device: Device): DeviceLayout {
  const blocks = discoverBlocks((off) => device.read32(off));
  const id = blocks.find((b) => b.type === BlockType.IDENTITY);
  const qps = blocks.find((b) => b.type === BlockType.QUEUE_PAIRS);
  if (!id || !qps) throw new HomaError('ENODEV', ERRNO.ENODEV, `${device.url}: register map has no identity or queue-pair block (not a homa-nic?)`);
  const version = device.read32(id.offset + regOffset('identity', 'abi_version'));
  if (version >>> 16 !== 2) {
    throw new HomaError('ENODEV', ERRNO.ENODEV, `${device.url}: ABI major version ${version >>> 16}, host-lib speaks 2 (update the engine or host-lib)`);
  }
  const ident = (name: string): number => device.read32(id.offset + regOffset('identity', name));
  const qpb = (name: string): number => device.read32(qps.offset + regOffset('queue_pairs', name));
  return {
    numQueuePairs: qpb('num_queue_pairs'),
    ctrlBase: qpb('ctrl_base'),
    userBase: qpb('user_base'),
    stride: qpb('stride'),
    maxMessageLength: ident('max_message_length'),
    minRegionBpages: ident('min_region_bpages'),
    maxRegionBpages: ident('max_region_bpages'),
  };
}

export interface RingSizes {
  /** log2 of entries of each ring. */
  sqLog: number;
  cqLog: number;
  bretLog: number;
}

export const DEFAULT_RINGS: RingSizes = { sqLog: 8, cqLog: 10, bretLog: 12 };

/** One completion as the host takes it: an entry, and its CONTINUATION's offsets merged in. */
export interface HostCompletion {
  type: number;
  id: bigint;
  cookie: bigint;
  /** 16 bytes, IPv4 as ::ffff:a.b.c.d (records.ts). */
  peerAddr: Uint8Array;
  peerPort: number;
  length: number;
  error: number;
  bpageOffsets: number[];
}

export class HostQueuePair {
  readonly device: Device;
  readonly index: number;
  /** BAR offsets of this queue pair's control page (kernel's) and user page (doorbells). */
  readonly ctrlPage: number;
  readonly userPage: number;
  readonly sq: DmaBuffer;
  readonly cq: DmaBuffer;
  readonly bret: DmaBuffer;
  readonly region: DmaBuffer;
  /** Where outgoing messages are staged; descriptors name bytes by offset into it. */
  readonly send: DmaBuffer;
  readonly numBpages: number;
  private readonly sizes: RingSizes;
  private sqTail = 0;
  private cqHead = 0;
  private bretTail = 0;
  private released = false;

  constructor(device: Device, layout: DeviceLayout, index: number, numBpages: number, sendBytes: number, sizes: RingSizes = DEFAULT_RINGS) {
    this.device = device;
    this.index = index;
    this.ctrlPage = layout.ctrlBase + index * layout.stride;
    this.userPage = layout.userBase + index * layout.stride;
    this.sizes = sizes;
    this.numBpages = numBpages;
    const buffers: DmaBuffer[] = [];
    const alloc = (bytes: number, align?: number): DmaBuffer => { const b = device.allocateDma(bytes, align); buffers.push(b); return b; };
    try {
      this.sq = alloc(SEND_DESC_BYTES << sizes.sqLog);
      this.cq = alloc(COMPLETION_BYTES << sizes.cqLog);
      this.bret = alloc(BRET_BYTES << sizes.bretLog);
      this.region = alloc(numBpages * BPAGE_SIZE, BPAGE_SIZE);
      this.send = alloc(sendBytes);
    } catch (e) {
      for (const b of buffers) device.freeDma(b);
      throw e;
    }
  }

  private ctrl(name: string): number { return this.ctrlPage + QP_CTRL_REG[name]!; }
  private user(name: string): number { return this.userPage + QP_USER_REG[name]!; }
  /** A register of the user page (what a process can read). */
  reg(name: string): number { return this.device.read32(this.user(name)); }
  private setCtrl(name: string, v: number): void { this.device.write32(this.ctrl(name), v >>> 0); }
  private ring(name: string, v: number): void { this.device.write32(this.user(name), v >>> 0); }
  private setBase(prefix: string, a: bigint): void {
    this.setCtrl(`${prefix}_base_lo`, Number(a & 0xffffffffn));
    this.setCtrl(`${prefix}_base_hi`, Number(a >> 32n));
  }

  /**
   * Program the control page (rings, bpage region, send region, port) and set ENABLE. The
   * engine takes the registers as they are at ENABLE and answers in status: ACTIVE, or
   * PORT_IN_USE (throws EADDRINUSE) or BAD_CONFIG; it then stays disabled, so the caller may
   * try another port. Backends answer at once (the sim engine, the driver's attach ioctl).
   */
  enable(port: number, server: boolean): void {
    this.setBase('sq', this.sq.address);
    this.setCtrl('sq_log_size', this.sizes.sqLog);
    this.setBase('cq', this.cq.address);
    this.setCtrl('cq_log_size', this.sizes.cqLog);
    this.setBase('bret', this.bret.address);
    this.setCtrl('bret_log_size', this.sizes.bretLog);
    this.setBase('bpool', this.region.address);
    this.setCtrl('bpool_num_bpages', this.numBpages);
    this.setBase('send', this.send.address);
    this.setCtrl('send_size', this.send.bytes.length);
    this.setCtrl('port', port);
    // Enabling resets every head and tail to 0 (fresh rings, phase 1 on the first pass).
    this.setCtrl('ctrl', QpCtrl.ENABLE | (server ? QpCtrl.SERVER : 0) | QpCtrl.IRQ_ENABLE);
    this.sqTail = 0;
    this.cqHead = 0;
    this.bretTail = 0;
    const status = this.status();
    if (status & QpStatus.ACTIVE) return;
    this.setCtrl('ctrl', 0);
    if (status & QpStatus.PORT_IN_USE) throw new AddressInUseError(port);
    if (status & QpStatus.BAD_CONFIG) {
      throw new HomaError('EINVAL', ERRNO.EINVAL, `${this.device.url}: queue pair ${this.index}: the NIC refused its configuration (BAD_CONFIG: port, ring sizes, region size or a base not 4 KiB aligned; status 0x${status.toString(16)})`);
    }
    throw new HomaError('ENOMEM', ERRNO.ENOMEM, `${this.device.url}: queue pair ${this.index} did not become active (status 0x${status.toString(16)})`);
  }

  /** SO_HOMA_SERVER after the fact: ctrl is the one control register the engine takes while enabled. */
  setServer(on: boolean): void {
    this.setCtrl('ctrl', QpCtrl.ENABLE | QpCtrl.IRQ_ENABLE | (on ? QpCtrl.SERVER : 0));
  }

  /**
   * Stop the queue pair: the port is unbound at once; the engine clears ACTIVE once nothing of
   * this queue pair's memory is in flight. Returns true if it already has (release() is safe).
   */
  disable(): boolean {
    this.setCtrl('ctrl', 0);
    return !this.active;
  }

  /** The engine may still touch this queue pair's memory. */
  get active(): boolean { return (this.status() & QpStatus.ACTIVE) !== 0; }

  /** Give the memory back; only once the engine is done with it (disable() true, or active false). */
  release(): void {
    if (this.released) return;
    if (this.active) throw new Error(`internal: queue pair ${this.index} released while the engine still reports it ACTIVE`);
    this.released = true;
    for (const b of [this.sq, this.cq, this.bret, this.region, this.send]) this.device.freeDma(b);
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
    this.ring('sq_tail', this.sqTail);
  }

  private phaseOk(index: number): boolean {
    const log = this.sizes.cqLog;
    return this.cq.bytes[(index & ((1 << log) - 1)) * COMPLETION_BYTES + 1] === (((index >>> log) & 1) ^ 1);
  }

  /**
   * The next completion, or null. A completion with more than COMPLETION_INLINE_BPAGES bpages
   * is taken only once its CONTINUATION entry is valid too; then cq_head (a doorbell: frees the
   * slots for the engine) moves past both.
   */
  pollCompletion(): HostCompletion | null {
    const mask = (1 << this.sizes.cqLog) - 1;
    for (;;) {
      if (!this.phaseOk(this.cqHead)) return null;
      const r = readRecord(completionEntry, this.cq.bytes, (this.cqHead & mask) * COMPLETION_BYTES);
      if (r['type'] === CompletionType.CONTINUATION) {
        // A continuation with no completion before it (an engine fault): nothing to deliver.
        this.advance(1);
        continue;
      }
      const n = r['num_bpages'] as number;
      let offsets = (r['bpage_offsets'] as number[]).slice(0, Math.min(n, COMPLETION_INLINE_BPAGES));
      let used = 1;
      if (n > COMPLETION_INLINE_BPAGES) {
        const next = (this.cqHead + 1) >>> 0;
        if (!this.phaseOk(next)) return null;
        const cont = readRecord(completionContinuation, this.cq.bytes, (next & mask) * COMPLETION_BYTES);
        offsets = offsets.concat((cont['bpage_offsets'] as number[]).slice(0, n - COMPLETION_INLINE_BPAGES));
        used = 2;
      }
      this.advance(used);
      return {
        type: r['type'] as number, id: r['id'] as bigint, cookie: r['cookie'] as bigint, peerAddr: r['peer_addr'] as Uint8Array,
        peerPort: r['peer_port'] as number, length: r['length'] as number, error: r['error'] as number, bpageOffsets: offsets,
      };
    }
  }

  private advance(entries: number): void {
    this.cqHead = (this.cqHead + entries) >>> 0;
    this.ring('cq_head', this.cqHead);
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
      this.ring('bret_tail', this.bretTail);
    }
    return n;
  }

  /** Engine-reported status bits (QpStatus), from the user page. */
  status(): number { return this.reg('status'); }
  /** Free receive space in bytes as the engine reports it (bpool_avail_bytes, HOMAIOCINFO §2.1). */
  availBytes(): number { return this.reg('bpool_avail_bytes'); }
}

/** A queue pair nobody uses (ctrl 0 and not ACTIVE) and not in `claimed`, or -1. */
export function findFreeQueuePair(device: Device, layout: DeviceLayout, claimed: ReadonlySet<number>): number {
  for (let i = 0; i < layout.numQueuePairs; i++) {
    if (claimed.has(i)) continue;
    const ctrl = device.read32(layout.ctrlBase + i * layout.stride + QP_CTRL_REG['ctrl']!);
    const status = device.read32(layout.userBase + i * layout.stride + QP_USER_REG['status']!);
    if (ctrl === 0 && (status & QpStatus.ACTIVE) === 0) return i;
  }
  return -1;
}
