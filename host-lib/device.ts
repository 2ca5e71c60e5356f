// host-lib/device.ts — what host-lib needs from a NIC (seam 4 of the architecture): its
// registers, host memory the NIC can reach by DMA, doorbells, and a wait for an event. The
// sockets layer speaks ABI v2 (hw/homa/abi.ts) through this interface only, so the same
// socket code drives every backend: `sim` (the reference model, later the RTL, in simulated
// time), `pcie` (the Linux driver through driver/native), `serial` (a dev board).
//
// Doorbells are register writes (the ABI's sq_tail, cq_head, bret_tail); there is no separate
// doorbell call. Events are counted, never lost: a caller reads `eventCount()`, looks at its
// rings, and only then waits for the count to move past what it read, so an event that
// lands between the look and the wait still wakes it (the usual interrupt-count pattern).

/** A block of host memory the NIC can read and write by DMA. */
export interface DmaBuffer {
  /** The bus address the NIC uses (what goes into ring base registers and descriptors). */
  readonly address: bigint;
  /** The host's view of the same bytes. */
  readonly bytes: Uint8Array;
}

/** Why `waitEvent` returned. */
export type WaitResult =
  /** The event count moved past the value given. */
  | 'event'
  /** The deadline passed first. */
  | 'timeout'
  /**
   * Nothing can ever happen again (simulated backends only: no event is left to run and no
   * other task is waiting on a timer), so a wait for an event would never end.
   */
  | 'idle';

export interface Device {
  /** The URL it was opened with, e.g. `sim:0`. */
  readonly url: string;
  /** The host's IP address as the NIC uses it (4 bytes IPv4, 16 bytes IPv6). */
  readonly address: Uint8Array;

  /** Read a 32-bit register at a byte offset of BAR 0 (the ABI register map). */
  read32(offset: number): number;
  /** Write a 32-bit register; writes to ring tails and cq_head are doorbells. */
  write32(offset: number, value: number): void;

  /** Host memory the NIC can reach, zeroed, aligned to `align` bytes (default 4096). */
  allocateDma(bytes: number, align?: number): DmaBuffer;
  /** Give back memory from `allocateDma`; the NIC must no longer be using it. */
  freeDma(buffer: DmaBuffer): void;

  /** Events raised so far (a completion written, a ring consumed, a status change). */
  eventCount(): number;
  /**
   * Resolve once `eventCount()` > `after`, or when the device clock reaches `deadlineNs`
   * (absolute, on `now()`), or (simulated devices) when nothing can ever happen again.
   */
  waitEvent(after: number, deadlineNs?: number): Promise<WaitResult>;

  /** The device clock in nanoseconds: simulated time for `sim`, monotonic time otherwise. */
  now(): number;
  /** Let `ns` nanoseconds of device time pass. */
  sleep(ns: number): Promise<void>;

  /** Release the device (sockets should be closed first). */
  close(): void;
}
