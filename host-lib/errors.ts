// host-lib/errors.ts — typed errors with Homa's meanings (homa-protocol.md §2.2). Every error
// is a HomaError with the errno name Linux would return (`code`), its number (`errno`), and a
// message that says what was wrong and what to do. Subclasses carry the details a program
// branches on: which argument was invalid, which RPC failed.

/** errno values (Linux x86-64) for the codes host-lib uses. */
export const ERRNO = {
  EINVAL: 22,
  EAGAIN: 11,
  ENOMEM: 12,
  ETIMEDOUT: 110,
  ENOTCONN: 107,
  EHOSTUNREACH: 113,
  EPROTONOSUPPORT: 93,
  ECANCELED: 125,
  EADDRINUSE: 98,
  ESHUTDOWN: 108,
  ENODEV: 19,
  EBUSY: 16,
  EDEADLK: 35,
} as const;

export type ErrorCode = keyof typeof ERRNO;

/** errno number -> code name ('E<n>' for numbers host-lib doesn't name). */
export function errnoName(errno: number): string {
  for (const [k, v] of Object.entries(ERRNO)) if (v === errno) return k;
  return `E${errno}`;
}

export class HomaError extends Error {
  readonly code: string;
  readonly errno: number;
  constructor(code: string, errno: number, message: string) {
    super(`${code}: ${message}`);
    this.name = 'HomaError';
    this.code = code;
    this.errno = errno;
  }
}

/** EINVAL: an argument was wrong. `field` names it (e.g. `length`, `id`, `cookie`). */
export class InvalidArgumentError extends HomaError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('EINVAL', ERRNO.EINVAL, `${field}: ${message}`);
    this.name = 'InvalidArgumentError';
    this.field = field;
  }
}

/** EINVAL for a message longer than HOMA_MAX_MESSAGE_LENGTH (1,000,000 bytes, §2). */
export class MessageTooLongError extends InvalidArgumentError {
  readonly length: number;
  constructor(length: number, max: number) {
    super('length', `message of ${length} bytes is over Homa's limit of ${max} bytes; split it into several RPCs`);
    this.name = 'MessageTooLongError';
    this.length = length;
  }
}

/** EINVAL for a receive region below the minimum (two maximum messages plus one bpage, §4). */
export class RegionTooSmallError extends InvalidArgumentError {
  constructor(bytes: number, minBytes: number) {
    super('regionBytes', `receive region of ${bytes} bytes is below the minimum ${minBytes} (two 1 MB messages plus one 64 KiB bpage, spec §4); give a larger regionBytes`);
    this.name = 'RegionTooSmallError';
  }
}

/**
 * A client RPC failed (§2.2): ETIMEDOUT (peer silent), ENOTCONN (no server at that port),
 * EHOSTUNREACH, or the errno given to abort(). `id` and `cookie` say which RPC.
 */
export class RpcError extends HomaError {
  readonly id: bigint;
  readonly cookie: bigint;
  constructor(errno: number, id: bigint, cookie: bigint) {
    const code = errnoName(errno);
    const why = code === 'ETIMEDOUT' ? 'the peer stopped answering (spec §3.5)'
      : code === 'ENOTCONN' ? 'no server socket at that port (spec §2)'
        : code === 'EINVAL' ? 'the NIC rejected the request (see SocketInfo.errorMessage)'
          : 'aborted';
    super(code, errno, `RPC ${id} failed: ${why}`);
    this.name = 'RpcError';
    this.id = id;
    this.cookie = cookie;
  }
}

/** EADDRINUSE: another socket on this device is bound to the port. */
export class AddressInUseError extends HomaError {
  constructor(port: number) {
    super('EADDRINUSE', ERRNO.EADDRINUSE, `port ${port} is already bound on this device; close that socket or pick another port (0 = automatic)`);
    this.name = 'AddressInUseError';
  }
}

/** ESHUTDOWN: the socket was closed (calls waiting on it fail with this too). */
export class SocketClosedError extends HomaError {
  constructor(what: string) {
    super('ESHUTDOWN', ERRNO.ESHUTDOWN, `${what}: the socket is closed`);
    this.name = 'SocketClosedError';
  }
}

/**
 * EDEADLK (simulated devices only): the call waits for something that can never happen —
 * no simulated event is left (no packet in flight, no NIC timer, no other task waiting) — or
 * the simulation reached its horizon (SimClusterOptions.horizonNs) first. `why` says which.
 */
export class SimulationIdleError extends HomaError {
  constructor(what: string, why = 'the simulation has nothing left to run (no packet in flight, no NIC timer, no other task waiting)') {
    super('EDEADLK', ERRNO.EDEADLK, `${what} can never complete: ${why}`);
    this.name = 'SimulationIdleError';
  }
}

/**
 * ECANCELED: the caller's AbortSignal aborted the call (`name` 'AbortError', as Node's own
 * APIs name it; `cause` is the signal's reason). A call() aborted this way also aborts its RPC.
 */
export class AbortError extends HomaError {
  constructor(what: string, reason?: unknown) {
    super('ECANCELED', ERRNO.ECANCELED, `${what}: aborted by its AbortSignal`);
    this.name = 'AbortError';
    if (reason !== undefined) Object.defineProperty(this, 'cause', { value: reason, configurable: true, writable: true });
  }
}

/**
 * ENODEV: the device is gone under the socket — its simulated host crashed
 * (SimCluster.crash). Every call on it fails with this; requests() just ends. After
 * SimCluster.restart the host has a new device: open it again.
 */
export class DeviceLostError extends HomaError {
  constructor(url: string, why: string) {
    super('ENODEV', ERRNO.ENODEV, `${url}: ${why}`);
    this.name = 'DeviceLostError';
  }
}

/** ENODEV: `open()` was given a URL no backend serves. */
export class NoDeviceError extends HomaError {
  constructor(url: string, why: string) {
    super('ENODEV', ERRNO.ENODEV, `cannot open "${url}": ${why}`);
    this.name = 'NoDeviceError';
  }
}
