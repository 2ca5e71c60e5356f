// host-lib/message.ts — a received message: views on its bpages in the socket's receive
// region (zero copy), with the RPC's id, completion cookie, peer and length. The application
// owns the bpages until it calls release(); the offsets then travel to the NIC with the
// socket's next call, as bpages listed in Homa's next recvmsg do (homa-protocol.md §2.2, §4).

import { formatAddr } from '../hw/homa/wire/index.ts';
import { InvalidArgumentError } from './errors.ts';
import { BPAGE_SIZE } from './queue-pair.ts';

export type MessageKind = 'request' | 'response';

/** Where a message came from (or where a request goes). */
export interface Peer {
  /** IPv4 dotted quad or IPv6 text, e.g. `10.0.0.2`. */
  readonly address: string;
  readonly port: number;
}

/** Called once, by release(), with the bpage offsets the message held. */
export type ReleaseSink = (offsets: readonly number[]) => void;

export class Message {
  /** RPC id: odd for a request this socket serves, even for a response to its own request (§2.2). */
  readonly id: bigint;
  /** The completion cookie given to send() (responses); 0n for requests (§2.1). */
  readonly cookie: bigint;
  readonly kind: MessageKind;
  readonly peer: Peer;
  readonly length: number;
  /** Bpage offsets in the receive region (all but the last 64 KiB aligned, §4). */
  readonly bpageOffsets: readonly number[];
  private readonly region: Uint8Array;
  private readonly sink: ReleaseSink;
  private isReleased = false;

  constructor(
    fields: { id: bigint; cookie: bigint; kind: MessageKind; peer: Peer; length: number; bpageOffsets: readonly number[] },
    region: Uint8Array,
    sink: ReleaseSink,
  ) {
    this.id = fields.id;
    this.cookie = fields.cookie;
    this.kind = fields.kind;
    this.peer = fields.peer;
    this.length = fields.length;
    this.bpageOffsets = fields.bpageOffsets;
    this.region = region;
    this.sink = sink;
  }

  get released(): boolean { return this.isReleased; }

  /**
   * The message's bytes as views over the receive region, one per bpage, in order (zero copy).
   * Valid until release(): after that the NIC reuses the bpages, so keep a copy (bytes()) if
   * the data must outlive the message.
   */
  get views(): readonly Uint8Array[] {
    this.assertHeld('views');
    const out: Uint8Array[] = [];
    let left = this.length;
    for (const off of this.bpageOffsets) {
      const n = Math.min(left, BPAGE_SIZE - (off & (BPAGE_SIZE - 1)));
      out.push(this.region.subarray(off, off + n));
      left -= n;
    }
    return out;
  }

  /** A copy of the whole message in one Buffer. */
  bytes(): Buffer {
    const views = this.views;
    if (views.length === 1) return Buffer.from(views[0]!);
    return Buffer.concat(views);
  }

  /** The message decoded as UTF-8 (a copy). */
  text(): string {
    return this.bytes().toString('utf8');
  }

  /** Hand the bpages back; they reach the NIC with the socket's next call. Twice is EINVAL. */
  release(): void {
    if (this.isReleased) throw new InvalidArgumentError('message', `message ${this.id} was already released (its bpages are back with the NIC); release each message once (spec §4)`);
    this.isReleased = true;
    this.sink(this.bpageOffsets);
  }

  private assertHeld(what: string): void {
    if (this.isReleased) {
      throw new InvalidArgumentError('message', `${what} of message ${this.id} used after release(): its bpages may already hold another message; copy with bytes() before releasing`);
    }
  }
}

/** Address bytes as text; a v4-mapped IPv6 address (::ffff:a.b.c.d) becomes a.b.c.d. */
export function addressText(a: Uint8Array): string {
  if (a.length === 4 || isV4Mapped(a)) {
    const o = a.length - 4;
    const key = ((a[o]! << 24) | (a[o + 1]! << 16) | (a[o + 2]! << 8) | a[o + 3]!) >>> 0;
    let t = v4Text.get(key);
    if (t === undefined) { t = formatAddr(a.subarray(o)); v4Text.set(key, t); }
    return t;
  }
  return formatAddr(a);
}

/** Text of IPv4 addresses seen so far (a host talks to few peers; this saves a format per message). */
const v4Text = new Map<number, string>();

function isV4Mapped(a: Uint8Array): boolean {
  if (a.length !== 16 || a[10] !== 0xff || a[11] !== 0xff) return false;
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return true;
}

export function unmapV4(a: Uint8Array): Uint8Array {
  return isV4Mapped(a) ? a.slice(12) : a;
}
