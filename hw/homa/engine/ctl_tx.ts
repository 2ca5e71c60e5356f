// hw/homa/engine/ctl_tx.ts — control packets out (ENGINE.md `control_tx`): GRANT, RESEND and
// CUTOFFS frames built from the wire layouts of hw/homa/wire and sent as MAC beats.
//
// A request names the packet (type, peer, ports, id, offset, length, grant priority); the
// frame around it follows HomaModule: Ethernet to the peer's MAC, IPv4 (IHL 5, TTL 64, id 0,
// never fragmented) or IPv6 (hop limit 64, flow 0) with protocol 146, the traffic class from
// priority_map at the top level (control packets travel at num_priorities - 1, spec §1.5),
// the common header's fixed fields (spec §7: doff 5, flags 0x06, urgent 0xB97D, sequence 0)
// and the TCP-style checksum over the pseudo-header with protocol 6 (spec §1.7). CUTOFFS
// carry our unsched_cutoffs with entry 0 forced to INT_MAX and entries at or above
// num_priorities zeroed (§3.3), and our cutoff_version.
//
// Three registered stages: the request; the headers with their partial checksum sums; the
// frame in a shift register that leaves `beatBytes` bytes per beat. One frame at a time
// (control frames are at most 116 bytes: two beats at 64 bytes per beat).

import { assign, bool, lit, module, mux, output, packAs, record, stream, u, when, input, type Bool, type UInt } from '../../hdl/index.ts';
import { beat } from '../../lib/beat.ts';
import {
  DOFF_CONTROL, HOMA_FLAGS, HOMA_URGENT, HomaType, IPPROTO_HOMA, commonHeader, cutoffsHeader, ethernetHeader, grantHeader,
  ipv4Header, ipv6Header, resendHeader,
} from '../wire/index.ts';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../wire/codec.ts';
import type { EngineConfig } from './config.ts';
import { addLevel } from './rx_parser_sum.ts';
import { tunablesLayout, type EngineTunable } from './regs.ts';

/** A control packet to send. `daddr` is in IPv6 form (IPv4 as ::ffff:a.b.c.d). */
export const ctlRequest = record({
  type: u(8),
  ipv6: bool,
  daddr: u(128),
  dmac: u(48),
  sport: u(16),
  dport: u(16),
  sender_id: u(64),
  offset: u(32),
  length: u(32),
  priority: u(8),
});

/** Packet kinds ctl_tx sends, and the counters it drives. */
export const CTL_TYPES = ['GRANT', 'RESEND', 'CUTOFFS'] as const;
export const CTL_TX_COUNTERS = [...CTL_TYPES.map((t) => `packets_sent_${t}` as const), 'priority7_packets'] as const;

const FRAME_BYTES = 128;
const INT_MAX = 0x7fffffff;
const PSEUDO_PROTOCOL = 6;

export function ctlTx(c: EngineConfig) {
  const B = c.beatBytes;
  const tunL = tunablesLayout(c);
  return module(`ctl_tx_${c.name}`, {
    req: stream.sink(ctlRequest),
    saddr: input(u(128)),
    tun: input(tunL),
    mac: stream.source(beat(B)),
    idle: output(bool),
    count: output(record(Object.fromEntries(CTL_TX_COUNTERS.map((n) => [n, bool])) as { [K in (typeof CTL_TX_COUNTERS)[number]]: typeof bool })),
  }, (m, io) => {
    const word = (name: EngineTunable, i = 0): UInt<32> => io.tun[name].at(i);
    const smac = word('mac_addr', 1).bits(15, 0).cat(word('mac_addr', 0)) as UInt<number>;

    // ---- stage 1: the request ----
    const r = m.reg('r', record({ valid: bool, p: ctlRequest }));
    // ---- stage 2: the frame with zero checksums, and the checksum sums ----
    const f = m.reg('f', record({ valid: bool, ipv6: bool, bytes: u(8 * FRAME_BYTES), len: u(8), homa_sum: u(32), ip_sum: u(32), type: u(8) }));
    // ---- stage 3: the frame leaving ----
    const out = m.reg('out', record({ valid: bool, bytes: u(8 * FRAME_BYTES), left: u(8) }));

    const p = r.p;
    const isGrant = m.let('is_grant', p.type.eq(HomaType.GRANT));
    const isResend = m.let('is_resend', p.type.eq(HomaType.RESEND));
    const common = (type: number) => packAs(commonHeader, {
      sport: p.sport, dport: p.dport, sequence: lit(32, 0), ack: lit(24, 0), type: lit(8, type), doff: lit(8, DOFF_CONTROL),
      flags: lit(8, HOMA_FLAGS), window: lit(16, 0), checksum: lit(16, 0), urgent: lit(16, HOMA_URGENT), sender_id: p.sender_id,
    });
    const unpackCommon = (type: number) => {
      const bits = common(type);
      const o: Record<string, UInt<number>> = {};
      let at = commonHeader.width;
      for (const [k, l] of Object.entries(commonHeader.fields)) { o[k] = bits.bits(at - 1, at - l.width) as UInt<number>; at -= l.width; }
      return o;
    };
    const grant = packAs(grantHeader, { common: unpackCommon(HomaType.GRANT), offset: p.offset, priority: p.priority });
    const resend = packAs(resendHeader, { common: unpackCommon(HomaType.RESEND), offset: p.offset, length: p.length, priority: p.priority });
    const nprio = word('num_priorities').bits(3, 0);
    const cut: Record<string, UInt<number>> = {};
    for (let i = 0; i < 8; i++) cut[`e${i}`] = i === 0 ? lit(32, INT_MAX) : mux(lit(4, i).lt(nprio), word('unsched_cutoffs', i), lit(32, 0));
    const cutoffs = packAs(cutoffsHeader, { common: unpackCommon(HomaType.CUTOFFS), unsched_cutoffs: cut, cutoff_version: word('cutoff_version').bits(15, 0) });

    // The Homa header, left-aligned in 62 bytes (the longest), and its length.
    const HOMA_MAX = cutoffsHeader.width / 8;
    const left = (x: UInt<number>): UInt<number> => (x.width === 8 * HOMA_MAX ? x : x.cat(lit(8 * HOMA_MAX - x.width, 0)) as UInt<number>);
    const homa = m.let('homa_hdr', mux(isGrant, left(grant), mux(isResend, left(resend), left(cutoffs))));
    const hlen = m.let('homa_len', mux(isGrant, lit(16, grantHeader.width / 8), mux(isResend, lit(16, resendHeader.width / 8), lit(16, HOMA_MAX))));
    const tos = m.let('tos', word('priority_map', 7).bits(2, 0).cat(lit(5, 0)) as UInt<number>);
    const v4 = packAs(ipv4Header, {
      version: lit(4, 4), ihl: lit(4, 5), tos, total_length: hlen.add(20), identification: lit(16, 0), ip_flags: lit(3, 0),
      fragment_offset: lit(13, 0), ttl: lit(8, 64), protocol: lit(8, IPPROTO_HOMA), header_checksum: lit(16, 0),
      saddr: io.saddr.bits(31, 0), daddr: p.daddr.bits(31, 0),
    });
    const v6 = packAs(ipv6Header, {
      version: lit(4, 6), traffic_class: tos, flow_label: lit(20, 0), payload_length: hlen, next_header: lit(8, IPPROTO_HOMA),
      hop_limit: lit(8, 64), saddr: io.saddr, daddr: p.daddr,
    });
    const eth = (type: number) => packAs(ethernetHeader, { dst: p.dmac, src: smac, ethertype: lit(16, type) });
    const frame = (hdr: UInt<number>): UInt<number> => hdr.cat(lit(8 * FRAME_BYTES - hdr.width, 0)) as UInt<number>;
    const frame4 = frame(eth(ETHERTYPE_IPV4).cat(v4).cat(homa) as UInt<number>);
    const frame6 = frame(eth(ETHERTYPE_IPV6).cat(v6).cat(homa) as UInt<number>);

    // Checksum sums (ones' complement, not folded): the Homa header's words (zero checksum
    // field, the odd last byte as a high byte) plus the pseudo-header; the IPv4 header's words.
    const words = (x: UInt<number>): UInt<number>[] => Array.from({ length: x.width / 16 }, (_, i) => x.bits(x.width - 1 - 16 * i, x.width - 16 - 16 * i) as UInt<number>);
    const sumOf = (terms: UInt<number>[]): UInt<number> => {
      let t = terms;
      while (t.length > 1) t = addLevel(t);
      return t[0]!.zext(32) as UInt<number>;
    };
    const addr = (a: UInt<number>, ipv6: Bool): UInt<number>[] => words(a).map((x, i) => (i < 6 ? mux(ipv6, x, lit(16, 0)) : x));
    const pseudo = [...addr(io.saddr, p.ipv6), ...addr(p.daddr, p.ipv6), lit(16, PSEUDO_PROTOCOL), hlen];
    const homaSum = m.let('homa_sum', sumOf([...words(homa.cat(lit(8, 0)) as UInt<number>), ...pseudo]));
    const ipSum = m.let('ip_sum', sumOf(words(v4)));

    io.req.ready.set(r.valid.not());
    const fold = (s: UInt<number>): UInt<16> => {
      const a = s.bits(15, 0).addW(s.bits(31, 16));
      const b = a.bits(15, 0).add(a.bit(16).asUInt().zext(16));
      return b.not() as UInt<16>;
    };
    // Where the checksums go: the IPv4 header checksum at frame byte 24, the Homa one at
    // common-header byte 16 (frame byte 50 on IPv4, 70 on IPv6).
    const place = (bytes: UInt<number>, at: number, v: UInt<16>): UInt<number> => {
      const hi = 8 * FRAME_BYTES - 8 * at;
      return bytes.bits(8 * FRAME_BYTES - 1, hi).cat(v).cat(bytes.bits(hi - 17, 0)) as UInt<number>;
    };
    const withIp = place(f.bytes, 14 + 10, fold(f.ip_sum));
    const frameOut = m.let('frame_out', mux(f.ipv6, place(f.bytes, 14 + 40 + 16, fold(f.homa_sum)), place(withIp, 14 + 20 + 16, fold(f.homa_sum))));

    // Beats: byte j of a beat is data[8j+7:8j]; the frame's first byte leaves first.
    const beatData: UInt<number>[] = [];
    for (let j = 0; j < B; j++) beatData.push(out.bytes.bits(8 * FRAME_BYTES - 1 - 8 * j, 8 * FRAME_BYTES - 8 - 8 * j) as UInt<number>);
    let data = beatData[0]!;
    for (let j = 1; j < B; j++) data = beatData[j]!.cat(data) as UInt<number>;
    io.mac.valid.set(out.valid);
    io.mac.payload.data.set(data);
    const lastBeat = m.let('last_beat', out.left.le(B));
    io.mac.payload.last.set(lastBeat);
    io.mac.payload.keep.set(keepMask(out.left, B));
    const outFree = m.let('out_free', out.valid.not().or(io.mac.ready.and(lastBeat)));

    const cnt = io.count as Record<string, Bool>;
    const sent = m.let('frame_sent', f.valid.and(outFree));
    const ready = m.let('r_ready', f.valid.not().or(outFree));
    cnt['packets_sent_GRANT']!.set(sent.and(f.type.eq(HomaType.GRANT)));
    cnt['packets_sent_RESEND']!.set(sent.and(f.type.eq(HomaType.RESEND)));
    cnt['packets_sent_CUTOFFS']!.set(sent.and(f.type.eq(HomaType.CUTOFFS)));
    cnt['priority7_packets']!.set(sent);
    io.idle.set(r.valid.not().and(f.valid.not()).and(out.valid.not()));

    m.seq(() => {
      when(io.req.fire(), () => { r.valid.set(true); assign(r.p, io.req.payload); });
      when(r.valid.and(ready), () => {
        r.valid.set(false);
        f.valid.set(true);
        f.ipv6.set(p.ipv6);
        f.type.set(p.type);
        f.bytes.set(mux(p.ipv6, frame6, frame4));
        f.len.set(hlen.add(mux(p.ipv6, lit(16, 54), lit(16, 34))).trunc(8));
        f.homa_sum.set(homaSum.as(32));
        f.ip_sum.set(ipSum.as(32));
      });
      when(io.mac.fire(), () => {
        out.bytes.set(out.bytes.shl(8 * B));
        out.left.set(out.left.sub(B));
        when(lastBeat, () => out.valid.set(false));
      });
      when(sent, () => {
        when(r.valid.and(ready).not(), () => f.valid.set(false));
        out.valid.set(true);
        out.bytes.set(frameOut);
        out.left.set(f.len);
      });
    });
  }, { config: c.name });
}

/** keep bits for `left` bytes remaining at B bytes per beat: bit j set when j < left. */
function keepMask(left: UInt<8>, B: number): UInt<number> {
  let keep: UInt<number> = lit(B, 0);
  for (let j = 0; j < B; j++) keep = mux(lit(8, j).lt(left), keep.or(lit(B, 1n << BigInt(j))), keep);
  return keep;
}
