// driver/native/pcie-device.ts — host-lib's Device (host-lib/device.ts) over the Linux driver,
// for its `pcie` backend. host-lib speaks registers: it picks a queue pair, fills in its
// control page (ring, region and send-region bases, port) and sets ENABLE, then rings
// doorbells in its user page. On a real card the control page is the kernel's alone, so this
// backend keeps host-lib's writes to control pages in a shadow: DMA memory comes from the
// file's arenas (allocateDma sub-allocates them), and when host-lib sets ENABLE the shadowed
// page becomes one HOMA_NIC_IOC_QP_ATTACH, which checks every range lies in this file's
// arenas, programs the real control page and waits until the engine has the queue pair.
// From then on that index's user page is the real one, mapped from the driver (doorbells,
// heads, status, free bytes); SERVER changes go through HOMA_NIC_IOC_QP_FLAGS, and ctrl = 0
// destroys the queue pair (the driver returns once the engine is inactive). Events: the
// driver's poll(2) (MSI-X or its timer) on a worker thread.

import {
  BLOCK_HEADER, BlockType, DEFAULT_ENGINE_PARAMS, QP_CTRL_BASE, QP_CTRL_REG, QP_STRIDE, QP_USER_BASE, QP_USER_REG, QpCtrl,
  QpStatus, barBytes, registerBlocks, registerOffset, resetImage,
} from '../../hw/homa/abi.ts';
import type { EngineParams } from '../../hw/homa/abi.ts';
import type { Device, DmaBuffer, WaitResult } from '../../host-lib/device.ts';
import { loadAddon } from './index.ts';
import type { NativeAddon } from './index.ts';

const ARENA_BYTES = 4 << 20;
/** Longest single sleep in waitEvent: the driver's poll reports completions, not sq progress. */
const WAIT_SLICE_MS = 2;

interface Arena { index: number; dma: bigint; buffer: ArrayBuffer; free: { start: number; end: number }[] }
interface LiveQueuePair { qp: number; user: Uint32Array; map: ArrayBuffer; ctrl: number }

export interface PcieDeviceOptions {
  /** The NIC's IP address (4 or 16 bytes): the driver has no notion of it. */
  address: Uint8Array;
  addon?: NativeAddon;
}

/** Errors of the attach ioctl as the status bits an engine would have set. */
const REFUSAL_STATUS: Readonly<Record<string, number>> = { EADDRINUSE: QpStatus.PORT_IN_USE, EINVAL: QpStatus.BAD_CONFIG, EFAULT: QpStatus.BAD_CONFIG };

export class PcieDevice implements Device {
  readonly url: string;
  readonly address: Uint8Array;
  private readonly addon: NativeAddon;
  private readonly fd: number;
  private readonly params: EngineParams;
  /** BAR 0 as host-lib sees it when no live queue pair answers: blocks, control pages, user pages. */
  private readonly shadow: Uint32Array;
  private readonly counterBlock: { start: number; end: number };
  private readonly live = new Map<number, LiveQueuePair>();
  private readonly arenas: Arena[] = [];
  private events = 0;
  private closed = false;

  constructor(path: string, opt: PcieDeviceOptions) {
    this.url = `pcie:${path}`;
    this.address = opt.address;
    this.addon = opt.addon ?? loadAddon();
    this.fd = this.addon.open(path);
    const info = this.addon.info(this.fd);
    this.params = { ...DEFAULT_ENGINE_PARAMS, numQueuePairs: info.numQueuePairs, maxRegionBpages: info.maxRegionBpages };
    this.shadow = new Uint32Array(barBytes(this.params) / 4);
    this.shadow.set(resetImage(this.params));
    // What the driver knows of the engine, where host-lib looks for it.
    this.shadow[registerOffset('identity', 'abi_version', this.params) / 4] = info.abiVersion;
    this.shadow[registerOffset('identity', 'features', this.params) / 4] = info.features;
    this.shadow[registerOffset('identity', 'min_region_bpages', this.params) / 4] = info.minRegionBpages;
    const blocks = registerBlocks(this.params);
    const counters = blocks.find((b) => b.type === BlockType.COUNTERS)!;
    this.counterBlock = { start: counters.offset + BLOCK_HEADER.size, end: blocks[blocks.indexOf(counters) + 1]!.offset };
  }

  /** Which queue pair's page `offset` is in, and where in it. */
  private page(offset: number): { index: number; user: boolean; reg: number } | null {
    if (offset < QP_CTRL_BASE) return null;
    const user = offset >= QP_USER_BASE;
    const rel = offset - (user ? QP_USER_BASE : QP_CTRL_BASE);
    const index = Math.floor(rel / QP_STRIDE);
    return index < this.params.numQueuePairs ? { index, user, reg: rel % QP_STRIDE } : null;
  }

  private ctrlWord(index: number, name: string): number { return (QP_CTRL_BASE + index * QP_STRIDE + QP_CTRL_REG[name]!) / 4; }
  private userWord(index: number, name: string): number { return (QP_USER_BASE + index * QP_STRIDE + QP_USER_REG[name]!) / 4; }

  read32(offset: number): number {
    const p = this.page(offset);
    const live = p && this.live.get(p.index);
    if (live) {
      if (p.user) return live.user[p.reg / 4]!;
      if (p.reg === QP_CTRL_REG['status']) return live.user[QP_USER_REG['status']! / 4]!;
      return p.reg === QP_CTRL_REG['ctrl'] ? live.ctrl : this.shadow[offset / 4]!;
    }
    if (offset >= this.counterBlock.start && offset < this.counterBlock.end) {
      const k = offset - this.counterBlock.start;
      const v = this.addon.counters(this.fd)[k >> 3] ?? 0n;
      return Number((k & 4 ? v >> 32n : v) & 0xffffffffn);
    }
    return this.shadow[offset / 4] ?? 0;
  }

  write32(offset: number, value: number): void {
    const p = this.page(offset);
    if (!p) return;                                   // configuration: the driver owns it
    const live = this.live.get(p.index);
    if (p.user) {
      if (live) live.user[p.reg / 4] = value;       // doorbells; the engine ignores the rest
      return;
    }
    if (live) {
      // While enabled the engine takes ctrl alone: SERVER through the driver, or a disable.
      if (p.reg !== QP_CTRL_REG['ctrl']) return;
      if (!(value & QpCtrl.ENABLE)) this.detach(p.index, live);
      else if ((value ^ live.ctrl) & QpCtrl.SERVER) {
        this.addon.setServer(this.fd, live.qp, (value & QpCtrl.SERVER) !== 0);
        live.ctrl = value;
      }
      return;
    }
    this.shadow[offset / 4] = value >>> 0;
    if (p.reg === QP_CTRL_REG['ctrl'] && value & QpCtrl.ENABLE) this.attach(p.index);
  }

  private attach(index: number): void {
    const reg = (name: string): number => this.shadow[this.ctrlWord(index, name)]!;
    const addr = (name: string): bigint => BigInt(reg(`${name}_base_lo`)) | (BigInt(reg(`${name}_base_hi`)) << 32n);
    let status: number;
    try {
      const { qp } = this.addon.attachQueuePair(this.fd, {
        port: reg('port'), server: (reg('ctrl') & QpCtrl.SERVER) !== 0,
        sqLogSize: reg('sq_log_size'), cqLogSize: reg('cq_log_size'), bretLogSize: reg('bret_log_size'),
        regionBpages: reg('bpool_num_bpages'), sqAddr: addr('sq'), cqAddr: addr('cq'), bretAddr: addr('bret'), regionAddr: addr('bpool'),
        sendAddr: addr('send'), sendBytes: reg('send_size'),
      });
      const map = this.addon.map(this.fd, this.addon.MAP.USER, qp, 4096);
      this.live.set(index, { qp, user: new Uint32Array(map), map, ctrl: reg('ctrl') });
      status = QpStatus.ACTIVE;
    } catch (e) {
      // What host-lib's enable() reads back: the engine refused, and the queue pair stays disabled.
      status = REFUSAL_STATUS[(e as { code?: string }).code ?? ''] ?? 0;
      this.shadow[this.ctrlWord(index, 'ctrl')] = 0;
    }
    this.shadow[this.ctrlWord(index, 'status')] = status;
    this.shadow[this.userWord(index, 'status')] = status;
  }

  private detach(index: number, live: LiveQueuePair): void {
    this.addon.unmap(live.map);
    this.addon.destroyQueuePair(this.fd, live.qp);   // returns once the engine is inactive
    this.live.delete(index);
    this.shadow[this.ctrlWord(index, 'ctrl')] = 0;
    this.shadow[this.ctrlWord(index, 'status')] = 0;
    this.shadow[this.userWord(index, 'status')] = 0;
  }

  allocateDma(bytes: number, align = 4096): DmaBuffer {
    if (bytes <= 0 || bytes > ARENA_BYTES) throw new RangeError(`${this.url}: DMA buffers are 1..${ARENA_BYTES} bytes, not ${bytes}`);
    for (let round = 0; round < 2; round++) {
      for (const a of this.arenas) {
        const got = this.carve(a, bytes, align);
        if (got !== null) {
          const view = new Uint8Array(a.buffer, got, bytes);
          view.fill(0);
          return { address: a.dma + BigInt(got), bytes: view };
        }
      }
      const { index, dma } = this.addon.createArena(this.fd, ARENA_BYTES);
      const buffer = this.addon.map(this.fd, this.addon.MAP.ARENA, index, ARENA_BYTES);
      this.arenas.push({ index, dma, buffer, free: [{ start: 0, end: ARENA_BYTES }] });
    }
    throw new Error(`${this.url}: no room for ${bytes} bytes aligned to ${align}`);
  }

  /** First fit in one arena, aligned on the device address. */
  private carve(a: Arena, bytes: number, align: number): number | null {
    const base = Number(a.dma % BigInt(align));
    for (const [i, r] of a.free.entries()) {
      const start = Math.ceil((r.start + base) / align) * align - base;
      if (start + bytes > r.end) continue;
      const pieces = [{ start: r.start, end: start }, { start: start + bytes, end: r.end }].filter((x) => x.end > x.start);
      a.free.splice(i, 1, ...pieces);
      return start;
    }
    return null;
  }

  freeDma(buffer: DmaBuffer): void {
    const a = this.arenas.find((x) => buffer.address >= x.dma && buffer.address < x.dma + BigInt(ARENA_BYTES));
    if (!a) throw new Error(`${this.url}: freeDma of ${buffer.address} which allocateDma did not return`);
    const start = Number(buffer.address - a.dma);
    a.free.push({ start, end: start + buffer.bytes.length });
    a.free.sort((x, y) => x.start - y.start);
    a.free = a.free.reduce<{ start: number; end: number }[]>((out, r) => {
      const last = out[out.length - 1];
      if (last && last.end >= r.start) last.end = Math.max(last.end, r.end);
      else out.push({ ...r });
      return out;
    }, []);
  }

  eventCount(): number { return this.events; }

  async waitEvent(after: number, deadlineNs?: number): Promise<WaitResult> {
    while (this.events <= after) {
      const left = deadlineNs === undefined ? WAIT_SLICE_MS : (deadlineNs - this.now()) / 1e6;
      if (left <= 0) return 'timeout';
      await this.addon.wait(this.fd, Math.max(0, Math.min(WAIT_SLICE_MS, Math.ceil(left))));
      // A completion, or a slice gone by in which sq_head or bret_head may have moved.
      this.events++;
    }
    return 'event';
  }

  now(): number { return Number(process.hrtime.bigint()); }
  sleep(ns: number): Promise<void> { return new Promise((r) => setTimeout(r, ns / 1e6)); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [index, live] of this.live) this.detach(index, live);
    for (const a of this.arenas) this.addon.unmap(a.buffer);
    this.addon.close(this.fd);
  }
}
