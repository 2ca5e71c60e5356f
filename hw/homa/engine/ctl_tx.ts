// hw/homa/engine/ctl_tx.ts — control packets out (ENGINE.md `control_tx`): GRANT, RESEND,
// CUTOFFS, ACK, BUSY, RPC_UNKNOWN and NEED_ACK frames built from the wire layouts of hw/homa/wire and
// sent as MAC beats.
//
// A request names the packet (type, peer, ports, id, offset, length, grant priority); the
// frame around it follows HomaModule: Ethernet to the peer's MAC, IPv4 (IHL 5, TTL 64, id 0,
// never fragmented) or IPv6 (hop limit 64, flow 0) with protocol 146, the traffic class from
// priority_map at the top level (control packets travel at num_priorities - 1, spec §1.5),
// the common header's fixed fields (spec §7: doff 5, flags 0x06, urgent 0xB97D, sequence 0)
// and the TCP-style checksum over the pseudo-header with protocol 6 (spec §1.7). CUTOFFS
// carry our unsched_cutoffs with entry 0 forced to INT_MAX and entries at or above
// num_priorities zeroed (§3.3), and our cutoff_version. An ACK acknowledges the client RPC in
// its sender_id (the answer to NEED_ACK, §3.6) and lists no further acks (num_acks 0). BUSY,
// RPC_UNKNOWN and NEED_ACK are the common header alone (§1.3).
//
// Three registered stages: the request; the headers with their partial checksum sums; the
// frame in a shift register that leaves `beatBytes` bytes per beat. One frame at a time
// (control frames are at most 134 bytes: three beats at 64 bytes per beat).

import { assign, bool, lit, module, mux, output, packAs, record, stream, u, when, input, type Bool, type UInt } from '../../hdl/index.ts';
import { beat } from '../../lib/beat.ts';
import { DOFF_CONTROL, HomaType, ackHeader, commonHeader, cutoffsHeader, grantHeader, ipv4Header, resendHeader } from '../wire/index.ts';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../wire/codec.ts';
import type { EngineConfig } from './config.ts';
import { commonFields, foldSum, ipv4Frame, ipv6Frame, keepMask, placeWord, pseudoWords, sum32, trafficClass, words16 } from './frame_headers.ts';
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
export const CTL_TYPES = ['GRANT', 'RESEND', 'CUTOFFS', 'ACK', 'BUSY', 'RPC_UNKNOWN', 'NEED_ACK'] as const;
export const CTL_TX_COUNTERS = [...CTL_TYPES.map((t) => `packets_sent_${t}` as const), 'priority7_packets'] as const;

const FRAME_BYTES = 136;
const INT_MAX = 0x7fffffff;

export function ctlTx(c: EngineConfig) {
  const B = c.beatBytes;
  const tunL = tunablesLayout(c);
  return module(`ctl_tx_${c.name}`, {
    req: stream.sink(ctlRequest),
    saddr: input(u(128)),
    tun: input(tunL),
    mac: stream.source(beat(B)),
    idle: output(bool),
    /** Bytes of the frame counted in `count` this cycle (priority7_bytes). */
    sent_bytes: output(u(8)),
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
    const isAck = m.let('is_ack', p.type.eq(HomaType.ACK));
    const isBusy = m.let('is_busy', p.type.eq(HomaType.BUSY));
    const isUnknown = m.let('is_unknown', p.type.eq(HomaType.RPC_UNKNOWN));
    const isNeedAck = m.let('is_need_ack', p.type.eq(HomaType.NEED_ACK));
    const unpackCommon = (type: number) => commonFields(type, DOFF_CONTROL, p.sport, p.dport, p.sender_id, lit(32, 0));
    const grant = packAs(grantHeader, { common: unpackCommon(HomaType.GRANT), offset: p.offset, priority: p.priority });
    const resend = packAs(resendHeader, { common: unpackCommon(HomaType.RESEND), offset: p.offset, length: p.length, priority: p.priority });
    const nprio = word('num_priorities').bits(3, 0);
    const cut: Record<string, UInt<number>> = {};
    for (let i = 0; i < 8; i++) cut[`e${i}`] = i === 0 ? lit(32, INT_MAX) : mux(lit(4, i).lt(nprio), word('unsched_cutoffs', i), lit(32, 0));
    const cutoffs = packAs(cutoffsHeader, { common: unpackCommon(HomaType.CUTOFFS), unsched_cutoffs: cut, cutoff_version: word('cutoff_version').bits(15, 0) });

    const noAck = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`e${i}`, { client_id: lit(64, 0), server_port: lit(16, 0) }]));
    const ack = packAs(ackHeader, { common: unpackCommon(HomaType.ACK), num_acks: lit(16, 0), acks: noAck });
    const busy = packAs(commonHeader, unpackCommon(HomaType.BUSY));
    const unknown = packAs(commonHeader, unpackCommon(HomaType.RPC_UNKNOWN));
    const needAck = packAs(commonHeader, unpackCommon(HomaType.NEED_ACK));

    // The Homa header, left-aligned in 80 bytes (the longest, ACK's), and its length.
    const HOMA_MAX = Math.max(cutoffsHeader.width, ackHeader.width) / 8;
    const left = (x: UInt<number>): UInt<number> => (x.width === 8 * HOMA_MAX ? x : x.cat(lit(8 * HOMA_MAX - x.width, 0)) as UInt<number>);
    const homa = m.let('homa_hdr', mux(isGrant, left(grant), mux(isResend, left(resend), mux(isAck, left(ack),
      mux(isBusy, left(busy), mux(isUnknown, left(unknown), mux(isNeedAck, left(needAck), left(cutoffs))))))));
    const hlen = m.let('homa_len', mux(isGrant, lit(16, grantHeader.width / 8), mux(isResend, lit(16, resendHeader.width / 8),
      mux(isAck, lit(16, ackHeader.width / 8), mux(isBusy.or(isUnknown).or(isNeedAck), lit(16, commonHeader.width / 8), lit(16, cutoffsHeader.width / 8))))));
    const tos = m.let('tos', trafficClass(word('priority_map', 7)));
    const frame = (hdr: UInt<number>): UInt<number> => hdr.cat(lit(8 * FRAME_BYTES - hdr.width, 0)) as UInt<number>;
    const frame4 = frame(ipv4Frame(p.dmac, smac, tos, io.saddr, p.daddr, hlen, ETHERTYPE_IPV4).cat(homa) as UInt<number>);
    const frame6 = frame(ipv6Frame(p.dmac, smac, tos, io.saddr, p.daddr, hlen, ETHERTYPE_IPV6).cat(homa) as UInt<number>);

    // Checksum sums (ones' complement, not folded): the Homa header's words (zero checksum
    // field, the odd last byte as a high byte) plus the pseudo-header; the IPv4 header's words.
    const homaSum = m.let('homa_sum', sum32([...words16(homa.cat(lit(8, 0)) as UInt<number>), ...pseudoWords(io.saddr, p.daddr, p.ipv6, hlen)]));
    const v4Header = ipv4Frame(p.dmac, smac, tos, io.saddr, p.daddr, hlen, ETHERTYPE_IPV4).bits(ipv4Header.width - 1, 0) as UInt<number>;
    const ipSum = m.let('ip_sum', sum32(words16(v4Header)));

    io.req.ready.set(r.valid.not());
    // Where the checksums go: the IPv4 header checksum at frame byte 24, the Homa one at
    // common-header byte 16 (frame byte 50 on IPv4, 70 on IPv6).
    const place = (bytes: UInt<number>, at: number, v: UInt<16>): UInt<number> => placeWord(bytes, FRAME_BYTES, at, v);
    const withIp = place(f.bytes, 14 + 10, foldSum(f.ip_sum));
    const frameOut = m.let('frame_out', mux(f.ipv6, place(f.bytes, 14 + 40 + 16, foldSum(f.homa_sum)), place(withIp, 14 + 20 + 16, foldSum(f.homa_sum))));

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
    cnt['packets_sent_ACK']!.set(sent.and(f.type.eq(HomaType.ACK)));
    cnt['packets_sent_BUSY']!.set(sent.and(f.type.eq(HomaType.BUSY)));
    cnt['packets_sent_RPC_UNKNOWN']!.set(sent.and(f.type.eq(HomaType.RPC_UNKNOWN)));
    cnt['packets_sent_NEED_ACK']!.set(sent.and(f.type.eq(HomaType.NEED_ACK)));
    cnt['priority7_packets']!.set(sent);
    io.sent_bytes.set(mux(sent, f.len, lit(8, 0)));
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
