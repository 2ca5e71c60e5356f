// host-lib/backends/sim-queue-pair.ts — the NIC's side of one ABI v2 queue pair, served by the
// reference model (sim/model): its control page and user page as the engine presents them,
// send descriptors read from the host's ring and executed through the model's ABI adapter
// (bytes named by offset into the registered send region), completions written into the
// host's completion ring (64-byte entries, a CONTINUATION past 5 bpages), bpage returns handed
// back to the model's pool.
//
// No copies stand in for DMA: the model reads a message's bytes from the host's send region as
// its packets go out, and writes received bytes straight into the host's bpages, so a host
// that reuses memory the engine may still read or write gets wrong bytes, as on hardware.
//
// The rules of records.ts hold here as in the engine: the engine takes the control page at
// ENABLE (refusing with PORT_IN_USE or BAD_CONFIG), writes to it while enabled are ignored
// except ctrl, and after a disable ACTIVE clears only once nothing is in flight.

import {
  QP_CONTROL_WRITABLE, QP_CTRL_REG, QP_USER_REG, QP_USER_WRITABLE, QpCtrl, QpStatus, queuePairControl, queuePairUser,
} from '../../hw/homa/abi.ts';
import {
  BPAGE_RETURN_BYTES, COMPLETION_BYTES, SEND_DESC_BYTES, completionEntries, consumeBpageReturns, controlPageFault,
  executeDescriptor, sendRegionOver, writeCompletion,
} from '../../sim/model/abi-adapter.ts';
import type { SendRegion } from '../../sim/model/abi-adapter.ts';
import type { ModelNic } from '../../sim/model/nic.ts';
import type { QueuePair } from '../../sim/model/queue-pair.ts';
import { BufState, RpcState } from '../../sim/model/rpc.ts';
import type { NicRpcInfo } from '../device.ts';
import type { Completion } from '../../sim/model/types.ts';
import { BPAGE_SIZE } from '../queue-pair.ts';
import type { SimMemory } from './sim-memory.ts';

/** What a queue pair needs from its device. */
export interface SimQueuePairHost {
  readonly nic: ModelNic;
  readonly memory: SimMemory;
  /** Receive regions the engine accepts (identity min/max_region_bpages). */
  readonly minRegionBpages: number;
  readonly maxRegionBpages: number;
  /** Simulated time from a disable to ACTIVE clearing, in ps (0: at once). */
  readonly disablePs: number;
  /** Run `fn` in the simulation after `delayPs` (default: the doorbell latency). */
  soon(fn: () => void, delayPs?: number): void;
  /** Count an event (wakes host waiters). */
  raise(): void;
  /** Remember a problem for debugging (status bits carry what the host must know). */
  note(problem: string): void;
}

const byOffset = (regs: Readonly<Record<string, number>>): Map<number, string> => new Map(Object.entries(regs).map(([k, v]) => [v, k]));
const CTRL_BY_OFFSET = byOffset(QP_CTRL_REG);
const USER_BY_OFFSET = byOffset(QP_USER_REG);

interface Rings { sq: Uint8Array; sqLog: number; cq: Uint8Array; cqLog: number; bret: Uint8Array; bretLog: number; send: SendRegion }

export class SimQueuePair {
  private qp: QueuePair | null = null;
  private rings: Rings | null = null;
  /** The control page's registers, by name; then the user page's. */
  private readonly ctrl = new Map<string, number>();
  private readonly user = new Map<string, number>();
  private status = 0;
  private readonly pending: Completion[] = [];
  private sqScheduled = false;
  private bretScheduled = false;
  private cqScheduled = false;

  constructor(private readonly host: SimQueuePairHost, readonly index: number) {}

  /** The model's queue pair while enabled (tests and inspection). */
  get model(): QueuePair | null { return this.qp; }

  /** The model's RPCs of this queue pair, as HOMAIOCINFO reports them (Device.rpcInfo). */
  rpcInfo(): NicRpcInfo[] {
    const qp = this.qp;
    if (!qp) return [];
    const out: NicRpcInfo[] = [];
    for (const r of this.host.nic.rpcs) {
      if (r.qp !== qp || r.state === RpcState.DEAD) continue;
      let gapBytes = 0;
      for (let i = 0; i < r.gaps.length; i += 2) gapBytes += r.gaps[i + 1]! - r.gaps[i]!;
      out.push({
        id: BigInt(r.id), client: r.isClient, peerAddr: r.peer.addr, peerPort: r.peerPort, cookie: BigInt(r.cookie),
        state: r.state === RpcState.OUTGOING ? (r.isClient && r.outComplete ? 'incoming' : 'outgoing') : r.state === RpcState.IN_SERVICE ? 'in-service' : 'incoming',
        txLength: r.outLength, txSent: Math.max(0, r.nextXmit), txGranted: r.outGranted,
        rxLength: r.inLength, rxRemaining: r.inLength < 0 ? 0 : r.bytesRemaining, rxGaps: r.gaps.length / 2, rxGapBytes: gapBytes,
        rxGranted: r.inGranted, bufStall: r.bufState === BufState.WAITING,
      });
    }
    return out;
  }

  /** Bytes of each page the registers take (the rest of the 4 KiB page reads 0). */
  static readonly CTRL_BYTES = queuePairControl.width / 8;
  static readonly USER_BYTES = queuePairUser.width / 8;

  readCtrl(offset: number): number {
    const name = CTRL_BY_OFFSET.get(offset);
    if (name === 'status') return this.status;
    return name ? this.ctrl.get(name) ?? 0 : 0;
  }

  readUser(offset: number): number {
    const name = USER_BY_OFFSET.get(offset);
    if (name === 'status') return this.status;
    if (name === 'bpool_avail_bytes') return this.qp ? Math.min(this.qp.pool.availBytes, 0xffffffff) : 0;
    return name ? this.user.get(name) ?? 0 : 0;
  }

  /** A write to the control page (the kernel's; host-lib on the sim backend is its own kernel). */
  writeCtrl(offset: number, value: number): void {
    const name = CTRL_BY_OFFSET.get(offset);
    if (!name || !QP_CONTROL_WRITABLE.includes(name)) return;        // read-only or reserved
    if (name === 'ctrl') { this.control(value); return; }
    if (this.qp) { this.host.note(`queue pair ${this.index}: ${name} written while enabled: ignored`); return; }
    this.ctrl.set(name, value >>> 0);
  }

  /** A write to the user page: only the doorbells take it. */
  writeUser(offset: number, value: number): void {
    const name = USER_BY_OFFSET.get(offset);
    if (!name || !QP_USER_WRITABLE.includes(name) || !this.qp) return;
    this.user.set(name, value >>> 0);
    switch (name) {
      case 'sq_tail': if (!this.sqScheduled) { this.sqScheduled = true; this.host.soon(() => this.takeDescriptors()); } return;
      case 'bret_tail': if (!this.bretScheduled) { this.bretScheduled = true; this.host.soon(() => this.takeReturns()); } return;
      default:
        if (this.pending.length > 0 && !this.cqScheduled) { this.cqScheduled = true; this.host.soon(() => { this.cqScheduled = false; this.flushCompletions(); }); }
    }
  }

  private reg(name: string): number { return this.ctrl.get(name) ?? 0; }
  private base(prefix: string): number { return this.reg(`${prefix}_base_lo`) + this.reg(`${prefix}_base_hi`) * 2 ** 32; }

  private control(v: number): void {
    if (v & QpCtrl.ENABLE) {
      this.ctrl.set('ctrl', v);
      if (this.qp) this.qp.setServer((v & QpCtrl.SERVER) !== 0);       // SO_HOMA_SERVER after the fact
      else if (this.status & QpStatus.ACTIVE) this.host.note(`queue pair ${this.index}: ENABLE before the last disable finished: ignored`);
      else this.enable(v);
    } else {
      this.ctrl.set('ctrl', v);
      if (this.qp) this.disable();
    }
  }

  private enable(ctrl: number): void {
    const nic = this.host.nic;
    const fault = controlPageFault((r) => this.reg(r), this.host.minRegionBpages, this.host.maxRegionBpages);
    if (fault) { this.status = QpStatus.BAD_CONFIG; this.host.note(`queue pair ${this.index}: BAD_CONFIG: ${fault}`); return; }
    const port = this.reg('port');
    if (nic.queuePairs.has(port)) { this.status = QpStatus.PORT_IN_USE; return; }
    const bpages = this.reg('bpool_num_bpages');
    const m = this.host.memory;
    let region: Uint8Array;
    try {
      // Hardware would fault on its first access (IOMMU); the sim checks every range now.
      const sqLog = this.reg('sq_log_size');
      const cqLog = this.reg('cq_log_size');
      const bretLog = this.reg('bret_log_size');
      const sendSize = this.reg('send_size');
      this.rings = {
        sq: m.resolve(this.base('sq'), SEND_DESC_BYTES << sqLog), sqLog,
        cq: m.resolve(this.base('cq'), COMPLETION_BYTES << cqLog), cqLog,
        bret: m.resolve(this.base('bret'), BPAGE_RETURN_BYTES << bretLog), bretLog,
        send: sendRegionOver(sendSize > 0 ? m.resolve(this.base('send'), sendSize) : new Uint8Array(0)),
      };
      region = m.resolve(this.base('bpool'), bpages * BPAGE_SIZE);
    } catch (e) {
      this.rings = null;
      this.status = QpStatus.BAD_CONFIG;
      this.host.note(`queue pair ${this.index}: BAD_CONFIG: ${(e as Error).message}`);
      return;
    }
    for (const r of ['sq_tail', 'cq_head', 'bret_tail', 'sq_head', 'cq_tail', 'bret_head']) this.user.set(r, 0);
    this.pending.length = 0;
    this.qp = nic.openQueuePair({ port, server: (ctrl & QpCtrl.SERVER) !== 0, bpages, region });
    this.qp.onCompletion = (c) => this.completed(c);
    this.status = QpStatus.ACTIVE;
  }

  /** The port is unbound and every RPC ends at once; ACTIVE clears once nothing is in flight. */
  private disable(): void {
    this.host.nic.closeQueuePair(this.qp!);
    this.qp = null;
    this.rings = null;
    this.pending.length = 0;
    const done = (): void => { this.status &= ~QpStatus.ACTIVE; this.host.raise(); };
    if (this.host.disablePs > 0) this.host.soon(done, this.host.disablePs);
    else this.status &= ~QpStatus.ACTIVE;
  }

  private takeDescriptors(): void {
    this.sqScheduled = false;
    const qp = this.qp;
    const rings = this.rings;
    if (!qp || !rings) return;
    let head = this.user.get('sq_head')!;
    const tail = this.user.get('sq_tail')!;
    while (head !== tail && this.qp === qp) {
      const off = (head & ((1 << rings.sqLog) - 1)) * SEND_DESC_BYTES;
      head = (head + 1) >>> 0;
      this.user.set('sq_head', head);
      const r = executeDescriptor(qp, rings.sq, off, rings.send);
      if (!r.ok) {
        // The adapter posted the ERROR completion and counted bad_descriptors.
        this.status |= QpStatus.BAD_DESCRIPTOR;
        this.host.note(`queue pair ${this.index}: descriptor refused: ${r.reason}`);
      }
    }
    this.host.raise();
  }

  private takeReturns(): void {
    this.bretScheduled = false;
    const qp = this.qp;
    const rings = this.rings;
    if (!qp || !rings) return;
    const head = this.user.get('bret_head')!;
    const tail = this.user.get('bret_tail')!;
    if (consumeBpageReturns(qp, rings.bret, head, tail, rings.bretLog).doubleFree) this.status |= QpStatus.BPAGE_DOUBLE_FREE;
    this.user.set('bret_head', tail);
    this.host.raise();
  }

  /** The model posted a completion (its bytes are already in the host's bpages). */
  private completed(c: Completion): void {
    if (!this.qp) return;
    this.pending.push(c);
    this.flushCompletions();
  }

  /** Write queued completions while the ring has room for all their entries (a full ring holds them: never lost). */
  private flushCompletions(): void {
    const rings = this.rings;
    if (!this.qp || !rings || this.pending.length === 0) return;
    const size = 1 << rings.cqLog;
    let tail = this.user.get('cq_tail')!;
    const head = this.user.get('cq_head')!;
    let wrote = 0;
    while (this.pending.length > 0 && ((tail - head) >>> 0) + completionEntries(this.pending[0]!) <= size) {
      tail = (tail + writeCompletion(this.pending.shift()!, rings.cq, tail, rings.cqLog)) >>> 0;
      wrote++;
    }
    this.user.set('cq_tail', tail);
    if (wrote > 0) this.host.raise();
  }
}
