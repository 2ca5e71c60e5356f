// sim/net/frame.ts — the few fixed-offset reads the network needs from an Ethernet frame
// (homa-protocol.md §1.1, §1.5), and the simulated hosts' addresses.
//
// Frames are whole Ethernet frames without preamble or FCS. Switches route on the IP
// destination address and queue on the top 3 bits of the IPv4 TOS byte or IPv6 traffic
// class; nothing else in the frame is looked at, so any transport can run over the network.
//
// Addressing convention: host i has MAC 02:00:00:00:hi:lo, IPv4 10.0.hi.lo and IPv6
// fd00::hi:lo, where hi:lo is i + 1 as 16 bits (so no host owns a .0 address). A switch maps
// the low 16 bits of the destination address back to the host index.

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const IPPROTO_HOMA = 146;
export const ETH_HEADER_BYTES = 14;

/** Bytes a link adds to every frame on the wire: preamble+SFD 8, FCS 4, inter-frame gap 12. */
export const ETH_WIRE_OVERHEAD_BYTES = 24;
/** Frames shorter than this (without FCS) are padded on the wire. */
export const ETH_MIN_FRAME_BYTES = 60;

/** Host index the frame is addressed to, or -1 for a frame that is not IPv4/IPv6. */
export function frameDestinationHost(frame: Uint8Array): number {
  const etherType = (frame[12]! << 8) | frame[13]!;
  if (etherType === ETHERTYPE_IPV4) return ((frame[32]! << 8) | frame[33]!) - 1;
  if (etherType === ETHERTYPE_IPV6) return ((frame[52]! << 8) | frame[53]!) - 1;
  return -1;
}

/** Host index the frame came from, or -1. */
export function frameSourceHost(frame: Uint8Array): number {
  const etherType = (frame[12]! << 8) | frame[13]!;
  if (etherType === ETHERTYPE_IPV4) return ((frame[28]! << 8) | frame[29]!) - 1;
  if (etherType === ETHERTYPE_IPV6) return ((frame[36]! << 8) | frame[37]!) - 1;
  return -1;
}

/** Strict-priority class 0..7 (7 most urgent): top 3 bits of TOS / traffic class. */
export function framePriority(frame: Uint8Array): number {
  const etherType = (frame[12]! << 8) | frame[13]!;
  if (etherType === ETHERTYPE_IPV4) return frame[15]! >> 5;
  // IPv6: version(4) | traffic class(8) | flow label(20); the class's top 3 bits sit in
  // bits 3..1 of byte 14.
  if (etherType === ETHERTYPE_IPV6) return (frame[14]! & 0x0f) >> 1;
  return 0;
}

/** A flow hash over (source, destination, first 4 bytes of the transport header). */
export function frameFlowHash(frame: Uint8Array): number {
  const etherType = (frame[12]! << 8) | frame[13]!;
  const src = frameSourceHost(frame);
  const dst = frameDestinationHost(frame);
  const l4 = etherType === ETHERTYPE_IPV6 ? 54 : ETH_HEADER_BYTES + ((frame[14]! & 0x0f) << 2);
  const ports = frame.length >= l4 + 4 ? ((frame[l4]! << 24) | (frame[l4 + 1]! << 16) | (frame[l4 + 2]! << 8) | frame[l4 + 3]!) : 0;
  let h = Math.imul(src ^ 0x2545f491, 0x9e3779b1);
  h = Math.imul(h ^ dst ^ (h >>> 15), 0x85ebca77);
  h = Math.imul(h ^ ports ^ (h >>> 13), 0xc2b2ae3d);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface HostAddress {
  readonly index: number;
  readonly mac: Uint8Array;
  readonly ipv4: Uint8Array;
  readonly ipv6: Uint8Array;
}

export function hostAddress(index: number): HostAddress {
  if (!Number.isInteger(index) || index < 0 || index > 0xfffe) {
    throw new RangeError(`host index ${index} must be an integer in 0..65534`);
  }
  const hi = ((index + 1) >> 8) & 0xff;
  const lo = (index + 1) & 0xff;
  const ipv6 = new Uint8Array(16);
  ipv6[0] = 0xfd;
  ipv6[14] = hi;
  ipv6[15] = lo;
  return {
    index,
    mac: Uint8Array.of(0x02, 0, 0, 0, hi, lo),
    ipv4: Uint8Array.of(10, 0, hi, lo),
    ipv6,
  };
}

/** Host index of an IPv4 or IPv6 address in this convention. */
export function hostIndexOfAddress(addr: Uint8Array): number {
  const n = addr.length;
  return ((addr[n - 2]! << 8) | addr[n - 1]!) - 1;
}

/** On-the-wire bytes of a frame of `frameBytes` (without FCS). */
export function wireBytes(frameBytes: number): number {
  return Math.max(frameBytes, ETH_MIN_FRAME_BYTES) + ETH_WIRE_OVERHEAD_BYTES;
}
