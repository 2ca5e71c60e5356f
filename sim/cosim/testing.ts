// sim/cosim/testing.ts — what the co-simulation's tests share: an RtlNic on the stand-in
// engine (a TEST DOUBLE, stand-in.ts) attached to a probe port on an event queue, and the
// host-side steps a driver would take (register a queue pair, start the stand-in's DMA).

import { QP_CTRL_BASE, QP_CTRL_REG, QP_STRIDE, QpCtrl } from '../../hw/homa/abi.ts';
import type { EngineConfig } from '../../hw/homa/engine/config.ts';
import { EventQueue } from '../model/harness.ts';
import type { EndpointPort, TimerHandle } from '../net/endpoint.ts';
import type { HostBuffer } from './host-memory.ts';
import { RtlNic, type RtlNicOptions } from './rtl-nic.ts';
import { STAND_IN_REGS, standInEngine } from './stand-in.ts';

export { engines } from '../../test/engines.ts';

/** An EndpointPort on an event queue whose "link" takes every frame at once and notes when. */
export class ProbePort implements EndpointPort {
  readonly pulled: { t: number; frame: Uint8Array }[] = [];
  nic: RtlNic | null = null;
  private pullQueued = false;
  constructor(readonly q: EventQueue, readonly linkBitsPerSecond: number) {}
  now(): number { return this.q.now; }
  at(t: number, fn: () => void): TimerHandle { return this.q.at(t, fn); }
  cancel(h: TimerHandle): void { this.q.cancel(h); }
  wake(): void {
    if (this.pullQueued) return;
    this.pullQueued = true;
    this.q.at(this.q.now, () => {
      this.pullQueued = false;
      for (let f = this.nic!.pull(); f; f = this.nic!.pull()) this.pulled.push({ t: this.q.now, frame: f });
    });
  }
}

export interface StandInRig { nic: RtlNic; q: EventQueue; port: ProbePort }

/** A stand-in NIC attached to a probe port at time 0 (ip 10.0.0.1, mac 02:00:00:00:00:01). */
export async function standInRig(engine: string, config: EngineConfig, opt: Partial<RtlNicOptions> & { linkBitsPerSecond?: number } = {}): Promise<StandInRig> {
  const nic = await RtlNic.create({
    config, top: standInEngine(config), engine, ip: Uint8Array.of(10, 0, 0, 1), mac: Uint8Array.of(2, 0, 0, 0, 0, 1), ...opt,
  });
  const q = new EventQueue();
  const port = new ProbePort(q, opt.linkBitsPerSecond ?? 100e9);
  port.nic = nic;
  nic.attach(port);
  return { nic, q, port };
}

/** What a queue pair registers (any subset). */
export interface QueuePairMemory {
  sq?: { buffer: HostBuffer; logSize: number };
  cq?: { buffer: HostBuffer; logSize: number };
  bret?: { buffer: HostBuffer; logSize: number };
  bpool?: { buffer: HostBuffer; bpages: number };
  send?: { buffer: HostBuffer; bytes: number };
  port?: number;
}

/** Writes a queue pair's control page and sets ENABLE, as the kernel driver does. */
export function enableQueuePair(nic: RtlNic, qp: number, mem: QueuePairMemory): void {
  const page = QP_CTRL_BASE + qp * QP_STRIDE;
  const w = (name: string, v: number): void => nic.write32(page + QP_CTRL_REG[name]!, v >>> 0);
  const base = (prefix: string, b: HostBuffer): void => {
    w(`${prefix}_lo`, Number(b.address & 0xffffffffn));
    w(`${prefix}_hi`, Number(b.address >> 32n));
  };
  w('port', mem.port ?? 4000 + qp);
  if (mem.sq) { base('sq_base', mem.sq.buffer); w('sq_log_size', mem.sq.logSize); }
  if (mem.cq) { base('cq_base', mem.cq.buffer); w('cq_log_size', mem.cq.logSize); }
  if (mem.bret) { base('bret_base', mem.bret.buffer); w('bret_log_size', mem.bret.logSize); }
  if (mem.bpool) { base('bpool_base', mem.bpool.buffer); w('bpool_num_bpages', mem.bpool.bpages); }
  if (mem.send) { base('send_base', mem.send.buffer); w('send_size', mem.send.bytes); }
  w('ctrl', QpCtrl.ENABLE);
}

/** Clears ENABLE; with `seeStatus`, also reads status as a driver does before freeing memory. */
export function disableQueuePair(nic: RtlNic, qp: number, seeStatus: boolean): number | null {
  const page = QP_CTRL_BASE + qp * QP_STRIDE;
  nic.write32(page + QP_CTRL_REG['ctrl']!, 0);
  return seeStatus ? nic.read32(page + QP_CTRL_REG['status']!) : null;
}

export interface StandInDma { address: bigint; length: number; qp: number; lane?: number; pattern?: number }

function program(nic: RtlNic, d: StandInDma): void {
  const R = STAND_IN_REGS;
  nic.write32(R.dmaAddrLo, Number(d.address & 0xffffffffn));
  nic.write32(R.dmaAddrHi, Number(d.address >> 32n));
  nic.write32(R.dmaLen, d.length);
  nic.write32(R.dmaQp, d.qp);
  nic.write32(R.dmaLane, d.lane ?? 0);
  nic.write32(R.pattern, d.pattern ?? 0);
}

/** Makes the stand-in write `length` bytes of its pattern, then runs until the NIC is quiet. */
export function standInWrite(rig: StandInRig, d: StandInDma): void {
  program(rig.nic, d);
  rig.nic.write32(STAND_IN_REGS.goWrite, 1);
  rig.q.run();
}

/** Makes the stand-in read `length` bytes, runs until quiet, and returns its Fletcher sums and tag. */
export function standInRead(rig: StandInRig, d: StandInDma): { a: number; b: number; tag: number } {
  program(rig.nic, d);
  rig.nic.write32(STAND_IN_REGS.goRead, 1);
  rig.q.run();
  return { a: rig.nic.read32(STAND_IN_REGS.sumA), b: rig.nic.read32(STAND_IN_REGS.sumB), tag: rig.nic.read32(STAND_IN_REGS.readTag) };
}

/** The stand-in's write pattern: byte i = pattern + i. */
export function patternBytes(length: number, pattern: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (pattern + i) & 0xff);
}

/** Fletcher sums as the stand-in computes them (a += byte, b += a, 32 bits). */
export function fletcher(bytes: Uint8Array): { a: number; b: number } {
  let a = 0;
  let b = 0;
  for (const x of bytes) { a = (a + x) >>> 0; b = (b + a) >>> 0; }
  return { a, b };
}
