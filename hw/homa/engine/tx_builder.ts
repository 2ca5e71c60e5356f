// hw/homa/engine/tx_builder.ts — DATA packets out (ENGINE.md `tx_builder`): a packet request
// from the transmit scheduler becomes a frame on the MAC, its payload read from host memory
// as it leaves (no message buffer on chip; one frame's worth per slot).
//
// A request names the packet: the peer (addresses, ports, the sender's id), the message's
// length, this packet's offset and payload length, incoming, cutoff_version, retransmit, a
// piggy-backed ACK, the priority level, and the host address of the payload's first byte.
// The frame follows HomaModule (frame_headers.ts): Ethernet, IPv4 (traffic class from
// priority_map[level]) or IPv6, the DATA header of hw/homa/wire (doff 14, the offset in both
// sequence and seg.offset, spec §1.4, §7), the payload, and the TCP-style checksum over the
// Homa header, payload and pseudo-header (§1.7), which is why a frame leaves only once its
// payload is all in.
//
// Two stages, each with its own state machine:
// - fill: the payload is read by DMA (one read per packet, tag 0) and written into a slot of
//   the packet buffer (block RAM) where the frame will carry it: behind the headers, so each
//   beat is shifted by (header bytes mod beat bytes) lanes with the previous beat's top lanes
//   carried into the next word; its 16-bit words are summed as they pass (lanes past the
//   payload masked).
// - emit: the oldest full slot leaves, a beat per cycle: the headers, built from the request
//   and the payload's sum, come out of a shift register over the first words, the rest from
//   the buffer.
// Two slots (one on 1-byte beats, where a slot is 2 KiB of the few block RAMs an iCE40 has),
// so one packet's payload is read while the one before it leaves.

import { assign, bool, clog2, input, lit, module, mux, output, packAs, record, stream, u, vec, when, type UInt } from '../../hdl/index.ts';
import { beat } from '../../lib/beat.ts';
import { DOFF_DATA, HomaType, dataHeader, ipv4Header } from '../wire/index.ts';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../wire/codec.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { commonFields, foldSum, ipv4Frame, ipv6Frame, keepMask, placeWord, pseudoWords, sum32, trafficClass, words16 } from './frame_headers.ts';
import { tunablesLayout, type EngineTunable } from './regs.ts';
import { DMA_LEN_BITS, MSG_BITS, engineLayouts } from './types.ts';

/** Bytes of an Ethernet frame without FCS at the largest IP packet (1,500 bytes). */
export const MAX_FRAME_BYTES = 14 + 1500;
const HOMA_DATA_BYTES = dataHeader.width / 8;
/** Header bytes in front of the payload: Ethernet, IP, Homa DATA. */
export const DATA_HEADER_BYTES = { ipv4: 14 + 20 + HOMA_DATA_BYTES, ipv6: 14 + 40 + HOMA_DATA_BYTES } as const;

/** One DATA packet to send. `daddr` in IPv6 form (IPv4 as ::ffff:a.b.c.d). */
export function txPacketLayout(c: EngineConfig) {
  const w = engineWidths(c);
  return record({
    qp: u(w.qp),
    ipv6: bool,
    daddr: u(128),
    dmac: u(48),
    sport: u(16),
    dport: u(16),
    sender_id: u(64),
    message_length: u(MSG_BITS),
    offset: u(MSG_BITS),
    /** Payload bytes, 1 .. the MTU's (1,424 on IPv4, 1,404 on IPv6). */
    length: u(11),
    incoming: u(32),
    cutoff_version: u(16),
    retransmit: bool,
    ack_client_id: u(64),
    ack_server_port: u(16),
    /** Priority level 0..7 (the traffic class is priority_map[level]). */
    priority: u(3),
    /** Host address of the payload's first byte. */
    addr: u(64),
  });
}

export function txBuilder(c: EngineConfig) {
  const L = engineLayouts(c);
  const B = c.beatBytes;
  const pkt = txPacketLayout(c);
  const tunL = tunablesLayout(c);
  const SLOTS = B === 1 ? 1 : 2;
  const slotWords = 1 << clog2(Math.ceil(MAX_FRAME_BYTES / B));
  const wordBits = clog2(slotWords);
  const H4 = DATA_HEADER_BYTES.ipv4, H6 = DATA_HEADER_BYTES.ipv6;
  const S4 = H4 % B, S6 = H6 % B;
  const HB = Math.ceil(H6 / B) * B;        // the header shift register, whole beats
  const slotBits = Math.max(1, clog2(SLOTS));

  return module(`tx_builder_${c.name}`, {
    req: stream.sink(pkt),
    saddr: input(u(128)),
    tun: input(tunL),
    rd_req: stream.source(L.dmaRdReq),
    rd_data: stream.sink(L.dmaRdData),
    mac: stream.source(beat(B)),
    /** A DATA frame left (counter packets_sent_DATA). */
    sent: output(bool),
    idle: output(bool),
  }, (m, io) => {
    const word = (name: EngineTunable, i = 0): UInt<32> => io.tun[name].at(i);
    const smac = word('mac_addr', 1).bits(15, 0).cat(word('mac_addr', 0)) as UInt<number>;
    const buffer = m.memory('frames', { layout: u(8 * B), depth: SLOTS * slotWords, ports: ['w', 'r'] });
    const addrOf = (slot: UInt<number>, w: UInt<number>): UInt<number> => (SLOTS === 1 ? w : slot.cat(w)) as UInt<number>;

    // ---- the slots: the request, the payload's sum, full ----
    const meta = m.reg('meta', vec(pkt, SLOTS));
    const sums = m.reg('sums', vec(u(32), SLOTS));
    const full = m.reg('full', u(SLOTS));

    // ---- fill ----
    const fill = m.fsm('fill', ['wait', 'read', 'tail']);
    const f = m.regs({ fill_slot: u(slotBits), k: u(wordBits), fill_left: u(12), carry: u(8 * B), sum: u(32), fill_ipv6: bool, odd: bool });
    const rdReq = m.reg('rd_req_reg', L.dmaRdReq);
    const rdFull = m.reg('rd_full', bool);
    io.rd_req.valid.set(rdFull);
    assign(io.rd_req.payload, rdReq);
    const slotFree = m.let('slot_free', full.shr(f.fill_slot).bit(0).not());
    const takes = m.let('takes', fill.is('wait').and(io.req.valid).and(slotFree).and(rdFull.not()));
    io.req.ready.set(takes);
    io.rd_data.ready.set(fill.is('read'));

    // A beat of payload: lanes past the payload masked, shifted behind the headers.
    const data = io.rd_data.payload.data;
    let laneMask: UInt<number> = lit(8 * B, 0);
    for (let j = 0; j < B; j++) laneMask = mux(lit(12, j).lt(f.fill_left), laneMask.or(lit(8 * B, 0xffn << BigInt(8 * j))), laneMask);
    const masked = m.let('masked', data.and(laneMask));
    const shifted = (s: number): { word: UInt<number>; carry: UInt<number> } => (s === 0
      ? { word: masked, carry: lit(8 * B, 0) }
      : {
        word: masked.bits(8 * (B - s) - 1, 0).cat(f.carry.bits(8 * s - 1, 0)) as UInt<number>,
        carry: lit(8 * (B - s), 0).cat(masked.bits(8 * B - 1, 8 * (B - s))) as UInt<number>,
      });
    const sh4 = shifted(S4), sh6 = shifted(S6);
    const outWord = m.let('fill_word', mux(f.fill_ipv6, sh6.word, sh4.word));
    const nextCarry = mux(f.fill_ipv6, sh6.carry, sh4.carry);
    // Its 16-bit words, high byte at the even payload position (payload offsets are even in
    // the Homa segment, spec §1.4); on 1-byte beats, alternately high and low.
    const beatSum = B === 1
      ? mux(f.odd, masked.zext(16), masked.cat(lit(8, 0))).zext(32) as UInt<number>
      : sum32(Array.from({ length: B / 2 }, (_, i) => masked.bits(16 * i + 7, 16 * i).cat(masked.bits(16 * i + 15, 16 * i + 8)) as UInt<number>));

    // ---- emit ----
    const emit = m.fsm('emit', ['start', 'run']);
    const e = m.regs({ emit_slot: u(slotBits), j: u(wordBits), emit_left: u(12), hdr_left: u(8) });
    const hdr = m.reg('hdr', u(8 * HB));
    const mp = SLOTS === 1 ? meta.at(0) : meta.get(e.emit_slot);
    const paySum = SLOTS === 1 ? sums.at(0) : sums.get(e.emit_slot);
    const homaBytes = m.let('homa_bytes', mp.length.zext(16).add(HOMA_DATA_BYTES));
    const offset32 = mp.offset.zext(32);
    const homa = packAs(dataHeader, {
      common: commonFields(HomaType.DATA, DOFF_DATA, mp.sport, mp.dport, mp.sender_id, offset32 as UInt<32>),
      message_length: mp.message_length.zext(32), incoming: mp.incoming, ack: { client_id: mp.ack_client_id, server_port: mp.ack_server_port },
      cutoff_version: mp.cutoff_version, retransmit: mp.retransmit.asUInt().zext(8), pad: lit(24, 0), seg: { offset: offset32 },
    });
    const tos = m.let('tos', trafficClass(io.tun.priority_map.get(mp.priority)));
    const v4 = ipv4Frame(mp.dmac, smac, tos, io.saddr, mp.daddr, homaBytes, ETHERTYPE_IPV4);
    const v6 = ipv6Frame(mp.dmac, smac, tos, io.saddr, mp.daddr, homaBytes, ETHERTYPE_IPV6);
    const pad = (x: UInt<number>): UInt<number> => x.cat(lit(8 * HB - x.width, 0)) as UInt<number>;
    const homaSum = m.let('homa_sum', sum32([...words16(homa), ...pseudoWords(io.saddr, mp.daddr, mp.ipv6, homaBytes), paySum.bits(15, 0), paySum.bits(31, 16)]));
    const ipSum = m.let('ip_sum', sum32(words16(v4.bits(ipv4Header.width - 1, 0) as UInt<number>)));
    const hdr4 = placeWord(placeWord(pad(v4.cat(homa) as UInt<number>), HB, 14 + 10, foldSum(ipSum)), HB, 14 + 20 + 16, foldSum(homaSum));
    const hdr6 = placeWord(pad(v6.cat(homa) as UInt<number>), HB, 14 + 40 + 16, foldSum(homaSum));
    const hdrValue = m.let('hdr_value', mux(mp.ipv6, hdr6, hdr4));
    const frameLen = m.let('frame_len', mp.length.zext(12).add(mux(mp.ipv6, lit(12, H6), lit(12, H4))));

    // A beat: lanes still inside the headers from the shift register, the rest from the buffer.
    const ram = buffer.ports[1]!.data;
    let beatData: UInt<number> = lit(8 * B, 0);
    for (let l = B - 1; l >= 0; l--) {
      const h = hdr.bits(8 * HB - 1 - 8 * l, 8 * HB - 8 - 8 * l);
      const lane = mux(lit(8, l).lt(e.hdr_left), h, ram.bits(8 * l + 7, 8 * l));
      beatData = l === B - 1 ? lane as UInt<number> : beatData.cat(lane) as UInt<number>;
    }
    const running = emit.is('run');
    io.mac.valid.set(running);
    io.mac.payload.data.set(beatData);
    const lastBeat = m.let('last_beat', e.emit_left.le(B));
    io.mac.payload.last.set(lastBeat);
    io.mac.payload.keep.set(keepMask(e.emit_left, B));
    io.sent.set(io.mac.fire().and(lastBeat));
    const starts = m.let('starts', emit.is('start').and(full.shr(e.emit_slot).bit(0)));
    io.idle.set(fill.is('wait').and(rdFull.not()).and(full.eq(0)).and(emit.is('start')));

    m.seq(() => {
      let fullNext: UInt<number> = full;
      // Fill.
      when(io.rd_req.fire(), () => rdFull.set(false));
      fill.on({
        wait: () => when(takes, () => {
          for (let s = 0; s < SLOTS; s++) when(f.fill_slot.eq(s), () => assign(meta.at(s), io.req.payload));
          rdFull.set(true);
          rdReq.addr.set(io.req.payload.addr);
          rdReq.len.set(io.req.payload.length.zext(DMA_LEN_BITS));
          rdReq.tag.set(0);
          rdReq.qp.set(io.req.payload.qp);
          f.k.set(mux(io.req.payload.ipv6, lit(wordBits, Math.floor(H6 / B)), lit(wordBits, Math.floor(H4 / B))));
          f.fill_left.set(io.req.payload.length.zext(12));
          f.carry.set(0);
          f.sum.set(0);
          f.fill_ipv6.set(io.req.payload.ipv6);
          f.odd.set(false);
          fill.goto('read');
        }),
        read: () => when(io.rd_data.fire(), () => {
          buffer.ports[0]!.write(addrOf(f.fill_slot, f.k), outWord);
          f.carry.set(nextCarry);
          f.sum.set(f.sum.add(beatSum.as(32)));
          f.k.set(f.k.add(1));
          f.fill_left.set(mux(f.fill_left.gt(B), f.fill_left.sub(B), lit(12, 0)));
          if (B === 1) f.odd.set(f.odd.not());
          when(io.rd_data.payload.last, () => fill.goto(S4 === 0 && S6 === 0 ? 'wait' : 'tail'));
        }),
        tail: () => {
          buffer.ports[0]!.write(addrOf(f.fill_slot, f.k), mux(f.fill_ipv6, sh6.word, sh4.word));
          fill.goto('wait');
        },
      });
      // The slot is full once its last word is written.
      const done = S4 === 0 && S6 === 0 ? fill.is('read').and(io.rd_data.fire()).and(io.rd_data.payload.last) : fill.is('tail');
      const doneSum = S4 === 0 && S6 === 0 ? f.sum.add(beatSum.as(32)) : f.sum;
      when(done, () => {
        for (let s = 0; s < SLOTS; s++) when(f.fill_slot.eq(s), () => sums.at(s).set(doneSum));
        if (SLOTS > 1) f.fill_slot.set(f.fill_slot.add(1));
      });
      fullNext = mux(done, fullNext.or(lit(SLOTS, 1).shl(f.fill_slot)), fullNext);

      // Emit.
      emit.on({
        start: () => when(starts, () => {
          hdr.set(hdrValue);
          e.hdr_left.set(mux(mp.ipv6, lit(8, H6), lit(8, H4)));
          e.emit_left.set(frameLen);
          e.j.set(1);
          buffer.ports[1]!.read(addrOf(e.emit_slot, lit(wordBits, 0)));
          emit.goto('run');
        }),
        run: () => when(io.mac.fire(), () => {
          hdr.set(hdr.shl(8 * B));
          e.hdr_left.set(mux(e.hdr_left.gt(B), e.hdr_left.sub(B), lit(8, 0)));
          e.emit_left.set(e.emit_left.sub(B));
          e.j.set(e.j.add(1));
          buffer.ports[1]!.read(addrOf(e.emit_slot, e.j));
          when(lastBeat, () => {
            if (SLOTS > 1) e.emit_slot.set(e.emit_slot.add(1));
            emit.goto('start');
          });
        }),
      });
      fullNext = mux(io.mac.fire().and(lastBeat), fullNext.and(lit(SLOTS, 1).shl(e.emit_slot).not()), fullNext);
      full.set(fullNext.as(SLOTS));
    });
  }, { config: c.name });
}
