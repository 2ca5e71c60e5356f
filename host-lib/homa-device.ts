// host-lib/homa-device.ts — what open() returns: a NIC behind some backend Device, that makes
// Homa sockets. A socket takes a free ABI queue pair, a receive region of 64 KiB bpages
// (SO_HOMA_RCVBUF, spec §4), a port (bind, or automatic from 0x8000, spec §2) and, if asked,
// the server opt-in (SO_HOMA_SERVER).

import type { Device } from './device.ts';
import { ERRNO, AddressInUseError, HomaError, InvalidArgumentError, RegionTooSmallError } from './errors.ts';
import { addressText } from './message.ts';
import { BPAGE_SIZE, HostQueuePair, discoverLayout, findFreeQueuePair } from './queue-pair.ts';
import type { DeviceLayout } from './queue-pair.ts';
import { HomaSocket } from './socket.ts';

/** Smallest receive region: two maximum messages plus one bpage (2 x 16 + 1 bpages, spec §4). */
export const MIN_REGION_BYTES = 33 * BPAGE_SIZE;
/** Default receive region: 64 bpages (4 MiB). */
export const DEFAULT_REGION_BYTES = 64 * BPAGE_SIZE;
/** Automatic ports start here (HOMA_MIN_DEFAULT_PORT, spec §2). */
export const FIRST_AUTOMATIC_PORT = 0x8000;

export interface SocketOptions {
  /** Port to bind, 1..32767 (spec §2); 0 or absent: an automatic port >= 0x8000. */
  port?: number;
  /** SO_HOMA_SERVER: accept incoming requests (default false: only a client). */
  server?: boolean;
  /** Receive region size (SO_HOMA_RCVBUF); whole 64 KiB bpages are used. Default 4 MiB. */
  regionBytes?: number;
}

export class HomaDevice {
  readonly backend: Device;
  private readonly layout: DeviceLayout;
  private readonly sockets = new Set<HomaSocket>();

  constructor(backend: Device) {
    this.backend = backend;
    this.layout = discoverLayout(backend);
  }

  get url(): string { return this.backend.url; }
  /** This host's address as text (what peers pass as `address`). */
  get address(): string { return addressText(this.backend.address); }
  /** Device clock, nanoseconds (simulated time for `sim`). */
  now(): number { return this.backend.now(); }
  /** Let `ns` nanoseconds of device time pass. */
  sleep(ns: number): Promise<void> { return this.backend.sleep(ns); }

  /** A new Homa socket (spec §2: socket + SO_HOMA_RCVBUF + bind + SO_HOMA_SERVER). */
  socket(opt: SocketOptions = {}): HomaSocket {
    const port = opt.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 32767) {
      throw new InvalidArgumentError('port', `${port} cannot be bound: use 1..32767, or 0 for an automatic port (spec §2)`);
    }
    const regionBytes = opt.regionBytes ?? DEFAULT_REGION_BYTES;
    if (!Number.isInteger(regionBytes) || regionBytes < MIN_REGION_BYTES) throw new RegionTooSmallError(regionBytes, MIN_REGION_BYTES);
    if (regionBytes > 2 ** 32) throw new InvalidArgumentError('regionBytes', `${regionBytes} is over 4 GiB (bpage offsets are 32 bits, spec §4)`);
    const index = findFreeQueuePair(this.backend, this.layout, new Set());
    if (index < 0) throw new HomaError('ENOMEM', ERRNO.ENOMEM, `${this.url}: all ${this.layout.numQueuePairs} queue pairs are in use; close a socket first`);
    const qp = new HostQueuePair(this.backend, this.layout, index, Math.floor(regionBytes / BPAGE_SIZE));
    const server = opt.server ?? false;
    let bound = 0;
    try {
      if (port !== 0) {
        qp.enable(port, server);
        bound = port;
      } else {
        for (let p = FIRST_AUTOMATIC_PORT; p <= 0xffff && bound === 0; p++) {
          try { qp.enable(p, server); bound = p; } catch (e) { if (!(e instanceof AddressInUseError)) throw e; }
        }
        if (bound === 0) throw new HomaError('EADDRINUSE', ERRNO.EADDRINUSE, `${this.url}: no automatic port left`);
      }
    } catch (e) {
      qp.release();
      throw e;
    }
    const s: HomaSocket = new HomaSocket(this.backend, qp, bound, server, this.layout.maxMessageLength, () => this.sockets.delete(s));
    this.sockets.add(s);
    return s;
  }

  /** Close every socket, then the backend. */
  close(): void {
    for (const s of [...this.sockets]) s.close();
    this.backend.close();
  }
}
