// driver/serial/shared.ts — the block of shared memory between a SerialDevice (host-lib's
// thread, which must answer register reads synchronously) and its worker (which owns the
// serial port and the bridge's host end, and serves the board's DMA while host-lib runs).

/** Int32 slots of the control block. */
export const SLOT = {
  /** Register request: 0 none, 1 posted by the device, 2 answered, 3 failed. */
  state: 0, write: 1, addr: 2, value: 3, result: 4,
  /** IRQ messages received (host-lib's event count). */
  events: 5,
  /** The port: 0 opening, 1 open and the board answered, 2 failed, 3 closed. */
  open: 6,
  /** DMA write chunks the board sent that never arrived; DMA accesses outside host memory. */
  lostWrites: 7, dmaFaults: 8,
  /** Bytes of the UTF-8 message in `text` (why the port or the last request failed). */
  textLength: 9,
} as const;

export const CONTROL_SLOTS = 16;
export const TEXT_BYTES = 1024;

/** What the device tells the worker (besides the control block). */
export type WorkerMessage =
  | { readonly kind: 'alloc'; readonly address: bigint; readonly buffer: SharedArrayBuffer }
  | { readonly kind: 'free'; readonly address: bigint }
  | { readonly kind: 'close' };

/** What the worker is started with. */
export interface WorkerConfig {
  readonly path: string;
  readonly baud: number;
  readonly retryMs: number;
  readonly tries: number;
  readonly control: SharedArrayBuffer;
  readonly text: SharedArrayBuffer;
}

export function writeText(text: SharedArrayBuffer, control: Int32Array, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, TEXT_BYTES);
  new Uint8Array(text).set(bytes);
  Atomics.store(control, SLOT.textLength, bytes.length);
}

export function readText(text: SharedArrayBuffer, control: Int32Array): string {
  return new TextDecoder().decode(new Uint8Array(text).slice(0, Atomics.load(control, SLOT.textLength)));
}

/** Atomics.waitAsync (Node >= 16; the project's TypeScript library predates it). */
export const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;
