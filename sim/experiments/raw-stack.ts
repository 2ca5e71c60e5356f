// sim/experiments/raw-stack.ts — a deliberately simple transport for testing the network and
// the experiment pipeline without the Homa model: the sender blasts every message at line
// rate in SRPT order (fewest bytes left first), with no grants, no priorities and no loss
// recovery; the receiver counts distinct packets. Frames use Homa's DATA layout
// (homa-protocol.md §1.4) over IPv4 so captures decode as protocol 146.

import type { Endpoint, EndpointPort } from '../net/endpoint.ts';
import { buildIpFrame } from '../net/frame-builder.ts';
import { frameSourceHost, wireBytes, type HostAddress } from '../net/frame.ts';
import type { MessageRole, Stack, StackEvents, StackHost } from './stack.ts';

const IP_HEADER = 20;
const DATA_HEADER = 56;
const MTU = 1500;
export const RAW_MAX_PAYLOAD = MTU - IP_HEADER - DATA_HEADER; // 1424 B, as HomaModule on IPv4
const HOMA_DATA = 0x10;
const PORT = 4000;

interface Outgoing {
  readonly id: number;
  readonly dst: number;
  readonly length: number;
  sent: number;
}

interface Incoming {
  readonly packets: Uint8Array;
  remaining: number;
}

export class RawHost implements Endpoint, StackHost {
  readonly endpoint: Endpoint = this;
  private port!: EndpointPort;
  /** Outgoing messages sorted by bytes left, fewest first (SRPT). */
  private queue: Outgoing[] = [];
  private incoming = new Map<number, Incoming>();
  private templates: (Uint8Array | undefined)[] = [];

  constructor(
    private readonly address: HostAddress,
    private readonly events: StackEvents,
    private readonly priority: number,
  ) {}

  attach(port: EndpointPort): void {
    this.port = port;
  }

  sendMessage(messageId: number, dstHost: number, length: number, _role?: MessageRole): void {
    if (!(length >= 1)) throw new RangeError(`message length ${length} must be >= 1`);
    const m: Outgoing = { id: messageId, dst: dstHost, length, sent: 0 };
    // Insert keeping the queue ordered by bytes left; ties keep arrival order.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.length - this.queue[i - 1]!.sent > length) i--;
    this.queue.splice(i, 0, m);
    this.port.wake();
  }

  pull(): Uint8Array | null {
    const m = this.queue[0];
    if (m === undefined) return null;
    const offset = m.sent;
    const n = Math.min(RAW_MAX_PAYLOAD, m.length - offset);
    m.sent += n;
    // Sending shrinks the head's remaining bytes, so it stays the shortest.
    if (m.sent === m.length) this.queue.shift();
    let t = this.templates[m.dst];
    if (t === undefined) t = this.templates[m.dst] = headerTemplate(this.address.index, m.dst, this.priority);
    return dataFrame(t, m.id, m.length, offset, n);
  }

  receive(frame: Uint8Array): void {
    const h = 14 + IP_HEADER;
    if (frame.length < h + DATA_HEADER || frame[h + 11] !== HOMA_DATA) return;
    const id = get32(frame, h + 24);
    const length = get32(frame, h + 28);
    const offset = get32(frame, h + 52);
    const key = id * 65536 + frameSourceHost(frame);
    let msg = this.incoming.get(key);
    if (msg === undefined) {
      const count = Math.ceil(length / RAW_MAX_PAYLOAD);
      msg = { packets: new Uint8Array(count), remaining: count };
      this.incoming.set(key, msg);
      this.events.messageStarted?.(id);
    }
    const index = Math.floor(offset / RAW_MAX_PAYLOAD);
    if (msg.packets[index] === 1) return; // duplicate
    msg.packets[index] = 1;
    if (--msg.remaining === 0) {
      this.incoming.delete(key);
      this.events.messageDelivered(id);
    }
  }
}

/** Header template (Ethernet + IPv4 + DATA header) for one destination; copied per frame. */
function headerTemplate(src: number, dst: number, priority: number): Uint8Array {
  const h = new Uint8Array(DATA_HEADER);
  const v = new DataView(h.buffer);
  v.setUint16(0, PORT);
  v.setUint16(2, PORT);
  h[11] = HOMA_DATA;
  h[12] = 14 << 4;
  h[13] = 0x06;
  v.setUint16(18, 0xb97d);
  return buildIpFrame({ src, dst, priority, payload: h });
}

function dataFrame(template: Uint8Array, id: number, length: number, offset: number, n: number): Uint8Array {
  const frame = new Uint8Array(template.length + n);
  frame.set(template);
  // IPv4 total length, then patch the header checksum incrementally (RFC 1624).
  const total = IP_HEADER + DATA_HEADER + n;
  const oldTotal = (template[16]! << 8) | template[17]!;
  frame[16] = total >> 8;
  frame[17] = total & 0xff;
  let sum = (~((template[24]! << 8) | template[25]!) & 0xffff) + (~oldTotal & 0xffff) + total;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const check = ~sum & 0xffff;
  frame[24] = check >> 8;
  frame[25] = check & 0xff;
  const h = 14 + IP_HEADER;
  put32(frame, h + 4, offset);
  put32(frame, h + 24, id); // sender_id low half carries the experiment's message id
  put32(frame, h + 28, length);
  put32(frame, h + 32, length);
  put32(frame, h + 52, offset);
  return frame;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function get32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Wire bytes of a message of `length` sent as DATA frames of up to 1424 payload bytes. */
export function rawWireBytes(length: number): number {
  const full = Math.floor(length / RAW_MAX_PAYLOAD);
  const rest = length - full * RAW_MAX_PAYLOAD;
  const overhead = 14 + IP_HEADER + DATA_HEADER;
  return full * wireBytes(RAW_MAX_PAYLOAD + overhead) + (rest > 0 ? wireBytes(rest + overhead) : 0);
}

export function rawStack(options: { name?: string; priority?: number } = {}): Stack {
  const priority = options.priority ?? 0;
  return {
    name: options.name ?? 'raw-srpt',
    maxMessageBytes: 0xffffffff,
    reportsMessageStart: true,
    instantiate: () => ({ createHost: (address, events) => new RawHost(address, events, priority) }),
    wireBytesPerMessage: rawWireBytes,
  };
}
