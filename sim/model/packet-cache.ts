// sim/model/packet-cache.ts — decoded packets travel beside their frames between model NICs.
//
// A model NIC encodes every packet into a frame cut from its 256 KiB slab (nic.ts), so the
// bytes are there for whoever needs them (pcap, the RTL engine, switches reading the IP
// header, fault injection). A receiving model NIC need not decode them again: the sender
// records the packet object it encoded under the frame's place in the slab, and the
// receiver takes it from there. Frames are immutable once sent (sim/net/link.ts), and a
// fault that alters bytes works on a copy in another buffer, so a frame found here is
// exactly the bytes of its packet. The packet objects are shared read-only.
//
// Used only when the sender leaves payload bytes zero (copyPayload off, as experiments run):
// the packet's payload view is then the same zeros the frame holds. A receiver that checks
// checksums takes the cache only from senders that computed them.

import type { HomaPacket } from '../../hw/homa/wire/index.ts';

/** Frames in a slab are >= 60 bytes and 8-aligned, so byteOffset >> 6 names one uniquely. */
export const SLOT_SHIFT = 6;

export interface SlabPackets {
  readonly buffer: ArrayBufferLike;
  readonly ip: { readonly saddr: Uint8Array };
  readonly checksummed: boolean;
  readonly protocol: number;
  readonly packets: (HomaPacket | undefined)[];
  /** Where the slab's frames go back to once delivered (releaseFrame). */
  readonly pool: FramePool;
}

/**
 * Frames of one NIC handed back by the receiver that consumed them, by length, for the NIC to
 * encode into again instead of cutting new slab memory (the bytes stay warm in the cache and
 * the collector sees far less garbage). A frame comes back only through releaseFrame.
 */
export class FramePool {
  private readonly lists: (Uint8Array[] | undefined)[] = [];
  private readonly owners: (SlabPackets[] | undefined)[] = [];
  /** The slab of the frame the last take() returned. */
  takenFrom: SlabPackets | null = null;

  /** A released frame of exactly `n` bytes, zeroed as fresh slab memory is, or null. */
  take(n: number): Uint8Array | null {
    const list = this.lists[n];
    if (list === undefined || list.length === 0) return null;
    const f = list.pop()!;
    this.takenFrom = this.owners[n]!.pop()!;
    f.fill(0);
    return f;
  }

  put(frame: Uint8Array, slab: SlabPackets): void {
    const n = frame.length;
    let list = this.lists[n];
    if (list === undefined) { list = []; this.lists[n] = list; this.owners[n] = []; }
    list.push(frame);
    this.owners[n]!.push(slab);
  }
}

const slabs = new WeakMap<ArrayBufferLike, SlabPackets>();

export function registerSlab(slab: Uint8Array, saddr: Uint8Array, checksummed: boolean, protocol: number, pool: FramePool): SlabPackets {
  const packets = new Array<HomaPacket | undefined>((slab.byteLength >> SLOT_SHIFT) + 1).fill(undefined);
  const s: SlabPackets = { buffer: slab.buffer, ip: { saddr }, checksummed, protocol, packets, pool };
  slabs.set(slab.buffer, s);
  return s;
}

/**
 * The last holder of a frame is done with it: a frame a model NIC built goes back to that
 * NIC's pool, to be overwritten by a later packet (anything else is left to the collector).
 * Only for a caller that knows no reference to the frame survives: the receiving endpoint
 * after its receive() on a network whose faults never deliver one frame twice and whose taps
 * copy what they keep (sim/net/link.ts, pcap.ts).
 */
export function releaseFrame(frame: Uint8Array): void {
  const s = slabs.get(frame.buffer);
  if (s === undefined) return;
  s.packets[frame.byteOffset >> SLOT_SHIFT] = undefined;
  s.pool.put(frame, s);
}

/** The packet a model NIC encoded into `frame`, or null (decode the bytes instead). */
export function cachedPacket(frame: Uint8Array, checksums: boolean, protocol: number): { ip: { readonly saddr: Uint8Array }; packet: HomaPacket } | null {
  const s = slabs.get(frame.buffer);
  if (s === undefined || (checksums && !s.checksummed) || s.protocol !== protocol) return null;
  const packet = s.packets[frame.byteOffset >> SLOT_SHIFT];
  if (packet === undefined) return null;
  hit.ip = s.ip;
  hit.packet = packet;
  return hit;
}

const hit: { ip: { readonly saddr: Uint8Array }; packet: HomaPacket } = { ip: { saddr: new Uint8Array(4) }, packet: undefined as unknown as HomaPacket };
