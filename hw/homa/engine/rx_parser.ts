// hw/homa/engine/rx_parser.ts — the engine's receive parser and receive buffer.
//
// Every frame from the MAC is stored whole, beat by beat, in a block-RAM ring (byte j of the
// frame's beat k at lane j of ring beat buf_start + k, as received), and checked as its beats
// pass. At the frame's end it is accepted (an rxHeader names it and the ring keeps its beats)
// or dropped (the write pointer goes back to the frame's first beat; `drop` says why for one
// cycle). The checks and their order are decodeFrame's (hw/homa/wire/codec.ts), so the RTL
// and the software model count every bad frame under the same reason; the first failing one
// decides: overrun, frame_error, short (< 14), non_homa (ethertype), short (IP header),
// bad_ip, non_homa (protocol), short (L4 < 28), non_homa (hijack markers, §1.6),
// unknown_type, short (type's header, §1.3), bad_length (§1.4), bad_checksum (§1.7),
// not_for_us.
//
// Pipeline (a MAC cannot be stopped: nothing here stalls, one beat per cycle, frames back to
// back; cycle 0 is the one a beat arrives in):
//   cycle 0  stage 0: the beat's header bytes are captured into named registers (each byte in
//            the beat that carries it), its checksum words are masked and start down the
//            adder tree (rx_parser_sum.ts), the beat enters a three-deep delay line, and at a
//            frame's last beat its length and FCS flag go to `end1`.
//   cycle 1  stage 1: from the captured bytes (still this frame's: the next frame overwrites
//            them at this cycle's edge at the earliest) every field check -> `end2`, and at
//            64 bytes per beat the rxHeader fields too (narrower beats build them at the
//            verdict: see headerAtVerdict); the IPv4 header sum starts.
//   cycle 2  stage 2: the checks that need two carry chains finish; reasons are ranked ->
//            `end3`.
//   cycle 3  verdict: the checksums fold and compare, the frame's last beat leaves the delay
//            line into the ring, and the frame is accepted (its header into the header queue)
//            or dropped (`drop` is registered, the write pointer rewinds).
// The delay line is what lets a dropped frame's beats be reused: the next frame's first beat
// reaches the ring only after the verdict has moved the write pointer. A header leaves the
// queue the cycle after its verdict: 4 cycles after the frame's last beat at every width;
// `drop` shows a dropped frame's reason for one cycle at the same moment (not in the cycle of
// the last beat: the checksum is not known until the verdict).
// A frame that meets a full ring (its beats would pass `buf_free`) or a full header queue is
// dropped as 'overrun'.

import { assign, bool, cat, connect, EnumValue, False, input, lit, module, mux, output, record, stream, True, u, vec, when, type AnyValue, type Bool, type RecordLayout, type UInt, VecValue } from '../../hdl/index.ts';
import { isPow2, requireParam } from '../../lib/beat.ts';
import { regFifo } from '../../lib/fifo.ts';
import { HOMA_FLAGS, HOMA_MAX_ACKS_PER_PKT, HOMA_MAX_MESSAGE_LENGTH, HOMA_URGENT, HomaType, IPPROTO_HOMA, IPPROTO_TCP, SEG_OFFSET_FROM_SEQUENCE } from '../wire/types.ts';
import { COMMON_HLEN, ETH_HLEN, IPV4_HLEN } from '../wire/codec.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { engineLayouts, MSG_BITS, rxDrop } from './types.ts';
import {
  beatOf, checksumTarget, checksumWindow, DATA_HEADER_BYTES, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_POS, ETH_SRC, firstFoldValues, HEADER_SIZES,
  HOMA, HOMA_CAPTURED, IP_KEPT_BYTES, IP_POS, laneOf, lengthBeat, MIN_CHECKED_IP_END, runs, TYPE_FIRST, TYPE_LAST, V4, V6,
} from './rx_parser_fields.ts';
import { addLevel, rxParserSum, sumEquals } from './rx_parser_sum.ts';

/**
 * Headers waiting for the next block; a frame that finds the queue full is an overrun. At one
 * byte per beat frames are at least 60 cycles apart, and each entry is ~520 flip-flops.
 */
export const rxHeaderQueue = (c: EngineConfig): number => (c.beatBytes === 1 ? 2 : 4);

type DropName = (typeof rxDrop.names)[number];
const reason = (r: DropName): EnumValue<DropName> => EnumValue.of(rxDrop, r);
/** A record value with `fields` in `layout`'s field order (assign pairs leaves by position). */
const inLayoutOrder = (layout: RecordLayout, fields: Readonly<Record<string, AnyValue>>): Record<string, AnyValue> =>
  Object.fromEntries(Object.keys(layout.fields).map((k) => [k, fields[k]!]));
/** The first failing check's reason (a name, or a reason already ranked), 'none' when all pass. */
const firstFailing = (checks: readonly (readonly [Bool, DropName | EnumValue<DropName>])[]): EnumValue<DropName> =>
  checks.reduceRight<EnumValue<DropName>>((rest, [fails, r]) => mux(fails, typeof r === 'string' ? reason(r) : r, rest), reason('none'));

export function rxParser(c: EngineConfig) {
  const B = c.beatBytes;
  requireParam(isPow2(B), `rxParser: beatBytes must be a power of two (got ${B})`);
  requireParam(isPow2(c.rxBufferBeats) && c.rxBufferBeats >= 2, `rxParser: rxBufferBeats must be a power of two >= 2 (got ${c.rxBufferBeats})`);
  const L = engineLayouts(c), w = engineWidths(c);
  const aw = w.rxBufferAddr;
  const { buf_start: _start, buf_end: _end, smac: _smac, ...headerOnly } = L.rxHeader.fields;
  const headerFields = record(headerOnly);
  return module(`rx_parser_${c.name}`, {
    mac: stream.sink(L.macRx),
    ip_addr: input(u(128)),
    hdr: stream.source(L.rxHeader),
    drop: output(rxDrop),
    buf_rd_en: input(bool),
    buf_rd_addr: input(u(aw)),
    buf_rd_data: output(u(8 * B)),
    buf_free: input(u(aw + 1)),
    idle: output(bool),
  }, (m, io) => {
    const mac = io.mac.payload;
    const beatIn = m.let('beat_in', io.mac.valid);
    io.mac.ready.set(true);
    const lane = (j: number): UInt<8> => mac.data.bits(8 * j + 7, 8 * j).as(8);
    const lb = Math.log2(B);

    // ---- Stage 0: where the arriving beat sits in its frame -------------------------------
    // Saturates: a frame that long cannot fit the ring and is an overrun anyway.
    // first_beat repeats beat_num == 0 as one flip-flop: it sits in front of the adders.
    const nb = aw + 1, beatMax = 2 ** nb - 1;
    const beat_num = m.reg('beat_num', u(nb));
    const first_beat = m.reg('first_beat', bool, 1);
    const beatIs = (k: number): Bool => (k === 0 ? first_beat : k > beatMax ? False : beat_num.eq(k));
    const beatFrom = (k: number): Bool => (k === 0 ? True : k === 1 ? first_beat.not() : k > beatMax ? False : beat_num.ge(k));
    const beatsIn = (k0: number, k1: number): Bool => (k0 === k1 ? beatIs(k0) : beatFrom(k0).and(beatFrom(k1 + 1).not()));
    m.seq(() => when(beatIn, () => {
      beat_num.set(mux(mac.last, lit(nb, 0), mux(beat_num.eq(beatMax), beat_num, beat_num.add(1))));
      first_beat.set(mac.last);
    }));

    // Captured bytes: each is written in the beat that carries it and read in later beats and
    // in the checks after the frame. held(pos) keeps frame byte `pos` whatever the version.
    const heldBytes = new Map<number, UInt<number>>();
    const held = (pos: number): UInt<number> => {
      let r = heldBytes.get(pos);
      if (!r) {
        const reg = m.reg(pos >= IP_POS && pos < IP_POS + IP_KEPT_BYTES ? `ip_b${pos - IP_POS}` : `frame_b${pos}`, u(8));
        const k = beatOf(pos, B), j = laneOf(pos, B);
        m.seq(() => when(beatIn.and(beatIs(k)), () => reg.set(lane(j))));
        heldBytes.set(pos, reg);
        r = reg;
      }
      return r;
    };
    /** Frame byte `pos` as seen while beat `k` arrives: its lane in its own beat, its copy after. */
    const byteAt = (pos: number, k: number): UInt<number> => {
      const kp = beatOf(pos, B);
      if (k < kp) throw new Error(`rxParser (internal): frame byte ${pos} read in beat ${k}, before it arrives`);
      return k === kp ? lane(laneOf(pos, B)) : held(pos);
    };

    // The ethertype decides IPv4 or IPv6 (registered in the beat that completes it).
    const kEth = beatOf(ETHERTYPE_POS + 1, B);
    const ethertype = cat(byteAt(ETHERTYPE_POS, kEth), byteAt(ETHERTYPE_POS + 1, kEth));
    const ethNow = { v4: m.let('eth_ipv4_now', ethertype.eq(ETHERTYPE_IPV4)), v6: m.let('eth_ipv6_now', ethertype.eq(ETHERTYPE_IPV6)) };
    const eth = m.regs({ eth_ipv4: bool, eth_ipv6: bool });
    m.seq(() => when(beatIn.and(beatIs(kEth)), () => { eth.eth_ipv4.set(ethNow.v4); eth.eth_ipv6.set(ethNow.v6); }));
    const ethAt = (k: number) => (k === kEth ? ethNow : { v4: eth.eth_ipv4, v6: eth.eth_ipv6 });

    /** A byte (its low `width` bits) at frame position p4 in IPv4 frames and p6 in IPv6 frames (null: not in that version). */
    const capture = (name: string, p4: number | null, p6: number | null, width = 8): UInt<number> => {
      const reg = m.reg(name, u(width));
      m.seq(() => {
        for (const [p, v6] of [[p4, false], [p6, true]] as const) {
          if (p === null) continue;
          const k = beatOf(p, B), at = ethAt(k);
          when(beatIn.and(beatIs(k)).and(v6 ? at.v6 : at.v4), () => reg.set(lane(laneOf(p, B)).bits(width - 1, 0)));
        }
      });
      return reg;
    };
    const ipBytes = Array.from({ length: IP_KEPT_BYTES }, (_, i) => held(IP_POS + i));
    const saddrBytes = Array.from({ length: 16 }, (_, i) => capture(`saddr_b${i}`, i >= 12 ? V4.saddr + i - 12 : null, V6.saddr + i));
    const daddrBytes = Array.from({ length: 16 }, (_, i) => capture(`daddr_b${i}`, i >= 12 ? V4.daddr + i - 12 : null, V6.daddr + i));
    // Of a DATA header's pad, only bit 0 means anything (the incast mark); its byte is also a CUTOFFS entry's.
    const homaBytes = new Map(HOMA_CAPTURED.map((o) => [o, capture(`homa_b${o}`, V4.l4 + o, V6.l4 + o, 8)] as const));

    // The IP end, from the length field (registered in the beat that completes it). Here the
    // version nibble picks the field: it is one LUT in front of the checksum adders, and
    // whenever the checksum or the IP end decides anything, nibble and ethertype agree.
    const kLen = lengthBeat(B);
    const nibble6: Partial<Record<'lane' | 'held', Bool>> = {};
    const ipv6Nibble = (k: number): Bool => {
      const from = k === beatOf(V6.version, B) ? 'lane' : 'held';
      return (nibble6[from] ??= m.let(`ip_nibble6_${from}`, byteAt(V6.version, k).bits(7, 4).eq(6)));
    };
    const totalLength = cat(byteAt(V4.totalLength, kLen), byteAt(V4.totalLength + 1, kLen));
    const payloadLength = cat(byteAt(V6.payloadLength, kLen), byteAt(V6.payloadLength + 1, kLen));
    const lenV6 = ipv6Nibble(kLen);
    const ipEndNow = m.let('ip_end_now', mux(lenV6, payloadLength.zext(17).add(V6.l4), totalLength.zext(17).add(V4.l4 - IPV4_HLEN)));
    /**
     * Frame position `pos` is inside the datagram, from the length fields in the length beat
     * (no adder). Only what the checksum needs: it decides nothing unless the L4 length is at
     * least 28 (shorter fails first), so a length just above that minimum is excluded by
     * equality compares, shallower than a comparator in front of the adders.
     */
    const ipEndsAfter = (pos: number): Bool => {
      const after = (len: UInt<number>, minLen: number, k: number): Bool => {
        if (k < minLen) return True;
        if (k - minLen < 4) return Array.from({ length: k - minLen + 1 }, (_, i) => len.ne(minLen + i)).reduce((a, b) => a.and(b));
        return len.gt(k);
      };
      return mux(lenV6, after(payloadLength, COMMON_HLEN, pos - V6.l4), after(totalLength, IPV4_HLEN + COMMON_HLEN, pos - (V4.l4 - IPV4_HLEN)));
    };
    // For the beats after the length beat: ip_tail_keep, the lanes of the current beat inside
    // the datagram; ip_left, the datagram's bytes from the next beat on (saturating at 0).
    const ip = m.regs({ ip_end: u(17), ip_left: u(17), ip_tail_keep: u(B) });
    const plusConst = (x: UInt<number>, k: number): UInt<number> => x.zext(18).add(((k % 2 ** 18) + 2 ** 18) % 2 ** 18);
    const afterNext = (kLen + 2) * B;
    const leftAfterLen = mux(lenV6, plusConst(payloadLength, V6.l4 - afterNext), plusConst(totalLength, V4.l4 - IPV4_HLEN - afterNext));
    const lanesBelow = (x: UInt<number>): UInt<number> => {
      if (B === 1) return x.orR().asUInt();
      const beyondBeat = x.bits(16, lb).orR(), low = x.bits(lb - 1, 0);
      return cat(...Array.from({ length: B }, (_, i) => (i === 0 ? beyondBeat : beyondBeat.or(low.gt(B - 1 - i)))));
    };
    m.seq(() => {
      when(beatIn.and(beatIs(kLen)), () => {
        ip.ip_end.set(ipEndNow);
        ip.ip_tail_keep.set(cat(...Array.from({ length: B }, (_, i) => ipEndsAfter((kLen + 1) * B + B - 1 - i))));
        ip.ip_left.set(mux(leftAfterLen.bit(17), lit(17, 0), leftAfterLen.bits(16, 0)));
      });
      when(beatIn.and(beatFrom(kLen + 1)), () => {
        ip.ip_tail_keep.set(lanesBelow(ip.ip_left));
        ip.ip_left.set(mux(ip.ip_left.ge(B), ip.ip_left.sub(B), lit(17, 0)));
      });
    });

    // The checksum window (rx_parser_fields.ts checksumWindow): lane j is summed when its
    // position is in [addresses, IP end) or holds the IP length word. Ethernet padding and
    // anything else after the IP end is left out (spec §1.7). Bytes before
    // MIN_CHECKED_IP_END are inside the datagram whenever the checksum decides anything.
    const kAll = Math.ceil(V4.saddr / B);
    const inWindow = (j: number): Bool => {
      let inside: Bool = beatFrom(kAll);
      const kinds = runs(kAll, (k) => `${checksumWindow(k * B + j)}/${k === beatOf(V6.version, B) ? 'lane' : 'held'}`);
      if (kinds.every(([, , key]) => key.startsWith('all/'))) return True;
      for (const [k0, k1] of kinds) {
        const kind = checksumWindow(k0 * B + j);
        if (kind === 'none') continue;
        const when6 = kind === 'all' ? True : kind === 'ipv6' ? ipv6Nibble(k0) : ipv6Nibble(k0).not();
        inside = inside.or(beatsIn(k0, k1).and(when6));
      }
      return inside;
    };
    const inIp = (j: number): Bool => {
      const pos = kLen * B + j;
      const inLengthBeat = pos >= MIN_CHECKED_IP_END ? ipEndsAfter(pos) : True;
      return mux(beatFrom(kLen + 1), ip.ip_tail_keep.bit(j), inLengthBeat);
    };
    const summed = Array.from({ length: B }, (_, j) => mux(m.let(`sum_lane${j}`, inWindow(j).and(inIp(j))), lane(j), lit(8, 0)));
    // Words: even positions are high bytes (the L4 start and both address starts are even).
    const words: UInt<number>[] = B === 1
      ? [mux(beat_num.bit(0).not(), cat(summed[0]!, lit(8, 0)), cat(lit(8, 0), summed[0]!))]
      : Array.from({ length: B / 2 }, (_, i) => cat(summed[2 * i]!, summed[2 * i + 1]!));
    const l4Sum = m.instance('l4_sum', rxParserSum(words.length));
    l4Sum.valid.set(beatIn);
    l4Sum.first.set(first_beat);
    l4Sum.words.set(cat(...[...words].reverse()));

    // Frame length at the last beat: keep is a prefix, so a short beat's byte count is the
    // position of its first clear bit (an OR per count bit, no adder).
    const FL = Math.max(17, nb + lb + 1);
    const beatsSoFar = beat_num.addW(1);
    let frameLenNow: UInt<number>;
    if (B === 1) {
      frameLenNow = mux(mac.keep.bit(0), beatsSoFar.zext(FL), beat_num.zext(FL));
    } else {
      const firstClear = (j: number): Bool => mac.keep.bit(j - 1).and(mac.keep.bit(j).not());
      const countBits = Array.from({ length: lb }, (_, b) => {
        let bit: Bool = False;
        for (let j = 1; j < B; j++) if ((j >> b) & 1) bit = bit.or(firstClear(j));
        return bit;
      });
      const count = cat(...countBits.reverse());
      frameLenNow = mux(mac.keep.bit(B - 1), cat(beatsSoFar, lit(lb, 0)).zext(FL), cat(beat_num, count).zext(FL));
    }
    const end1 = m.reg('end1', record({ valid: bool, fcs_error: bool, frame_len: u(FL), smac: u(48) }));
    const frameEndsNow = beatIn.and(mac.last);
    // The source MAC (frame bytes 6..11): the peer's address for what we send back. At the
    // last beat each byte is in its lane (when this is its beat) or already held.
    const smacByte = (p: number): UInt<number> => {
      return mux(beatIs(beatOf(p, B)), lane(laneOf(p, B)), held(p));
    };
    const smacNow = cat(...Array.from({ length: 6 }, (_, i) => smacByte(ETH_SRC + i)));
    m.seq(() => {
      end1.valid.set(frameEndsNow);
      when(frameEndsNow, () => { end1.fcs_error.set(mac.error); end1.frame_len.set(frameLenNow); end1.smac.set(smacNow.as(48)); });
    });

    // The delay line: beats reach the ring at the verdict's cycle (see the header comment).
    // (A frame's last beat reaches the ring with its verdict: end3.valid marks it.)
    const delayed = (name: string) => m.reg(name, record({ valid: bool, data: u(8 * B) }));
    const beat1 = delayed('beat1'), beat2 = delayed('beat2'), beat3 = delayed('beat3');
    m.seq(() => {
      beat1.valid.set(beatIn);
      when(beatIn, () => beat1.data.set(mac.data));
      for (const [to, from] of [[beat2, beat1], [beat3, beat2]] as const) {
        to.valid.set(from.valid);
        when(from.valid, () => to.data.set(from.data));
      }
    });

    // ---- Stage 1: the checks, from the captured bytes -------------------------------------
    const is4 = eth.eth_ipv4, is6 = eth.eth_ipv6, frameLen = end1.frame_len;
    const homa = (o: number, n = 1): UInt<number> => cat(...Array.from({ length: n }, (_, i) => homaBytes.get(o + i)!));
    const ipField = (pos: number, n: number): UInt<number> => cat(...Array.from({ length: n }, (_, i) => ipBytes[pos - IP_POS + i]!));
    const version = ipBytes[V4.versionIhl - IP_POS]!.bits(7, 4), ihl = ipBytes[V4.versionIhl - IP_POS]!.bits(3, 0);
    const tl = ipField(V4.totalLength, 2), plen = ipField(V6.payloadLength, 2), fragment = ipField(V4.flagsFragment, 2);
    const protocol = mux(is6, ipField(V6.nextHeader, 1), ipField(V4.protocol, 1));
    /** L4 length < n, without computing the L4 length. */
    const l4Below = (n: number): Bool => mux(is6, plen.lt(n), tl.lt(n + IPV4_HLEN));
    const beyondFrame = ip.ip_end.zext(FL).gt(frameLen);
    // The IPv4 header's own checksum: its ten words, summed over stages 1 and 2.
    const ipHeader = [...ipBytes, ...saddrBytes.slice(12), ...daddrBytes.slice(12)];
    const ipWords = Array.from({ length: ipHeader.length / 2 }, (_, i) => cat(ipHeader[2 * i]!, ipHeader[2 * i + 1]!));
    const ipSum1 = addLevel(addLevel(ipWords));
    const type = homa(HOMA.type);
    const isType = (t: number): Bool => type.eq(t);
    const isData = isType(HomaType.DATA), isGrant = isType(HomaType.GRANT), isResend = isType(HomaType.RESEND), isCutoffs = isType(HomaType.CUTOFFS);
    let shortForType: Bool = False;
    for (const size of new Set(HEADER_SIZES.map((h) => h.bytes))) {
      const types = HEADER_SIZES.filter((h) => h.bytes === size).map((h) => isType(h.type)).reduce((a, b) => a.or(b));
      shortForType = shortForType.or(types.and(l4Below(size)));
    }
    const messageLength = homa(HOMA.messageLength, 4);
    const segOffset = homa(HOMA.segOffset, 4);
    const offset = mux(segOffset.eq(SEG_OFFSET_FROM_SEQUENCE), homa(HOMA.sequence, 4), segOffset);     // §1.4
    const payloadOf = (ipv6: Bool): UInt<number> => mux(ipv6, plen.sub(DATA_HEADER_BYTES), tl.sub(DATA_HEADER_BYTES + IPV4_HLEN));
    /** An address in the IPv6 form, IPv4 as ::ffff:a.b.c.d. */
    const v4Mapped = (bytes: readonly UInt<number>[], ipv6: Bool): UInt<number> => mux(ipv6, cat(...bytes), cat(lit(80, 0), lit(16, 0xffff), ...bytes.slice(12)));
    const zeroUnless = (cond: Bool, v: UInt<number>): UInt<number> => mux(cond, v, lit(v.width, 0));
    if (HOMA.grantOffset !== HOMA.resendOffset) throw new Error('rxParser: GRANT and RESEND offsets are expected at one position');
    // The rxHeader fields, from the captured bytes and the frame's IP version. They come from
    // frame bytes 16 and up (the version apart), which the next frame overwrites no earlier
    // than its beat floor(16 / B): at 8 bytes per beat and below that is after this frame's
    // verdict, so the header is built there and not copied down the pipeline (~1,000
    // flip-flops saved); at 64 bytes per beat it is built here and travels in end2/end3.
    const headerAtVerdict = beatOf(V4.totalLength, B) >= 2;
    const headerOf = (ipv6: Bool): Record<string, AnyValue> => ({
      ipv6,
      saddr: v4Mapped(saddrBytes, ipv6),
      type,
      sport: homa(HOMA.sport, 2),
      dport: homa(HOMA.dport, 2),
      sender_id: homa(HOMA.senderId, 8),
      message_length: zeroUnless(isData, messageLength.bits(MSG_BITS - 1, 0)),
      incoming: zeroUnless(isData, homa(HOMA.incoming, 4)),
      offset: zeroUnless(isData, offset.bits(MSG_BITS - 1, 0)),
      payload_bytes: zeroUnless(isData, payloadOf(ipv6)),
      ack_client_id: zeroUnless(isData, homa(HOMA.ackClientId, 8)),
      ack_server_port: zeroUnless(isData, homa(HOMA.ackServerPort, 2)),
      cutoff_version: mux(isCutoffs, homa(HOMA.cutoffsVersion, 2), zeroUnless(isData, homa(HOMA.cutoffVersion, 2))),
      retransmit: isData.and(homa(HOMA.retransmit).ne(0)),
      incast: isData.and(homa(HOMA.padLow).bit(0)),
      ctl_offset: zeroUnless(isGrant.or(isResend), homa(HOMA.grantOffset, 4)),
      ctl_length: zeroUnless(isResend, homa(HOMA.resendLength, 4)),
      ctl_priority: mux(isGrant, homa(HOMA.grantPriority), zeroUnless(isResend, homa(HOMA.resendPriority))),
      cutoffs: new VecValue(vec(u(32), 8), Array.from({ length: 8 }, (_, i) => zeroUnless(isCutoffs, homa(HOMA.cutoffs + 4 * i, 4)) as UInt<32>)),
    });
    const header = headerAtVerdict ? null : headerOf(is6);
    const end2 = m.reg('end2', record({
      valid: bool, pre: rxDrop, bad_ip: bool, ipv6: bool, ip_sum: vec(u(ipSum1[0]!.width), ipSum1.length), ip_csum_ones: bool,
      bad_protocol: bool, short_l4: bool, no_markers: bool, unknown_type: bool, short_type: bool,
      is_data: bool, is_ack: bool, length_or_offset_bad: bool, room: u(MSG_BITS + 1), payload: u(16), too_many_acks: bool,
      csum_ones: bool, not_for_us: bool, smac: u(48), ...(header ? { hdr: headerFields } : {}),
    }));
    m.seq(() => {
      end2.valid.set(end1.valid);
      when(end1.valid, () => {
        end2.smac.set(end1.smac);
        end2.pre.set(firstFailing([
          [end1.fcs_error, 'frame_error'],
          [frameLen.lt(ETH_HLEN), 'short'],
          [is4.not().and(is6.not()), 'non_homa'],
          [mux(is6, frameLen.lt(V6.l4), frameLen.lt(V4.l4)), 'short'],
        ]));
        end2.bad_ip.set(mux(is6,
          version.ne(6).or(beyondFrame),
          version.ne(4).or(ihl.ne(IPV4_HLEN / 4)).or(tl.lt(IPV4_HLEN)).or(beyondFrame)
            .or(fragment.bit(13)).or(fragment.bits(12, 0).ne(0))));                 // MF, fragment offset
        end2.ipv6.set(is6);
        end2.ip_sum.items.forEach((r, i) => r.set(ipSum1[i]!));
        end2.ip_csum_ones.set(ipField(V4.headerChecksum, 2).eq(0xffff));
        end2.bad_protocol.set(protocol.ne(IPPROTO_HOMA).and(protocol.ne(IPPROTO_TCP)));
        end2.short_l4.set(l4Below(COMMON_HLEN));
        end2.no_markers.set(protocol.eq(IPPROTO_TCP).and(homa(HOMA.flags).ne(HOMA_FLAGS).or(homa(HOMA.urgent, 2).ne(HOMA_URGENT))));
        end2.unknown_type.set(type.lt(TYPE_FIRST).or(type.gt(TYPE_LAST)));
        end2.short_type.set(shortForType);
        end2.is_data.set(isData);
        end2.is_ack.set(isType(HomaType.ACK));
        // Lengths fit MSG_BITS once message_length passes (<= 1,000,000 < 2^20): a larger
        // offset is past any message, and the rest compares in MSG_BITS + 1 bits.
        end2.length_or_offset_bad.set(messageLength.eq(0).or(messageLength.bits(31, MSG_BITS).ne(0)).or(messageLength.bits(MSG_BITS - 1, 0).gt(HOMA_MAX_MESSAGE_LENGTH))
          .or(offset.bits(31, MSG_BITS).ne(0)));
        end2.room.set(messageLength.bits(MSG_BITS - 1, 0).subW(offset.bits(MSG_BITS - 1, 0)));
        end2.payload.set(payloadOf(is6).as(16));
        end2.too_many_acks.set(homa(HOMA.numAcks, 2).gt(HOMA_MAX_ACKS_PER_PKT));
        end2.csum_ones.set(homa(HOMA.checksum, 2).eq(0xffff));
        end2.not_for_us.set(v4Mapped(daddrBytes, is6).ne(io.ip_addr));
        if (header) assign(end2.hdr!, inLayoutOrder(headerFields, header));
      });
    });

    // ---- Stage 2: the rest of the checks, ranked --------------------------------------------
    const ipSum2 = addLevel(addLevel(end2.ip_sum.items));
    const dataTooLong = end2.room.bit(MSG_BITS).or(end2.payload.zext(MSG_BITS).gt(end2.room.bits(MSG_BITS - 1, 0).as(MSG_BITS)));  // offset + payload > length
    const end3 = m.reg('end3', record({
      valid: bool, pre: rxDrop, bad_ip: bool, ipv6: bool, ip_sum: u(ipSum2[0]!.width), ip_csum_ones: bool, post: rxDrop,
      csum_ones: bool, not_for_us: bool, smac: u(48), ...(header ? { hdr: headerFields } : {}),
    }));
    m.seq(() => {
      end3.valid.set(end2.valid);
      when(end2.valid, () => {
        end3.smac.set(end2.smac);
        end3.pre.set(end2.pre);
        end3.bad_ip.set(end2.bad_ip);
        end3.ipv6.set(end2.ipv6);
        end3.ip_sum.set(ipSum2[0]!);
        end3.ip_csum_ones.set(end2.ip_csum_ones);
        end3.post.set(firstFailing([
          [end2.bad_protocol, 'non_homa'],
          [end2.short_l4, 'short'],
          [end2.no_markers, 'non_homa'],
          [end2.unknown_type, 'unknown_type'],
          [end2.short_type, 'short'],
          [end2.is_data.and(end2.length_or_offset_bad.or(dataTooLong)).or(end2.is_ack.and(end2.too_many_acks)), 'bad_length'],
        ]));
        end3.csum_ones.set(end2.csum_ones);
        end3.not_for_us.set(end2.not_for_us);
        if (header) assign(end3.hdr!, end2.hdr!);
      });
    });

    // ---- Stage 3: verdict and the ring --------------------------------------------------------
    // A sum verifies when its fold equals a target; the first fold (17 bits) is compared with
    // both values that fold to it. A stored 0xFFFF never verifies: the sender computes
    // ~fold(sum), which is never 0xFFFF, and the codec compares exactly.
    const foldsTo = (x: UInt<number>, target: number): Bool => {
      const low = x.bits(15, 0).zext(17), high = x.bits(x.width - 1, 16).zext(17);
      return firstFoldValues(target).map((v) => sumEquals(low, high, v)).reduce((a, b) => a.or(b));
    };
    const ipHeaderBad = m.let('ip_header_sum_bad', end3.ipv6.not().and(end3.ip_csum_ones.or(foldsTo(end3.ip_sum, 0xffff).not())));
    const checksumBad = m.let('checksum_bad', end3.csum_ones.or(mux(end3.ipv6, foldsTo(l4Sum.sum, checksumTarget(true)), foldsTo(l4Sum.sum, checksumTarget(false))).not()));

    const ring = m.memory('ring', { layout: u(8 * B), depth: c.rxBufferBeats, ports: ['w', 'r'] });
    const [ringWrite, ringRead] = [ring.ports[0]!, ring.ports[1]!];
    const buf = m.regs({ buf_wptr: u(aw + 1), frame_start: u(aw + 1), frame_overrun: bool });
    // Full: the write pointer is a whole ring ahead of the reader's free pointer.
    const ringFull = m.let('ring_full', buf.buf_wptr.xor(io.buf_free).eq(c.rxBufferBeats));
    const beatFits = m.let('beat_fits', buf.frame_overrun.not().and(ringFull.not()));
    const queue = m.instance('hdr_queue', regFifo(L.rxHeader, rxHeaderQueue(c)));
    const frameEnd = end3.valid;
    const decided = m.let('verdict', firstFailing([
      [beatFits.not().or(queue.in.ready.not()), 'overrun'],
      [end3.pre.is('none').not(), end3.pre],
      [end3.bad_ip.or(ipHeaderBad), 'bad_ip'],
      [end3.post.is('none').not(), end3.post],
      [checksumBad, 'bad_checksum'],
      [end3.not_for_us, 'not_for_us'],
    ]));
    const accept = m.let('accept', frameEnd.and(decided.is('none')));
    queue.in.valid.set(accept);
    const verdictHeader = end3.hdr ?? headerOf(end3.ipv6);
    assign(queue.in.payload, inLayoutOrder(L.rxHeader, { ...verdictHeader, smac: end3.smac, buf_start: buf.frame_start, buf_end: buf.buf_wptr.add(1) }));
    connect(io.hdr, queue.out);
    const dropReason = m.reg('drop_reason', rxDrop, 'none');
    io.drop.set(dropReason);
    // Nothing in flight: between frames, no beat or verdict on its way, no header queued.
    io.idle.set(first_beat.and(beat1.valid.not()).and(beat2.valid.not()).and(beat3.valid.not()).and(end1.valid.not())
      .and(end2.valid.not()).and(end3.valid.not()).and(queue.count.eq(0)).and(dropReason.is('none')));
    m.seq(() => {
      when(beat3.valid, () => {
        when(beatFits, () => {
          ringWrite.write(buf.buf_wptr.bits(aw - 1, 0), beat3.data);
          buf.buf_wptr.set(buf.buf_wptr.add(1));
        });
        when(frameEnd, () => {
          buf.frame_overrun.set(false);
          when(decided.is('none'), () => buf.frame_start.set(buf.buf_wptr.add(1)))
            .otherwise(() => buf.buf_wptr.set(buf.frame_start));             // the beats are reused
        }).otherwise(() => when(beatFits.not(), () => buf.frame_overrun.set(true)));
      });
      dropReason.set(mux(frameEnd, decided, reason('none')));
      when(io.buf_rd_en, () => ringRead.read(io.buf_rd_addr));
    });
    io.buf_rd_data.set(ringRead.data);
  }, { beatBytes: B, rxBufferBeats: c.rxBufferBeats, headerQueue: rxHeaderQueue(c) });
}
