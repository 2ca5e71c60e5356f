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

/**
 * One RPC of a queue pair as the NIC holds it (what HOMAIOCINFO's homa_rpc_info reports,
 * spec §2.1). Backends that can look inside their NIC offer it (`Device.rpcInfo`).
 */
export interface NicRpcInfo {
  /** The RPC's id on this host: even for a client RPC, odd for a server RPC (§1.2). */
  readonly id: bigint;
  readonly client: boolean;
  /** The peer's address (4 bytes IPv4, 16 bytes IPv6) and port. */
  readonly peerAddr: Uint8Array;
  readonly peerPort: number;
  /** The ABI completion cookie the request was posted with (host-lib's per-socket handle). */
  readonly cookie: bigint;
  /** 'outgoing': sending its message; 'incoming': receiving (or awaiting) one; 'in-service': a request handed to the host, no reply yet. */
  readonly state: 'outgoing' | 'incoming' | 'in-service';
  /** Outgoing message: length (-1 none yet), bytes sent, bytes the receiver granted. */
  readonly txLength: number;
  readonly txSent: number;
  readonly txGranted: number;
  /** Incoming message: length (-1 unknown yet), bytes still missing, gaps and their bytes, bytes granted. */
  readonly rxLength: number;
  readonly rxRemaining: number;
  readonly rxGaps: number;
  readonly rxGapBytes: number;
  readonly rxGranted: number;
  /** Waiting for bpages of the receive region (HOMA_RPC_BUF_STALL, §4). */
  readonly bufStall: boolean;
}

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

  /**
   * The RPCs the NIC holds for queue pair `queuePair` (optional: backends that can look
   * inside their NIC; without it HOMAIOCINFO lists the RPCs the host knows of).
   */
  rpcInfo?(queuePair: number): NicRpcInfo[];

  /**
   * (Simulated devices) why the last wait ended 'idle', in words an application can act on:
   * nothing left to simulate, or the simulation's horizon reached.
   */
  idleReason?(): string;

  /** Release the device (sockets should be closed first). */
  close(): void;
}
