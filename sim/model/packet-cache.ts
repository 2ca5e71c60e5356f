// sim/model/packet-cache.ts — decoded packets travel beside their frames between model NICs.
//
// A model NIC encodes every packet into a frame cut from a 256 KiB slab (nic.ts), so the
// bytes are there for whoever needs them (pcap, the RTL engine, switches reading the IP
// header, fault injection). A receiving model NIC need not decode them again: the sender
// records the packet object it encoded (and itself) under the frame's place in the slab, and
// the receiver takes it from there. Frames are immutable while in flight (sim/net/link.ts),
// and a fault that alters bytes works on a copy in another buffer, so a frame found here is
// exactly the bytes of its packet. The packet objects are shared read-only.
//
// Used only when the sender leaves payload bytes zero (copyPayload off, as experiments run):
// the packet's payload view is then the same zeros the frame holds. A receiver that checks
// checksums takes the cache only from senders that computed them.
//
// Reuse: the last holder of a delivered frame may hand it back (releaseFrame), and the next
// model NIC to encode a frame of the same length writes into it instead of cutting new slab
// memory. Frames come back from every receiver and go out to every sender, most recent first,
// so the bytes a NIC writes are usually still in the cache, and the collector sees far less
// garbage. Which NIC encoded a frame is recorded per frame, not per slab, for that reason.

import type { HomaPacket } from '../../hw/homa/wire/index.ts';

/** Frames in a slab are >= 60 bytes and 8-aligned, so byteOffset >> 6 names one uniquely. */
export const SLOT_SHIFT = 6;

/** What a receiver needs to know of the model NIC that encoded a frame. */
export interface FrameSender {
  readonly ip: { readonly saddr: Uint8Array };
  readonly checksummed: boolean;
  readonly protocol: number;
  /** A number no other sender in this process has (receivers key caches on it). */
  readonly index: number;
}

let senders = 0;
/** The record a model NIC writes beside each frame it encodes. */
export function frameSender(saddr: Uint8Array, checksummed: boolean, protocol: number): FrameSender {
  return { ip: { saddr }, checksummed, protocol, index: senders++ };
}

export interface SlabPackets {
  readonly buffer: ArrayBufferLike;
  /** Per frame slot: the packet encoded there, and who encoded it. */
  readonly packets: (HomaPacket | undefined)[];
  readonly senders: (FrameSender | undefined)[];
}

const slabs = new WeakMap<ArrayBufferLike, SlabPackets>();

export function registerSlab(slab: Uint8Array): SlabPackets {
  const n = (slab.byteLength >> SLOT_SHIFT) + 1;
  const s: SlabPackets = {
    buffer: slab.buffer,
    packets: new Array<HomaPacket | undefined>(n).fill(undefined),
    senders: new Array<FrameSender | undefined>(n).fill(undefined),
  };
  slabs.set(slab.buffer, s);
  return s;
}

/** The packet a model NIC encoded into `frame`, or null (decode the bytes instead). */
export function cachedPacket(frame: Uint8Array, checksums: boolean, protocol: number): { from: FrameSender; packet: HomaPacket } | null {
  const s = slabs.get(frame.buffer);
  if (s === undefined) return null;
  const slot = frame.byteOffset >> SLOT_SHIFT;
  const packet = s.packets[slot];
  if (packet === undefined) return null;
  const from = s.senders[slot]!;
  if ((checksums && !from.checksummed) || from.protocol !== protocol) return null;
  hit.from = from;
  hit.packet = packet;
  return hit;
}

const hit: { from: FrameSender; packet: HomaPacket } = { from: frameSender(new Uint8Array(4), false, 0), packet: undefined as unknown as HomaPacket };

/** Released frames by length, with their slabs; a bounded number of each length is kept. */
const freeFrames: (Uint8Array[] | undefined)[] = [];
const freeSlabs: (SlabPackets[] | undefined)[] = [];
const MAX_FREE_PER_LENGTH = 1 << 14;

/** The slab of the frame the last takeFrame() returned. */
export const taken: { slab: SlabPackets | null } = { slab: null };

/** A released frame of exactly `n` bytes, zeroed as fresh slab memory is, or null. */
export function takeFrame(n: number): Uint8Array | null {
  const list = freeFrames[n];
  if (list === undefined || list.length === 0) return null;
  const f = list.pop()!;
  taken.slab = freeSlabs[n]!.pop()!;
  f.fill(0);
  return f;
}

/**
 * The last holder of a frame is done with it: a frame a model NIC built goes back to be
 * written again by a later packet (anything else is left to the collector). Only for a caller
 * that knows no reference to the frame survives: the receiving endpoint after its receive(),
 * on a network whose faults never deliver one frame twice and whose taps copy what they keep
 * (sim/net/link.ts, pcap.ts).
 */
export function releaseFrame(frame: Uint8Array): void {
  const s = slabs.get(frame.buffer);
  if (s === undefined) return;
  const slot = frame.byteOffset >> SLOT_SHIFT;
  s.packets[slot] = undefined;
  s.senders[slot] = undefined;
  const n = frame.length;
  let list = freeFrames[n];
  if (list === undefined) { list = []; freeFrames[n] = list; freeSlabs[n] = []; }
  if (list.length >= MAX_FREE_PER_LENGTH) return;
  list.push(frame);
  freeSlabs[n]!.push(s);
}
