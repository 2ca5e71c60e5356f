// driver/native/index.ts — a NIC behind the Linux driver, from TypeScript: the addon
// (addon.cpp) opens /dev/homa_nicN, issues its ioctls, maps a queue pair's user page, rings,
// bpage region and send region as ArrayBuffers, and waits for completions off the event
// loop. On top, a queue pair that stages messages in its send region, posts descriptors
// naming them by offset, rings doorbells and reads completions (with their continuations)
// exactly as homa_nic_abi.h and homa_nic_ioctl.h lay down — what host-lib's `pcie` Device
// backend builds on.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type HostCompletion, BPAGE_SIZE, COMPLETION_INLINE_BPAGES, QP_USER_REG, SendOpcode, completionContinuation, completionEntry, gatherBpages, readRecord,
  sendDescriptor, writeRecord,
} from '../../hw/homa/abi.ts';

export const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'native', 'homa_nic_native.node');

export interface NicInfo {
  abiVersion: number; numQueuePairs: number; features: number; interrupts: boolean; minRegionBpages: number; maxRegionBpages: number;
}
export interface CreatedQueuePair { qp: number; port: number; sqLogSize: number; cqLogSize: number; bretLogSize: number; regionBpages: number; sendBytes: number }
export interface CreateOptions {
  port?: number; server?: boolean; sqLogSize?: number; cqLogSize?: number; bretLogSize?: number; regionBpages?: number; sendBytes?: number;
}
export type MapKind = 'USER' | 'SQ' | 'CQ' | 'BRET' | 'REGION' | 'SEND' | 'ARENA';
export interface AttachOptions {
  port?: number; server?: boolean; sqLogSize: number; cqLogSize: number; bretLogSize: number; regionBpages: number;
  sqAddr: bigint; cqAddr: bigint; bretAddr: bigint; regionAddr: bigint; sendAddr: bigint; sendBytes: number;
}

/** The addon's functions (errors are thrown with `code` set to the errno name). */
export interface NativeAddon {
  open(path: string): number;
  close(fd: number): void;
  info(fd: number): NicInfo;
  /** Rings, bpage region and send region allocated by the driver; waits until ACTIVE. */
  createQueuePair(fd: number, opt: CreateOptions): CreatedQueuePair;
  destroyQueuePair(fd: number, qp: number): void;
  /** DMA memory the file owns (up to 4 MiB); map it with kind ARENA and the index. */
  createArena(fd: number, bytes: number): { index: number; dma: bigint };
  /** A queue pair on rings and regions inside the file's arenas; waits until ACTIVE. */
  attachQueuePair(fd: number, opt: AttachOptions): { qp: number; port: number };
  /** SO_HOMA_SERVER after the fact (the control page's ctrl, written by the driver). */
  setServer(fd: number, qp: number, on: boolean): void;
  counters(fd: number): bigint[];
  map(fd: number, kind: number, qp: number, bytes: number): ArrayBuffer;
  unmap(buffer: ArrayBuffer): void;
  /** Resolves true when one of the file's queue pairs has a completion, false on timeout. */
  wait(fd: number, timeoutMs: number): Promise<boolean>;
  MAP: Record<MapKind, number>;
}

export function loadAddon(path = ADDON_PATH): NativeAddon {
  if (!existsSync(path)) throw new Error(`the homa_nic addon is not built (${path}): run \`npx tsx driver/native/build.ts\``);
  return createRequire(import.meta.url)(path) as NativeAddon;
}

/** Word index of each user-page register. */
const USER: Record<string, number> = Object.fromEntries(Object.entries(QP_USER_REG).map(([k, v]) => [k, v / 4]));
const SEND_SIZE = sendDescriptor.width / 8;
const CQE_SIZE = completionEntry.width / 8;
const pageUp = (n: number): number => Math.ceil(n / 4096) * 4096;

/** A completion as the ABI carries it: 64-bit ids and cookies (hw/homa/abi/records.ts). */
export type Completion = HostCompletion<bigint>;

export class PcieQueuePair {
  /** The user page: doorbells, and the engine's side of the rings. */
  readonly user: Uint32Array;
  readonly sq: Uint8Array;
  readonly cq: Uint8Array;
  readonly bret: DataView;
  readonly send: Uint8Array;
  readonly region: Uint8Array;
  private sqTail = 0;
  private cqHead = 0;
  private bretTail = 0;
  private readonly maps: ArrayBuffer[] = [];

  constructor(readonly nic: PcieNic, readonly created: CreatedQueuePair) {
    this.user = new Uint32Array(this.map('USER', 4096));
    this.sq = new Uint8Array(this.map('SQ', pageUp(SEND_SIZE << created.sqLogSize)));
    this.cq = new Uint8Array(this.map('CQ', pageUp(CQE_SIZE << created.cqLogSize)));
    this.bret = new DataView(this.map('BRET', pageUp(4 << created.bretLogSize)));
    this.send = created.sendBytes ? new Uint8Array(this.map('SEND', pageUp(created.sendBytes))) : new Uint8Array(0);
    this.region = new Uint8Array(this.map('REGION', created.regionBpages * BPAGE_SIZE));
  }

  private map(kind: MapKind, bytes: number): ArrayBuffer {
    const ab = this.nic.addon.map(this.nic.fd, this.nic.addon.MAP[kind], this.created.qp, bytes);
    this.maps.push(ab);
    return ab;
  }

  get port(): number { return this.created.port; }
  /** A register of the user page (the only page of the device a process maps). */
  register(name: string): number { return this.user[USER[name]!]!; }

  /**
   * Copy `payload` into the send region at `offset` and post a REQUEST naming it there. The
   * engine reads the bytes as packets go out, so they must stay put until the RPC completes:
   * concurrent requests need their own offsets.
   */
  request(peer: Uint8Array, dport: number, payload: Uint8Array, cookie: bigint, offset = 0): void {
    if (offset + payload.length > this.send.length) throw new RangeError(`message of ${payload.length} bytes at ${offset} does not fit the ${this.send.length}-byte send region`);
    this.send.set(payload, offset);
    this.post({ opcode: SendOpcode.REQUEST, dport, length: payload.length, cookie, send_offset: offset, peer_addr: peer });
  }

  /** Write a send descriptor and ring the doorbell (sq_tail). */
  post(desc: Record<string, number | bigint | Uint8Array>): void {
    const mask = (1 << this.created.sqLogSize) - 1;
    writeRecord(sendDescriptor, this.sq, (this.sqTail & mask) * SEND_SIZE, desc);
    this.sqTail = (this.sqTail + 1) >>> 0;
    this.user[USER['sq_tail']!] = this.sqTail;
  }

  private valid(index: number): boolean {
    const log = this.created.cqLogSize;
    return this.cq[(index & ((1 << log) - 1)) * CQE_SIZE + 1] === (((index >>> log) & 1) ^ 1);
  }

  /**
   * The completion at cq_head if the engine has written it (phase rule of homa_nic_abi.h),
   * with its CONTINUATION's bpage offsets once that entry is valid too.
   */
  poll(): Completion | null {
    const mask = (1 << this.created.cqLogSize) - 1;
    if (!this.valid(this.cqHead)) return null;
    const r = readRecord(completionEntry, this.cq, (this.cqHead & mask) * CQE_SIZE);
    const n = r['num_bpages'] as number;
    let offsets = (r['bpage_offsets'] as number[]).slice(0, Math.min(n, COMPLETION_INLINE_BPAGES));
    let used = 1;
    if (n > COMPLETION_INLINE_BPAGES) {
      const next = (this.cqHead + 1) >>> 0;
      if (!this.valid(next)) return null;
      const cont = readRecord(completionContinuation, this.cq, (next & mask) * CQE_SIZE);
      offsets = offsets.concat((cont['bpage_offsets'] as number[]).slice(0, n - COMPLETION_INLINE_BPAGES));
      used = 2;
    }
    this.cqHead = (this.cqHead + used) >>> 0;
    this.user[USER['cq_head']!] = this.cqHead;
    return {
      type: r['type'] as number, id: r['id'] as bigint, cookie: r['cookie'] as bigint, peer: r['peer_addr'] as Uint8Array,
      peerPort: r['peer_port'] as number, length: r['length'] as number, error: r['error'] as number, bpageOffsets: offsets,
    };
  }

  /** Next completion: poll, and sleep in the driver (MSI-X or its timer) while there is none. */
  async next(timeoutMs = 30_000): Promise<Completion> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const c = this.poll();
      if (c) return c;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no completion on queue pair ${this.created.qp} within ${timeoutMs} ms`);
      await this.nic.wait(Math.min(left, 1000));
    }
  }

  /** The message's bytes, copied out of the bpages. */
  messageBytes(c: Completion): Uint8Array {
    return gatherBpages(this.region, c.bpageOffsets, c.length);
  }

  /** Hand the bpages of a completion back to the engine (bret ring, then bret_tail). */
  returnBpages(c: Completion): void {
    const mask = (1 << this.created.bretLogSize) - 1;
    for (const off of c.bpageOffsets) {
      this.bret.setUint32((this.bretTail & mask) * 4, off, true);
      this.bretTail = (this.bretTail + 1) >>> 0;
    }
    this.user[USER['bret_tail']!] = this.bretTail;
  }

  /** Unmap everything, then destroy the queue pair in the driver. */
  close(): void {
    for (const ab of this.maps.splice(0)) this.nic.addon.unmap(ab);
    this.nic.addon.destroyQueuePair(this.nic.fd, this.created.qp);
  }
}

export class PcieNic {
  private constructor(readonly addon: NativeAddon, readonly fd: number) {}

  static open(path = '/dev/homa_nic0', addon = loadAddon()): PcieNic { return new PcieNic(addon, addon.open(path)); }

  info(): NicInfo { return this.addon.info(this.fd); }
  counters(): bigint[] { return this.addon.counters(this.fd); }
  wait(timeoutMs: number): Promise<boolean> { return this.addon.wait(this.fd, timeoutMs); }

  /** A queue pair with its region (default: the smallest the NIC takes) and send region. */
  createQueuePair(opt: CreateOptions = {}): PcieQueuePair {
    return new PcieQueuePair(this, this.addon.createQueuePair(this.fd, opt));
  }

  close(): void { this.addon.close(this.fd); }
}
