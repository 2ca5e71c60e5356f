// conformance/wire.ts — frames a test writes by hand (hw/homa/wire's codec), and the faults it
// puts in them on purpose. A `WirePeer` is a host that exists only as the frames a test makes:
// its address is one no simulated host owns, so whatever the NIC under test sends back to it
// leaves on the wire (where a test may capture it) and is dropped by the switch.
//
// Every field is written through the wire layouts (hw/homa/wire/layouts.ts); a fault changes
// exactly one thing: after patching, the IPv4 header checksum and the Homa checksum (§1.7) are
// recomputed unless the checksum itself is the fault, so each bad frame is refused for one
// reason only and the counter that names it can be checked.

import { byteOffset, field, rd16, rdBits, wr16, wr8, wrBits } from '../hw/homa/wire/fields.ts';
import {
  DATA_HLEN, ETH_HLEN, IPPROTO_HOMA, IPV4_HLEN, IPV6_HLEN, commonHeader, dataPacket, decodeFrame, encodeFrame, homaChecksum,
  ipv4Header, ipv4HeaderChecksum, ipv6Header,
} from '../hw/homa/wire/index.ts';
import type { DataFields, DataPacket, Decoded, HomaPacket, IpFields } from '../hw/homa/wire/index.ts';
import { hostAddress } from '../sim/net/frame.ts';

/** HomaModule's unscheduled bytes (unsched_bytes, §3.9): a message up to this needs no grant. */
export const UNSCHED_BYTES = 40_000;
/** The simulated network's MTU (the model's `mtu`, 1500 as on Ethernet). */
export const MTU = 1500;
/** Payload per DATA packet (§1.4): MTU − IP header − 56. */
export const maxPayload = (ipVersion: 4 | 6): number => MTU - (ipVersion === 4 ? IPV4_HLEN : IPV6_HLEN) - DATA_HLEN;

const macNumber = (mac: Uint8Array): number => mac.reduce((acc, b) => acc * 256 + b, 0);

const V4 = {
  ihl: field(ipv4Header, 'ihl'), flags: field(ipv4Header, 'ip_flags'), fragment: field(ipv4Header, 'fragment_offset'),
  totalLength: byteOffset(ipv4Header, 'total_length'), checksum: byteOffset(ipv4Header, 'header_checksum'),
  protocol: byteOffset(ipv4Header, 'protocol'),
};
const V6 = { payloadLength: byteOffset(ipv6Header, 'payload_length') };
const H = {
  type: byteOffset(commonHeader, 'type'), flags: byteOffset(commonHeader, 'flags'), checksum: byteOffset(commonHeader, 'checksum'),
  doff: byteOffset(commonHeader, 'doff'), urgent: byteOffset(commonHeader, 'urgent'),
};

/** Where a frame's parts start, and the IP version its ethertype says. */
function layoutOf(frame: Uint8Array): { v6: boolean; ip: number; homa: number; homaEnd: number } {
  const v6 = rd16(frame, 12) === 0x86dd;
  const ip = ETH_HLEN;
  const homa = ip + (v6 ? IPV6_HLEN : IPV4_HLEN);
  const homaEnd = v6 ? homa + rd16(frame, ip + V6.payloadLength) : ip + rd16(frame, ip + V4.totalLength);
  return { v6, ip, homa, homaEnd };
}

/** A copy of `frame` with its IPv4 header changed by `patch`; the header checksum is recomputed unless `keepChecksum`. */
export function patchIpv4(frame: Uint8Array, patch: (ipHeader: Uint8Array) => void, opt: { keepChecksum?: boolean } = {}): Uint8Array {
  const f = frame.slice();
  const { v6, ip, homa } = layoutOf(f);
  if (v6) throw new Error('patchIpv4: an IPv6 frame');
  patch(f.subarray(ip, homa));
  if (!opt.keepChecksum) wr16(f, ip + V4.checksum, ipv4HeaderChecksum(f, ip, IPV4_HLEN));
  return f;
}

/** A copy of `frame` with its Homa header or payload changed by `patch`; the Homa checksum (§1.7) is recomputed. */
export function patchHoma(frame: Uint8Array, patch: (homa: Uint8Array) => void): Uint8Array {
  const f = frame.slice();
  const { v6, ip, homa, homaEnd } = layoutOf(f);
  patch(f.subarray(homa, homaEnd));
  const saddr = v6 ? f.subarray(ip + 8, ip + 24) : f.subarray(ip + 12, ip + 16);
  const daddr = v6 ? f.subarray(ip + 24, ip + 40) : f.subarray(ip + 16, ip + 20);
  wr16(f, homa + H.checksum, homaChecksum(f, homa, homaEnd - homa, saddr, daddr));
  return f;
}

/** The Homa checksum field of a copy of `frame`, made wrong (the only fault). */
export function badHomaChecksum(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  const { homa } = layoutOf(f);
  wr16(f, homa + H.checksum, rd16(f, homa + H.checksum) ^ 0x5a5a);
  return f;
}

/** A copy of an IPv4 frame whose Homa part ends after `homaBytes` (total length, both checksums fixed). */
export function truncateHoma(frame: Uint8Array, homaBytes: number): Uint8Array {
  const ipOnly = patchIpv4(frame, (h) => wr16(h, V4.totalLength, IPV4_HLEN + homaBytes));
  return patchHoma(ipOnly, () => {});
}

export const ipv4Faults = {
  /** The header checksum is wrong. */
  checksum: (f: Uint8Array): Uint8Array => patchIpv4(f, (h) => wr16(h, V4.checksum, rd16(h, V4.checksum) ^ 0x0101), { keepChecksum: true }),
  /** IHL 6: an options word, which Homa never sends (§1.1). */
  options: (f: Uint8Array): Uint8Array => patchIpv4(f, (h) => wrBits(h, V4.ihl, 6)),
  /** More-fragments set (§1.1: Homa packets are never fragmented). */
  moreFragments: (f: Uint8Array): Uint8Array => patchIpv4(f, (h) => wrBits(h, V4.flags, rdBits(h, V4.flags) | 1)),
  /** A fragment offset. */
  fragmentOffset: (f: Uint8Array): Uint8Array => patchIpv4(f, (h) => wrBits(h, V4.fragment, 185)),
  /** Total length past the end of the frame. */
  totalLengthPastFrame: (f: Uint8Array): Uint8Array => patchIpv4(f, (h) => wr16(h, V4.totalLength, f.length - ETH_HLEN + 64)),
  /** Total length below the header's own 20 bytes. */
  totalLengthBelowHeader: (f: Uint8Array): Uint8Array => patchIpv4(f, (h) => wr16(h, V4.totalLength, 16)),
  /** Another IP protocol (UDP). */
  udp: (f: Uint8Array): Uint8Array => patchIpv4(f, (h) => wr8(h, V4.protocol, 17)),
  /** TCP (§1.6); with `markers` false the Homa markers are cleared, so it is plain TCP. */
  tcp: (f: Uint8Array, markers: boolean): Uint8Array => {
    const t = patchIpv4(f, (h) => wr8(h, V4.protocol, 6));
    return markers ? t : patchHoma(t, (h) => { wr8(h, H.flags, 0x10); wr16(h, H.urgent, 0); });
  },
};

/** A copy of an IPv6 frame whose payload length is past the frame's end. */
export function ipv6PayloadPastFrame(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  wr16(f, ETH_HLEN + V6.payloadLength, f.length - ETH_HLEN - IPV6_HLEN + 64);
  return f;
}

/** A copy of `frame` with the Homa type byte set to `type` (checksum fixed). */
export const withType = (frame: Uint8Array, type: number): Uint8Array => patchHoma(frame, (h) => wr8(h, H.type, type));
/** A copy of a DATA frame with doff `doff` (§1.2: 13 in frames from non-hijacked GSO; receivers ignore it). */
export const withDoff = (frame: Uint8Array, doff: number): Uint8Array => patchHoma(frame, (h) => wr8(h, H.doff, doff));

/** An Ethernet frame that is not IP (an ARP request's ethertype), padded as a MAC pads it. */
export function arpFrame(dstMac: Uint8Array, srcMac: Uint8Array): Uint8Array {
  const f = new Uint8Array(60);
  f.set(dstMac, 0);
  f.set(srcMac, 6);
  wr16(f, 12, 0x0806);
  return f;
}

export interface WirePeerOptions {
  /** The NIC under test: its address (4 or 16 bytes) and host index on the network. */
  readonly dutAddress: Uint8Array;
  readonly dutIndex?: number;
  /** Host index whose address this peer uses (default 200: a host no cluster here has). */
  readonly index?: number;
}

/** A host that exists only as frames a test writes. */
export class WirePeer {
  readonly address: Uint8Array;
  readonly mac: Uint8Array;
  readonly ipVersion: 4 | 6;
  private readonly dutAddress: Uint8Array;
  private readonly dutMac: Uint8Array;

  constructor(o: WirePeerOptions) {
    const me = hostAddress(o.index ?? 200);
    this.ipVersion = o.dutAddress.length === 16 ? 6 : 4;
    this.address = this.ipVersion === 4 ? me.ipv4 : me.ipv6;
    this.mac = me.mac;
    this.dutAddress = o.dutAddress;
    this.dutMac = hostAddress(o.dutIndex ?? 0).mac;
  }

  ip(over: Partial<IpFields> = {}): IpFields {
    return { version: this.ipVersion, priority: 0, flow: 0, ttl: 64, protocol: IPPROTO_HOMA, saddr: this.address, daddr: this.dutAddress, ...over };
  }

  /** A frame to the DUT carrying `pkt` with a correct Homa checksum (§1.7). */
  frame(pkt: HomaPacket, ip: Partial<IpFields> = {}): Uint8Array {
    return encodeFrame(macNumber(this.dutMac), macNumber(this.mac), this.ip(ip), pkt);
  }

  /**
   * The DATA packets of a whole message, as a conforming sender cuts it (§1.4): full packets,
   * the offset in both sequence and seg.offset, incoming = min(unscheduled, length).
   * `senderId` is the sender's id: even for a request from a client, odd for a response.
   */
  message(sport: number, dport: number, senderId: bigint, bytes: Uint8Array, fields: Partial<DataFields> = {}): DataPacket[] {
    const per = maxPayload(this.ipVersion);
    const out: DataPacket[] = [];
    for (let off = 0; off < bytes.length; off += per) {
      out.push(dataPacket(sport, dport, senderId, {
        message_length: bytes.length, incoming: Math.min(UNSCHED_BYTES, bytes.length), offset: off,
        payload: bytes.subarray(off, Math.min(bytes.length, off + per)), ...fields,
      }));
    }
    return out;
  }

  /** Frames of `message(...)`. */
  messageFrames(sport: number, dport: number, senderId: bigint, bytes: Uint8Array, fields: Partial<DataFields> = {}): Uint8Array[] {
    return this.message(sport, dport, senderId, bytes, fields).map((p) => this.frame(p));
  }
}

/** A frame the DUT sent, decoded (checksum verified); null fields for frames that do not decode. */
export function decodeSent(frame: Uint8Array): Decoded | null {
  const d = decodeFrame(frame);
  return d.ok ? d : null;
}
