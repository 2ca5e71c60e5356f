// sim/model/icmp.ts — ICMP destination unreachable, as HomaModule sends and handles it.
//
// Sending (homa_dispatch_pkts, spec §2, §3.5): a packet for a port with no socket, or for a
// server RPC on a socket that is not a server, is answered with ICMP port unreachable and
// dropped. Linux rate-limits ICMP errors per destination (icmp_ratelimit, 1000 ms, with a
// burst of 6: inet_peer_xrlim_allow), so a client that keeps sending to a closed port hears
// of it a few times, then once a second.
//
// Handling (homa_err_handler_v4/v6 → homa_abort_rpcs): every client RPC to the quoted
// packet's destination address (and, for port unreachable, its destination port) ends with
// ENOTCONN (port), EPROTONOSUPPORT (protocol) or EHOSTUNREACH (anything else).

import {
  decodeIcmpUnreachable, encodeIcmpUnreachable, ETH_HLEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPPROTO_ICMP, IPPROTO_ICMPV6,
} from '../../hw/homa/wire/index.ts';
import type { Unreachable } from '../../hw/homa/wire/index.ts';
import type { ModelNic } from './nic.ts';
import { addrKey } from './peer.ts';
import { EHOSTUNREACH, ENOTCONN, EPROTONOSUPPORT } from './types.ts';

/** icmp_ratelimit: one ICMP error per destination per this many ps, after a burst. */
const RATE_PS = 1000e9;
/** XRLIM_BURST_FACTOR. */
const BURST = 6;

const ERRNO_OF: Record<Unreachable, number> = { port: ENOTCONN, protocol: EPROTONOSUPPORT, host: EHOSTUNREACH };

export class Icmp {
  /** Per destination: token credit in ps and when it was last topped up (inet_peer rate_tokens, rate_last). */
  private readonly buckets = new Map<number | string, { tokens: number; last: number }>();
  /** ICMP errors sent, and those the rate limit held back (inspection; not ABI counters). */
  sent = 0;
  limited = 0;
  received = 0;

  constructor(private readonly nic: ModelNic) {}

  /** Answer `datagram` (the refused packet, from its IP header on) with port unreachable. */
  portUnreachable(saddr: Uint8Array, datagram: Uint8Array): void {
    if (!this.allow(saddr)) { this.limited++; return; }
    const nic = this.nic;
    const frame = encodeIcmpUnreachable({
      dstMac: nic.cfg.macOf(saddr), srcMac: nic.cfg.macOf(nic.cfg.address), saddr: nic.cfg.address, offending: datagram, why: 'port',
    });
    this.sent++;
    nic.tx.queueControl(frame);
  }

  /** inet_peer_xrlim_allow: tokens grow with time up to BURST intervals; each message costs one. */
  private allow(addr: Uint8Array): boolean {
    const now = this.nic.now();
    const key = addrKey(addr);
    let b = this.buckets.get(key);
    if (!b) { b = { tokens: BURST * RATE_PS, last: now }; this.buckets.set(key, b); }
    b.tokens = Math.min(BURST * RATE_PS, b.tokens + (now - b.last));
    b.last = now;
    if (b.tokens < RATE_PS) return false;
    b.tokens -= RATE_PS;
    return true;
  }

  /**
   * A frame that may be ICMP destination unreachable about one of our packets: end the client
   * RPCs it names. Returns false if it is not one (the caller counts it as a non-Homa frame).
   */
  handle(frame: Uint8Array, protocol: number): boolean {
    const u = decodeIcmpUnreachable(frame);
    if (!u || u.protocol !== protocol) return false;
    this.received++;
    const nic = this.nic;
    const key = addrKey(u.daddr);
    const port = u.why === 'port' ? u.dport : 0;
    for (const rpc of [...nic.clientRpcs.values()]) {
      if (addrKey(rpc.peer.addr) !== key || (port !== 0 && rpc.peerPort !== port)) continue;
      nic.failClientRpc(rpc, ERRNO_OF[u.why]);
    }
    return true;
  }
}

/** An IPv4 or IPv6 frame whose IP protocol is ICMP (fixed offsets: Homa's IPv4 headers have no options). */
export function isIcmp(f: Uint8Array): boolean {
  if (f.length < ETH_HLEN + 20) return false;
  const et = (f[12]! << 8) | f[13]!;
  return (et === ETHERTYPE_IPV4 && f[ETH_HLEN + 9] === IPPROTO_ICMP) || (et === ETHERTYPE_IPV6 && f[ETH_HLEN + 6] === IPPROTO_ICMPV6);
}
