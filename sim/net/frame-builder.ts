// sim/net/frame-builder.ts — builds Ethernet + IPv4/IPv6 frames in this network's
// addressing convention (frame.ts), for test endpoints and simple transports.

import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, hostAddress } from './frame.ts';

export interface IpFrameSpec {
  readonly src: number;
  readonly dst: number;
  /** 0..7, written as the top 3 bits of TOS / traffic class. */
  readonly priority: number;
  /** IP payload (the transport header and data). */
  readonly payload: Uint8Array;
  readonly protocol?: number;
  readonly ipv6?: boolean;
}

/** IPv4 header checksum over the 20 header bytes at `offset`. */
export function ipv4HeaderChecksum(frame: Uint8Array, offset: number): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) if (i !== 10) sum += (frame[offset + i]! << 8) | frame[offset + i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function buildIpFrame(spec: IpFrameSpec): Uint8Array {
  const src = hostAddress(spec.src);
  const dst = hostAddress(spec.dst);
  const protocol = spec.protocol ?? 146;
  if (!Number.isInteger(spec.priority) || spec.priority < 0 || spec.priority > 7) {
    throw new RangeError(`priority ${spec.priority} must be an integer 0..7`);
  }
  const ipHeader = spec.ipv6 ? 40 : 20;
  const frame = new Uint8Array(14 + ipHeader + spec.payload.length);
  frame.set(dst.mac, 0);
  frame.set(src.mac, 6);
  const etherType = spec.ipv6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
  const tc = spec.priority << 5;
  if (spec.ipv6) {
    frame[14] = 0x60 | (tc >> 4);
    frame[15] = (tc & 0x0f) << 4;
    frame[18] = spec.payload.length >> 8;
    frame[19] = spec.payload.length & 0xff;
    frame[20] = protocol;
    frame[21] = 64;
    frame.set(src.ipv6, 22);
    frame.set(dst.ipv6, 38);
  } else {
    const total = 20 + spec.payload.length;
    frame[14] = 0x45;
    frame[15] = tc;
    frame[16] = total >> 8;
    frame[17] = total & 0xff;
    frame[22] = 64;
    frame[23] = protocol;
    frame.set(src.ipv4, 26);
    frame.set(dst.ipv4, 30);
    const sum = ipv4HeaderChecksum(frame, 14);
    frame[24] = sum >> 8;
    frame[25] = sum & 0xff;
  }
  frame.set(spec.payload, 14 + ipHeader);
  return frame;
}
