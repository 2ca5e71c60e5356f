// hw/homa/engine/harness.ts — the engine top in a minimal test bench: frames into its MAC
// port, a sparse host memory behind its DMA port, the host's register accesses, its irqs.
// For the engine's own tests and cycle counts; the co-simulation (sim/cosim) is the full
// host with the DMA watchdog.

import type { PortHandle, Simulator } from '../../hdl/sim/index.ts';
import { QP_CTRL_BASE, QP_CTRL_REG, QP_STRIDE, QP_USER_BASE, QP_USER_REG, QpCtrl, registerOffset } from '../abi.ts';
import { engineParams, type EngineConfig } from './config.ts';
import { RegPort } from './testing.ts';

const PAGE = 4096;

/** Host memory as pages allocated on first touch. */
export class SparseMemory {
  private readonly pages = new Map<number, Uint8Array>();
  private page(n: number): Uint8Array {
    let p = this.pages.get(n);
    if (!p) { p = new Uint8Array(PAGE); this.pages.set(n, p); }
    return p;
  }
  write(addr: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length;) {
      const a = addr + i, off = a % PAGE, n = Math.min(PAGE - off, bytes.length - i);
      this.page(Math.floor(a / PAGE)).set(bytes.subarray(i, i + n), off);
      i += n;
    }
  }
  read(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length;) {
      const a = addr + i, off = a % PAGE, n = Math.min(PAGE - off, length - i);
      const p = this.pages.get(Math.floor(a / PAGE));
      if (p) out.set(p.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }
}

export interface DmaWrite { readonly qp: number; readonly addr: number; readonly len: number; readonly cycle: number }
export interface QpLayout { readonly qp: number; readonly port: number; readonly cqBase: number; readonly cqLog: number; readonly bretBase: number; readonly bretLog: number; readonly regionBase: number; readonly bpages: number; readonly sqBase: number; readonly sendBase: number }

interface WriteInFlight { qp: number; addr: number; len: number; lane: number; done: number; first: boolean }

export class EngineHarness {
  readonly regs: RegPort;
  readonly memory = new SparseMemory();
  readonly writes: DmaWrite[] = [];
  readonly irqs: { qp: number; cycle: number }[] = [];
  /** Cycle at which each frame's last beat went in, in order. */
  readonly lastBeatCycles: number[] = [];
  /** Frames the engine sent (mac_tx, always ready), with the cycles of their first and last beats. */
  readonly sent: { bytes: Uint8Array; first: number; last: number }[] = [];
  private txBytes: number[] = [];
  private txFirst = -1;
  private readonly beats: { data: bigint; keep: bigint; last: boolean; error: boolean; first: boolean; bytes: number }[] = [];
  /** Pacing of received frames: wire bytes (frame + 24 of preamble, FCS and gap) per cycle; 0 = a beat every cycle. */
  rxBytesPerCycle = 0;
  private nextFrameCycle = 0;
  private beatIdx = 0;
  private readonly pendingWrites: WriteInFlight[] = [];
  private readonly reads: { addr: number; len: number; tag: number; sent: number }[] = [];
  private readonly h: Record<string, PortHandle>;
  private readonly B: number;

  constructor(readonly sim: Simulator, readonly c: EngineConfig) {
    this.B = c.beatBytes;
    this.regs = new RegPort(sim, 'reg_req', 'reg_resp');
    const names = ['mac_rx.valid', 'mac_rx.payload.data', 'mac_rx.payload.keep', 'mac_rx.payload.last', 'mac_rx.payload.error',
      'dma_wr_req.valid', 'dma_wr_req.ready', 'dma_wr_req.payload.addr', 'dma_wr_req.payload.len', 'dma_wr_req.payload.qp', 'dma_wr_req.payload.lane',
      'dma_wr_data.valid', 'dma_wr_data.ready', 'dma_wr_data.payload.data', 'dma_wr_data.payload.last',
      'dma_rd_req.valid', 'dma_rd_req.ready', 'dma_rd_req.payload.addr', 'dma_rd_req.payload.len', 'dma_rd_req.payload.tag',
      'dma_rd_data.valid', 'dma_rd_data.ready', 'dma_rd_data.payload.data', 'dma_rd_data.payload.last', 'dma_rd_data.payload.tag',
      'irq.valid', 'irq.ready', 'irq.payload', 'mac_tx.ready', 'mac_tx.valid', 'mac_tx.payload.data', 'mac_tx.payload.keep', 'mac_tx.payload.last', 'idle', 'now_us'];
    this.h = Object.fromEntries(names.map((n) => [n, sim.port(n)]));
    for (const n of ['dma_wr_req.ready', 'dma_wr_data.ready', 'dma_rd_req.ready', 'irq.ready', 'mac_tx.ready']) this.h[n]!.set(1);
    this.h['mac_rx.valid']!.set(0);
    this.h['dma_rd_data.valid']!.set(0);
    sim.onCycle((cycle) => this.cycle(cycle));
  }

  /** This NIC's IP address (4 or 16 bytes), written to the ip_addr registers. */
  setAddress(ip: Uint8Array): void {
    const a = new Uint8Array(16);
    if (ip.length === 4) { a[10] = 0xff; a[11] = 0xff; a.set(ip, 12); } else a.set(ip);
    const base = registerOffset('config', 'ip_addr', engineParams(this.c));
    for (let i = 0; i < 4; i++) this.regs.write(base + 4 * i, ((a[4 * i]! << 24) | (a[4 * i + 1]! << 16) | (a[4 * i + 2]! << 8) | a[4 * i + 3]!) >>> 0);
  }

  /** Start queue pair `qp` as a driver would (rings and region at made-up bus addresses). */
  openQueuePair(qp: number, port: number, opt: { server?: boolean; bpages?: number; cqLog?: number; bretLog?: number; sqLog?: number; sendSize?: number } = {}): QpLayout {
    const base = 0x10_0000_0000 + qp * 0x1_0000_0000;
    const l: QpLayout = {
      qp, port, cqBase: base, cqLog: opt.cqLog ?? 8, bretBase: base + 0x100000, bretLog: opt.bretLog ?? 8,
      regionBase: base + 0x1000_0000, bpages: opt.bpages ?? 40, sqBase: base + 0x200000, sendBase: base + 0x800_0000,
    };
    const w = (name: string, v: number): void => this.regs.write(QP_CTRL_BASE + qp * QP_STRIDE + QP_CTRL_REG[name]!, v >>> 0);
    const lo = (x: number): number => x % 2 ** 32, hi = (x: number): number => Math.floor(x / 2 ** 32);
    w('port', port);
    w('sq_base_lo', lo(l.sqBase)); w('sq_base_hi', hi(l.sqBase)); w('sq_log_size', opt.sqLog ?? 4);
    w('cq_base_lo', lo(l.cqBase)); w('cq_base_hi', hi(l.cqBase)); w('cq_log_size', l.cqLog);
    w('bret_base_lo', lo(l.bretBase)); w('bret_base_hi', hi(l.bretBase)); w('bret_log_size', l.bretLog);
    w('bpool_base_lo', lo(l.regionBase)); w('bpool_base_hi', hi(l.regionBase)); w('bpool_num_bpages', l.bpages);
    w('send_base_lo', lo(l.sendBase)); w('send_base_hi', hi(l.sendBase)); w('send_size', opt.sendSize ?? 0x10000);
    w('ctrl', QpCtrl.ENABLE | QpCtrl.IRQ_ENABLE | (opt.server ?? true ? QpCtrl.SERVER : 0));
    return l;
  }

  userRead(qp: number, name: string): number { return this.regs.read(QP_USER_BASE + qp * QP_STRIDE + QP_USER_REG[name]!); }
  userWrite(qp: number, name: string, v: number): void { this.regs.write(QP_USER_BASE + qp * QP_STRIDE + QP_USER_REG[name]!, v); }
  counter(name: string): number {
    const at = registerOffset('counters', name, engineParams(this.c));
    const lo = this.regs.read(at);
    return lo + this.regs.read(at + 4) * 2 ** 32;
  }

  /** Queue a frame for the MAC receive port, one beat per cycle. */
  receive(frame: Uint8Array, error = false): void {
    const B = this.B;
    for (let off = 0; off < frame.length; off += B) {
      let data = 0n, keep = 0n;
      const n = Math.min(B, frame.length - off);
      for (let j = n - 1; j >= 0; j--) data = (data << 8n) | BigInt(frame[off + j]!);
      keep = (1n << BigInt(n)) - 1n;
      const last = off + B >= frame.length;
      this.beats.push({ data, keep, last, error: last && error, first: off === 0, bytes: frame.length });
    }
  }

  /** Step until the engine is idle and every queued beat went in (throws after `limit` cycles). */
  runUntilIdle(limit = 200_000): number {
    const start = this.sim.cycle;
    for (;;) {
      this.sim.step(1);
      if (this.beatIdx >= this.beats.length && this.reads.length === 0 && Number(this.h['idle']!.get()) === 1) {
        this.sim.step(2);
        if (Number(this.h['idle']!.get()) === 1) return this.sim.cycle - start;
      }
      if (this.sim.cycle - start > limit) throw new Error(`engine not idle after ${limit} cycles`);
    }
  }

  private cycle(cycle: number): void {
    const h = this.h;
    // The platform's microsecond clock, from the cycle count at the configuration's clock.
    h['now_us']!.set(Math.floor(cycle / this.c.clockMhz) % 2 ** 32);
    // MAC receive: the next beat, if any (the engine's mac_rx is always ready).
    let b: (typeof this.beats)[number] | undefined = this.beats[this.beatIdx];
    if (b && b.first && this.rxBytesPerCycle > 0) {
      // A MAC hands frames over no faster than its line: the next one starts a frame time later.
      if (cycle < this.nextFrameCycle) b = undefined;
      else this.nextFrameCycle = Math.max(cycle, this.nextFrameCycle) + Math.ceil((b.bytes + 24) / this.rxBytesPerCycle);
    }
    if (b) {
      h['mac_rx.valid']!.set(1);
      h['mac_rx.payload.data']!.set(this.B <= 4 ? Number(b.data) : b.data);
      h['mac_rx.payload.keep']!.set(this.B <= 32 ? Number(b.keep) : b.keep);
      h['mac_rx.payload.last']!.set(b.last ? 1 : 0);
      h['mac_rx.payload.error']!.set(b.error ? 1 : 0);
      this.beatIdx++;
      if (b.last) this.lastBeatCycles.push(cycle);
    } else h['mac_rx.valid']!.set(0);
    // DMA read responses: one beat per cycle, bytes packed from lane 0.
    const r = this.reads[0];
    if (r) {
      const n = Math.min(this.B, r.len - r.sent);
      const bytes = this.memory.read(r.addr + r.sent, n);
      let data = 0n;
      for (let j = n - 1; j >= 0; j--) data = (data << 8n) | BigInt(bytes[j]!);
      h['dma_rd_data.valid']!.set(1);
      h['dma_rd_data.payload.data']!.set(this.B <= 4 ? Number(data) : data);
      h['dma_rd_data.payload.tag']!.set(r.tag);
      h['dma_rd_data.payload.last']!.set(r.sent + n >= r.len ? 1 : 0);
      if (Number(h['dma_rd_data.ready']!.get()) === 1) {
        r.sent += n;
        if (r.sent >= r.len) this.reads.shift();
      }
    } else h['dma_rd_data.valid']!.set(0);
    if (Number(h['dma_rd_req.valid']!.get()) === 1) {
      this.reads.push({ addr: Number(h['dma_rd_req.payload.addr']!.get()), len: Number(h['dma_rd_req.payload.len']!.get()), tag: Number(h['dma_rd_req.payload.tag']!.get()), sent: 0 });
    }
    // DMA writes: requests and data are separate streams; data follows the requests in order.
    if (Number(h['dma_wr_req.valid']!.get()) === 1) {
      const wr = { qp: Number(h['dma_wr_req.payload.qp']!.get()), addr: Number(h['dma_wr_req.payload.addr']!.get()), len: Number(h['dma_wr_req.payload.len']!.get()), lane: Number(h['dma_wr_req.payload.lane']!.get()), done: 0, first: true };
      this.pendingWrites.push(wr);
      this.writes.push({ qp: wr.qp, addr: wr.addr, len: wr.len, cycle });
    }
    if (Number(h['dma_wr_data.valid']!.get()) === 1) {
      const wr = this.pendingWrites[0];
      if (!wr) throw new Error(`cycle ${cycle}: DMA write data with no request before it`);
      const raw = BigInt(h['dma_wr_data.payload.data']!.get());
      const from = wr.first ? wr.lane : 0;
      const n = Math.min(this.B - from, wr.len - wr.done);
      const bytes = new Uint8Array(n);
      for (let j = 0; j < n; j++) bytes[j] = Number((raw >> BigInt(8 * (from + j))) & 0xffn);
      this.memory.write(wr.addr + wr.done, bytes);
      wr.done += n;
      wr.first = false;
      const last = Number(h['dma_wr_data.payload.last']!.get()) === 1;
      if (last !== (wr.done >= wr.len)) throw new Error(`cycle ${cycle}: DMA write of ${wr.len} bytes at 0x${wr.addr.toString(16)}: last beat flag ${last} after ${wr.done} bytes`);
      if (last) this.pendingWrites.shift();
    }
    if (Number(h['irq.valid']!.get()) === 1) this.irqs.push({ qp: Number(h['irq.payload']!.get()), cycle });
    // MAC transmit: always ready; bytes gathered into frames.
    if (Number(h['mac_tx.valid']!.get()) === 1) {
      if (this.txFirst < 0) this.txFirst = cycle;
      const data = BigInt(h['mac_tx.payload.data']!.get()), keep = BigInt(h['mac_tx.payload.keep']!.get());
      for (let j = 0; j < this.B; j++) if ((keep >> BigInt(j)) & 1n) this.txBytes.push(Number((data >> BigInt(8 * j)) & 0xffn));
      if (Number(h['mac_tx.payload.last']!.get()) === 1) {
        this.sent.push({ bytes: Uint8Array.from(this.txBytes), first: this.txFirst, last: cycle });
        this.txBytes = [];
        this.txFirst = -1;
      }
    }
  }
}
