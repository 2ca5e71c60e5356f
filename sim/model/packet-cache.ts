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
}

const slabs = new WeakMap<ArrayBufferLike, SlabPackets>();

export function registerSlab(slab: Uint8Array, saddr: Uint8Array, checksummed: boolean, protocol: number): SlabPackets {
  const packets = new Array<HomaPacket | undefined>((slab.byteLength >> SLOT_SHIFT) + 1).fill(undefined);
  const s: SlabPackets = { buffer: slab.buffer, ip: { saddr }, checksummed, protocol, packets };
  slabs.set(slab.buffer, s);
  return s;
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
