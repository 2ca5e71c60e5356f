// driver/serial/serial-device.ts — host-lib's Device (host-lib/device.ts) over a serial port to
// a board running the UART bridge (hw/lib/uart_bridge.ts): `serial:/dev/ttyUSB1?baud=3000000`.
//
// host-lib reads registers synchronously, and a serial port answers asynchronously, so the
// port lives on a worker thread (worker.ts): a register access posts a request in shared
// memory and blocks this thread until the worker has the board's answer (or fails after the
// bridge's retries, with the reason). Host memory for the board's DMA is shared with the
// worker, which serves the board's reads and writes while host-lib runs; the board's IRQ
// messages are the event count. Nothing waits forever: every wait has a deadline and ends in
// an error that says what to check.

import { Worker } from 'node:worker_threads';
import { DEFAULT_ENGINE_PARAMS, registerOffset } from '../../hw/homa/abi.ts';
import type { Device, DmaBuffer, WaitResult } from '../../host-lib/device.ts';
import { DeviceLostError, NoDeviceError } from '../../host-lib/errors.ts';
import { CONTROL_SLOTS, SLOT, TEXT_BYTES, readText, waitAsync, type WorkerConfig, type WorkerMessage } from './shared.ts';

export interface SerialDeviceOptions {
  readonly baud: number;
  /** The NIC's IP address (4 bytes): the board's engine is told it through its registers. */
  readonly address: Uint8Array;
  /** Milliseconds before an unanswered request is repeated, and sends before it fails. */
  readonly retryMs: number;
  readonly tries: number;
}

/** Where host memory for the board's DMA starts (bus addresses are the host's own numbering). */
const DMA_BASE = 0x1000_0000n;

export class SerialDevice implements Device {
  readonly url: string;
  readonly address: Uint8Array;
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
  private readonly text = new SharedArrayBuffer(TEXT_BYTES);
  private readonly worker: Worker;
  private readonly buffers = new Map<bigint, DmaBuffer>();
  private next = DMA_BASE;
  private closed = false;

  constructor(readonly path: string, private readonly o: SerialDeviceOptions) {
    this.url = `serial:${path}`;
    this.address = o.address;
    const config: WorkerConfig = { path, baud: o.baud, retryMs: o.retryMs, tries: o.tries, control: this.control.buffer as SharedArrayBuffer, text: this.text };
    const ts = import.meta.url.endsWith('.ts');
    const entry = new URL(`./worker.${ts ? 'ts' : 'js'}`, import.meta.url).href;
    // From the TypeScript sources (tests, tsx) the worker registers tsx's loader first.
    this.worker = ts
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData: config })
      : new Worker(new URL(entry), { workerData: config });
    this.worker.unref();
    const deadline = Date.now() + o.retryMs * o.tries + 10_000;
    while (Atomics.load(this.control, SLOT.open) === 0 && Date.now() < deadline) Atomics.wait(this.control, SLOT.open, 0, 100);
    const state = Atomics.load(this.control, SLOT.open);
    if (state !== 1) {
      void this.worker.terminate();
      throw new NoDeviceError(this.url, state === 0 ? `the serial worker did not start within ${o.retryMs * o.tries + 10_000} ms` : readText(this.text, this.control));
    }
    // As a driver would at probe (a board has no driver): tell the engine its addresses. The
    // IP goes in IPv6 form (::ffff:a.b.c.d); the Ethernet address is 02:00 and the IPv4 address.
    const a = o.address;
    const ipv6 = Uint8Array.from([...new Uint8Array(10), 0xff, 0xff, ...a]);
    const ip = registerOffset('config', 'ip_addr', DEFAULT_ENGINE_PARAMS);
    for (let i = 0; i < 4; i++) this.write32(ip + 4 * i, ((ipv6[4 * i]! << 24) | (ipv6[4 * i + 1]! << 16) | (ipv6[4 * i + 2]! << 8) | ipv6[4 * i + 3]!) >>> 0);
    const mac = registerOffset('config', 'mac_addr', DEFAULT_ENGINE_PARAMS);
    this.write32(mac, ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0);
    this.write32(mac + 4, 0x0200);
  }

  read32(offset: number): number { return this.request(false, offset, 0); }
  write32(offset: number, value: number): void { this.request(true, offset, value); }

  private request(write: boolean, addr: number, value: number): number {
    if (this.closed) throw new DeviceLostError(this.url, 'the device is closed');
    if (Atomics.load(this.control, SLOT.open) !== 1) throw new DeviceLostError(this.url, readText(this.text, this.control));
    const c = this.control;
    Atomics.store(c, SLOT.write, write ? 1 : 0);
    Atomics.store(c, SLOT.addr, addr);
    Atomics.store(c, SLOT.value, value | 0);
    Atomics.store(c, SLOT.state, 1);
    Atomics.notify(c, SLOT.state);
    // The worker fails the request after its retries; this deadline only catches a dead worker.
    const deadline = Date.now() + this.o.retryMs * (this.o.tries + 1) + 5_000;
    while (Atomics.load(c, SLOT.state) === 1) {
      if (Date.now() > deadline) throw new DeviceLostError(this.url, `the serial worker did not answer a register ${write ? 'write' : 'read'} of 0x${addr.toString(16)}`);
      Atomics.wait(c, SLOT.state, 1, 50);
    }
    const state = Atomics.load(c, SLOT.state);
    Atomics.store(c, SLOT.state, 0);
    if (state === 3) throw new DeviceLostError(this.url, readText(this.text, this.control));
    return Atomics.load(c, SLOT.result) >>> 0;
  }

  allocateDma(bytes: number, align = 4096): DmaBuffer {
    const a = BigInt(align);
    const address = (this.next + a - 1n) / a * a;
    this.next = address + BigInt(Math.max(bytes, 1));
    const shared = new SharedArrayBuffer(bytes);
    const buffer: DmaBuffer = { address, bytes: new Uint8Array(shared) };
    this.buffers.set(address, buffer);
    this.post({ kind: 'alloc', address, buffer: shared });
    return buffer;
  }

  freeDma(buffer: DmaBuffer): void {
    if (this.buffers.delete(buffer.address)) this.post({ kind: 'free', address: buffer.address });
  }

  eventCount(): number { return Atomics.load(this.control, SLOT.events); }

  async waitEvent(after: number, deadlineNs?: number): Promise<WaitResult> {
    for (;;) {
      if (this.eventCount() > after) return 'event';
      if (Atomics.load(this.control, SLOT.open) !== 1) throw new DeviceLostError(this.url, readText(this.text, this.control) || 'the device is closed');
      const left = deadlineNs === undefined ? 50 : Math.min(50, (deadlineNs - this.now()) / 1e6);
      if (left <= 0) return 'timeout';
      const w = waitAsync(this.control, SLOT.events, this.eventCount(), left);
      if (w.async) await w.value;
    }
  }

  now(): number { return Number(process.hrtime.bigint()); }
  sleep(ns: number): Promise<void> { return new Promise((r) => setTimeout(r, ns / 1e6)); }

  /** DMA write chunks the board sent that never arrived (host memory is stale if > 0). */
  lostWrites(): number { return Atomics.load(this.control, SLOT.lostWrites); }
  /** Board DMA accesses outside the memory allocated here. */
  dmaFaults(): number { return Atomics.load(this.control, SLOT.dmaFaults); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.post({ kind: 'close' });
  }

  private post(m: WorkerMessage): void { this.worker.postMessage(m); }
}
