// host-lib/homa-device.ts — what open() returns: a NIC behind some backend Device, that makes
// Homa sockets. A socket takes a free ABI queue pair, a receive region of 64 KiB bpages
// (SO_HOMA_RCVBUF, spec §4), a send region for its outgoing messages, a port (bind, or
// automatic from 0x8000, spec §2) and, if asked, the server opt-in (SO_HOMA_SERVER). A closed
// socket's queue pair and memory come back once the engine reports it inactive.

import { checkOptions } from './arguments.ts';
import type { Device } from './device.ts';
import { ERRNO, AddressInUseError, HomaError, InvalidArgumentError, RegionTooSmallError } from './errors.ts';
import { addressText } from './message.ts';
import { MIN_REGION_BPAGES } from '../hw/homa/abi.ts';
import { BPAGE_SIZE, HostQueuePair, discoverLayout, findFreeQueuePair } from './queue-pair.ts';
import type { DeviceLayout } from './queue-pair.ts';
import { HomaSocket } from './socket.ts';

/**
 * Smallest receive region the ABI allows: two maximum messages plus one bpage (2 x 16 + 1
 * bpages, spec §4). A device reports its own (identity min_region_bpages), which socket() uses.
 */
export const MIN_REGION_BYTES = MIN_REGION_BPAGES * BPAGE_SIZE;
/** Default receive region: 64 bpages (4 MiB). */
export const DEFAULT_REGION_BYTES = 64 * BPAGE_SIZE;
/** Default send region: two maximum messages in flight at once, and room for many small ones. */
export const DEFAULT_SEND_BYTES = 2 << 20;
/** Automatic ports start here (HOMA_MIN_DEFAULT_PORT, spec §2). */
export const FIRST_AUTOMATIC_PORT = 0x8000;

export interface SocketOptions {
  /** Port to bind, 1..32767 (spec §2); 0 or absent: an automatic port >= 0x8000. */
  port?: number;
  /** SO_HOMA_SERVER: accept incoming requests (default false: only a client). */
  server?: boolean;
  /** Receive region size (SO_HOMA_RCVBUF); whole 64 KiB bpages are used. Default 4 MiB. */
  regionBytes?: number;
  /**
   * Send region size: outgoing messages wait here until the NIC is done with them, and
   * senders wait while it is full. At least the largest message; default 2 MiB.
   */
  sendBytes?: number;
}

const SOCKET_OPTIONS = ['port', 'server', 'regionBytes', 'sendBytes'] as const;

export class HomaDevice {
  readonly backend: Device;
  private readonly layout: DeviceLayout;
  private readonly sockets = new Set<HomaSocket>();
  /** Queue pairs of closed sockets the engine has not yet reported inactive. */
  private readonly draining = new Set<number>();

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
    checkOptions('socket', opt, SOCKET_OPTIONS);
    const port = opt.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 32767) {
      throw new InvalidArgumentError('port', `${port} cannot be bound: use 1..32767, or 0 for an automatic port (spec §2)`);
    }
    const { minRegionBpages, maxRegionBpages, maxMessageLength } = this.layout;
    const regionBytes = opt.regionBytes ?? Math.min(DEFAULT_REGION_BYTES, maxRegionBpages * BPAGE_SIZE);
    if (!Number.isInteger(regionBytes) || regionBytes < minRegionBpages * BPAGE_SIZE) throw new RegionTooSmallError(regionBytes, minRegionBpages * BPAGE_SIZE);
    if (Math.floor(regionBytes / BPAGE_SIZE) > maxRegionBpages) {
      throw new InvalidArgumentError('regionBytes', `${regionBytes} is over this NIC's largest receive region, ${maxRegionBpages} bpages of 64 KiB (identity max_region_bpages)`);
    }
    const sendBytes = opt.sendBytes ?? DEFAULT_SEND_BYTES;
    if (!Number.isInteger(sendBytes) || sendBytes < maxMessageLength || sendBytes > 2 ** 32) {
      throw new InvalidArgumentError('sendBytes', `${sendBytes} bytes of send region: give ${maxMessageLength} (the largest message) up to 4 GiB (send offsets are 32 bits)`);
    }
    const index = findFreeQueuePair(this.backend, this.layout, this.draining);
    if (index < 0) throw new HomaError('ENOMEM', ERRNO.ENOMEM, `${this.url}: all ${this.layout.numQueuePairs} queue pairs are in use; close a socket first`);
    const qp = new HostQueuePair(this.backend, this.layout, index, Math.floor(regionBytes / BPAGE_SIZE), Math.ceil(sendBytes / 4096) * 4096);
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
    const s: HomaSocket = new HomaSocket(this.backend, qp, bound, server, maxMessageLength, () => {
      this.sockets.delete(s);
      this.drain(qp);
    });
    this.sockets.add(s);
    return s;
  }

  /**
   * A closed socket's queue pair: its memory goes back once the engine has nothing of it in
   * flight (records.ts: ACTIVE clears after disable), and only then is the index reused.
   */
  private drain(qp: HostQueuePair): void {
    if (!qp.active) { qp.release(); return; }
    this.draining.add(qp.index);
    void (async () => {
      for (;;) {
        const seen = this.backend.eventCount();
        if (!qp.active) break;
        // A simulation with nothing left to run cannot clear it: keep the memory (a leak, never a reuse).
        if (await this.backend.waitEvent(seen) === 'idle' && qp.active) return;
      }
      qp.release();
      this.draining.delete(qp.index);
    })().catch(() => undefined);                 // the device is gone (a crashed host): nothing to give back to
  }

  /** Close every socket, then the backend. */
  close(): void {
    for (const s of [...this.sockets]) s.close();
    this.backend.close();
  }
}
