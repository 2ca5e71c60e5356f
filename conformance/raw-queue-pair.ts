// conformance/raw-queue-pair.ts — a queue pair's two register pages written by hand, as a driver
// (or a broken one) would write them, for the tests of group host that must give the NIC what
// host-lib never would: a region too small or too large, port 0, a ring size out of range, an
// unaligned base. Offsets come from the device's queue-pair block (host-lib's discoverLayout)
// and the ABI's page records (QP_CTRL_REG, QP_USER_REG), never from constants.

import { MIN_RING_LOG, QP_CTRL_REG, QP_USER_REG, QpCtrl, QpStatus } from '../hw/homa/abi.ts';
import type { Device, DmaBuffer } from '../host-lib/device.ts';
import { BPAGE_SIZE, COMPLETION_BYTES, SEND_DESC_BYTES, BRET_BYTES, discoverLayout, findFreeQueuePair, type DeviceLayout, type HostCompletion, type HostQueuePair } from '../host-lib/queue-pair.ts';
import { fail } from './check.ts';
import type { ConformanceCluster } from './context.ts';

/** What a queue pair's control page is given before ENABLE. */
export interface RawRegistration {
  readonly port: number;
  readonly sqLog: number;
  readonly cqLog: number;
  readonly bretLog: number;
  readonly bpages: number;
  readonly sendSize: number;
  readonly sq: bigint;
  readonly cq: bigint;
  readonly bret: bigint;
  readonly bpool: bigint;
  readonly send: bigint;
}

/** Memory for one queue pair, allocated through the Device; several queue pairs may share it. */
export interface RawMemory {
  readonly buffers: readonly DmaBuffer[];
  /** A registration over this memory (port to be chosen). */
  registration(port: number): RawRegistration;
}

/** Rings of the smallest size, `bpages` of region and `sendSize` of send region. */
export function rawMemory(device: Device, bpages: number, sendSize = 4096): RawMemory {
  const sq = device.allocateDma(SEND_DESC_BYTES << MIN_RING_LOG);
  const cq = device.allocateDma(COMPLETION_BYTES << MIN_RING_LOG);
  const bret = device.allocateDma(BRET_BYTES << MIN_RING_LOG);
  const bpool = device.allocateDma(bpages * BPAGE_SIZE, BPAGE_SIZE);
  const send = device.allocateDma(sendSize);
  return {
    buffers: [sq, cq, bret, bpool, send],
    registration: (port) => ({
      port, sqLog: MIN_RING_LOG, cqLog: MIN_RING_LOG, bretLog: MIN_RING_LOG, bpages, sendSize,
      sq: sq.address, cq: cq.address, bret: bret.address, bpool: bpool.address, send: send.address,
    }),
  };
}

export class RawQueuePair {
  readonly layout: DeviceLayout;
  private readonly ctrlPage: number;
  private readonly userPage: number;

  constructor(readonly device: Device, readonly index: number) {
    this.layout = discoverLayout(device);
    if (index < 0 || index >= this.layout.numQueuePairs) throw new RangeError(`queue pair ${index}: the device has ${this.layout.numQueuePairs}`);
    this.ctrlPage = this.layout.ctrlBase + index * this.layout.stride;
    this.userPage = this.layout.userBase + index * this.layout.stride;
  }

  setCtrl(name: string, value: number): void { this.device.write32(this.ctrlPage + QP_CTRL_REG[name]!, value >>> 0); }
  ctrl(name: string): number { return this.device.read32(this.ctrlPage + QP_CTRL_REG[name]!); }
  user(name: string): number { return this.device.read32(this.userPage + QP_USER_REG[name]!); }
  /** Status bits (QpStatus), from the user page. */
  status(): number { return this.user('status'); }
  get active(): boolean { return (this.status() & QpStatus.ACTIVE) !== 0; }

  private setBase(prefix: string, a: bigint): void {
    this.setCtrl(`${prefix}_base_lo`, Number(a & 0xffffffffn));
    this.setCtrl(`${prefix}_base_hi`, Number(a >> 32n));
  }

  /** Write every register of the control page, then ENABLE; returns the status the NIC answers with. */
  enable(r: RawRegistration, server = false): number {
    this.setBase('sq', r.sq); this.setCtrl('sq_log_size', r.sqLog);
    this.setBase('cq', r.cq); this.setCtrl('cq_log_size', r.cqLog);
    this.setBase('bret', r.bret); this.setCtrl('bret_log_size', r.bretLog);
    this.setBase('bpool', r.bpool); this.setCtrl('bpool_num_bpages', r.bpages);
    this.setBase('send', r.send); this.setCtrl('send_size', r.sendSize);
    this.setCtrl('port', r.port);
    this.setCtrl('ctrl', QpCtrl.ENABLE | (server ? QpCtrl.SERVER : 0));
    return this.status();
  }

  /** Clear ENABLE (records.ts: the port is unbound at once, ACTIVE clears once nothing is in flight). */
  disable(): void { this.setCtrl('ctrl', 0); }
}

/** Status bits by name, for messages. */
export function statusText(s: number): string {
  const names = Object.entries(QpStatus).filter(([, bit]) => (s & bit) !== 0).map(([n]) => n);
  return `0x${s.toString(16)} (${names.join('|') || 'none'})`;
}

/** A queue pair nobody uses, found as host-lib finds one (ctrl 0, not ACTIVE). */
export function freeQueuePair(c: ConformanceCluster): RawQueuePair {
  const i = findFreeQueuePair(c.dutDevice, discoverLayout(c.dutDevice), new Set());
  if (i < 0) fail('the DUT has no free queue pair at the start of the test');
  return new RawQueuePair(c.dutDevice, i);
}

/** The next completion of `qp` within `timeoutNs` of simulated time. */
export async function nextCompletion(c: ConformanceCluster, qp: HostQueuePair, what: string, timeoutNs = 2_000_000): Promise<HostCompletion> {
  const end = c.now() + timeoutNs;
  for (;;) {
    const x = qp.pollCompletion();
    if (x) return x;
    if (c.now() >= end) fail(`${what}: no completion within ${timeoutNs / 1e6} ms`);
    await c.sleep(10_000);
  }
}
