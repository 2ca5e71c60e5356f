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
// Slots of the packet buffer (block RAM, one frame each) are taken in order:
// - fill: a request takes the next free slot and asks for its payload (one DMA read, tag = the
//   slot), so the reads of several packets are in flight at once and their beats may
//   interleave. Each beat goes where the frame will carry it: behind the headers, shifted by
//   (header bytes mod beat bytes) lanes with the slot's previous beat's top lanes carried into
//   the next word (a last word that spills over is written in a cycle with no beat coming
//   in); its 16-bit words are summed on the way (lanes past the payload masked).
// - emit: full slots leave in order, a beat per cycle: the headers, built from the request
//   and the payload's sum, come out of a shift register over the first words, the rest from
//   the buffer. The next slot's headers are loaded as a frame's last beat leaves, so frames
//   follow each other with no gap.
// Four slots (one on 1-byte beats, where a slot is 2 KiB of the few block RAMs an iCE40 has).

import { assign, bool, clog2, input, lit, module, mux, output, packAs, record, stream, u, vec, when, type AnyValue, type Bool, type UInt } from '../../hdl/index.ts';
import { lowestSet } from './bpool.ts';
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
  const SLOTS: number = B === 1 ? 1 : 4;
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

    // ---- the slots: the request, the payload's sum; filling (read issued), full ----
    // What a slot's headers need of its request (the payload's address and the queue pair
    // serve only the read, issued as the request is taken).
    const { addr: _addr, qp: _qp, ...metaFields } = pkt.fields;
    const metaL = record(metaFields);
    const meta = m.reg('meta', vec(metaL, SLOTS));
    const sums = m.reg('sums', vec(u(32), SLOTS));
    const st = m.regs({ filling: u(SLOTS), full: u(SLOTS), tail_due: u(SLOTS), next_fill: u(slotBits) });
    const bit = (v: UInt<number>, i: UInt<number>): Bool => v.shr(i).bit(0);
    const onehot = (i: UInt<number>): UInt<number> => lit(SLOTS, 1).shl(i);

    // ---- fill: one read per slot (tag = slot), each slot's own progress ----
    const fs = m.regs({
      k: vec(u(wordBits), SLOTS), fill_left: vec(u(12), SLOTS), sum: vec(u(32), SLOTS),
      fill_ipv6: u(SLOTS), odd: u(SLOTS),
    });
    // A slot's previous beat's top lanes, carried into its next word: only when the headers
    // end inside a beat (not at 1 byte per beat).
    const carryReg = S4 !== 0 || S6 !== 0 ? m.reg('carry', vec(u(8 * B), SLOTS)) : null;
    const rdReq = m.reg('rd_req_reg', L.dmaRdReq);
    const rdFull = m.reg('rd_full', bool);
    io.rd_req.valid.set(rdFull);
    assign(io.rd_req.payload, rdReq);
    const nf = st.next_fill;
    const takes = m.let('takes', io.req.valid.and(bit(st.filling.or(st.full), nf).not()).and(rdFull.not().or(io.rd_req.ready)));
    io.req.ready.set(takes);
    io.rd_data.ready.set(true);

    // A beat of payload for slot t: lanes past the payload masked, shifted behind the headers.
    const t = SLOTS === 1 ? lit(1, 0) : io.rd_data.payload.tag.bits(slotBits - 1, 0);
    const sel = <X extends UInt<number>>(v: { get(i: UInt<number>): X; at(i: number): X }, i: UInt<number>): X => (SLOTS === 1 ? v.at(0) : v.get(i));
    const left = sel(fs.fill_left, t), carry = carryReg ? sel(carryReg, t) : lit(8 * B, 0), ipv6 = bit(fs.fill_ipv6, t);
    const data = io.rd_data.payload.data;
    let laneMask: UInt<number> = lit(8 * B, 0);
    for (let j = 0; j < B; j++) laneMask = mux(lit(12, j).lt(left), laneMask.or(lit(8 * B, 0xffn << BigInt(8 * j))), laneMask);
    const masked = m.let('masked', data.and(laneMask));
    const shifted = (x: UInt<number>, cy: UInt<number>, sh: number): { word: UInt<number>; carry: UInt<number> } => (sh === 0
      ? { word: x, carry: lit(8 * B, 0) }
      : {
        word: x.bits(8 * (B - sh) - 1, 0).cat(cy.bits(8 * sh - 1, 0)) as UInt<number>,
        carry: lit(8 * (B - sh), 0).cat(x.bits(8 * B - 1, 8 * (B - sh))) as UInt<number>,
      });
    const sh4 = shifted(masked, carry, S4), sh6 = shifted(masked, carry, S6);
    const outWord = m.let('fill_word', mux(ipv6, sh6.word, sh4.word));
    const nextCarry = mux(ipv6, sh6.carry, sh4.carry);
    // Its 16-bit words, high byte at the even payload position (payload offsets are even in
    // the Homa segment, spec §1.4); on 1-byte beats, alternately high and low.
    const beatSum = (B === 1
      ? mux(bit(fs.odd, t), masked.zext(16), masked.cat(lit(8, 0))).zext(32)
      : sum32(Array.from({ length: B / 2 }, (_, i) => masked.bits(16 * i + 7, 16 * i).cat(masked.bits(16 * i + 15, 16 * i + 8)) as UInt<number>))).as(32);
    const beatIn = m.let('beat_in', io.rd_data.fire());
    const lastIn = m.let('last_in', beatIn.and(io.rd_data.payload.last));
    // The last beat's bytes spill into one more word when the shift pushes them past the beat.
    const spills = m.let('spills', mux(ipv6, left.add(S6).gt(B), left.add(S4).gt(B)));
    // A slot's spilled word is written in a cycle with no beat coming in (lowest slot first).
    const tailDue = st.tail_due;
    const ts = SLOTS === 1 ? lit(1, 0) : lowestSet(tailDue.zext(Math.max(2, SLOTS)) as UInt<number>).trunc(slotBits);
    const tailNow = m.let('tail_now', tailDue.ne(0).and(beatIn.not()));
    const tIpv6 = bit(fs.fill_ipv6, ts), tCarry = carryReg ? sel(carryReg, ts) : lit(8 * B, 0);
    const tailWord = mux(tIpv6, shifted(lit(8 * B, 0), tCarry, S6).word, shifted(lit(8 * B, 0), tCarry, S4).word);

    // ---- emit: slots in order; the next frame's headers load as the last beat leaves ----
    const emit = m.fsm('emit', ['start', 'run']);
    const e = m.regs({ emit_slot: u(slotBits), j: u(wordBits), emit_left: u(12), hdr_left: u(8) });
    const hdr = m.reg('hdr', u(8 * HB));
    const running = emit.is('run');
    const lastBeat = m.let('last_beat', e.emit_left.le(B));
    // The slot whose headers are built: this one at the start, the next one while running.
    const hs = SLOTS === 1 ? lit(1, 0) : mux(running, e.emit_slot.add(1), e.emit_slot);
    const mp = SLOTS === 1 ? meta.at(0) : meta.get(hs);
    const paySum = sel(sums, hs);
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
    io.mac.valid.set(running);
    io.mac.payload.data.set(beatData);
    io.mac.payload.last.set(lastBeat);
    io.mac.payload.keep.set(keepMask(e.emit_left, B));
    const frameOut = m.let('frame_out', io.mac.fire().and(lastBeat));
    io.sent.set(frameOut);
    const starts = m.let('starts', emit.is('start').and(bit(st.full, e.emit_slot)));
    const chains = m.let('chains', SLOTS === 1 ? lit(1, 0).asBool() : frameOut.and(bit(st.full, hs)));
    io.idle.set(st.filling.eq(0).and(st.full.eq(0)).and(rdFull.not()).and(emit.is('start')));

    m.seq(() => {
      let filling: UInt<number> = st.filling, full: UInt<number> = st.full, tails: UInt<number> = st.tail_due;
      // A request takes the next slot and asks for its payload.
      when(io.rd_req.fire(), () => rdFull.set(false));
      when(takes, () => {
        for (let s = 0; s < SLOTS; s++) {
          when(nf.eq(s), () => {
            for (const k of Object.keys(metaFields)) assign((meta.at(s) as unknown as Record<string, AnyValue>)[k]!, (io.req.payload as unknown as Record<string, AnyValue>)[k]!);
            fs.k.at(s).set(mux(io.req.payload.ipv6, lit(wordBits, Math.floor(H6 / B)), lit(wordBits, Math.floor(H4 / B))));
            fs.fill_left.at(s).set(io.req.payload.length.zext(12));
            carryReg?.at(s).set(0);
            fs.sum.at(s).set(0);
          });
        }
        fs.fill_ipv6.set(mux(io.req.payload.ipv6, fs.fill_ipv6.or(onehot(nf)), fs.fill_ipv6.and(onehot(nf).not())).as(SLOTS));
        fs.odd.set(fs.odd.and(onehot(nf).not()).as(SLOTS));
        rdFull.set(true);
        rdReq.addr.set(io.req.payload.addr);
        rdReq.len.set(io.req.payload.length.zext(DMA_LEN_BITS));
        rdReq.tag.set(nf.zext(4));
        rdReq.qp.set(io.req.payload.qp);
        if (SLOTS > 1) st.next_fill.set(nf.add(1));
      });
      filling = mux(takes, filling.or(onehot(nf)), filling);

      // Payload beats into their slot; a slot is full at its last word.
      when(beatIn, () => {
        buffer.ports[0]!.write(addrOf(t, sel(fs.k, t)), outWord);
        for (let s = 0; s < SLOTS; s++) {
          when(t.eq(s), () => {
            carryReg?.at(s).set(nextCarry);
            fs.sum.at(s).set(fs.sum.at(s).add(beatSum));
            fs.k.at(s).set(fs.k.at(s).add(1));
            fs.fill_left.at(s).set(mux(left.gt(B), left.sub(B), lit(12, 0)));
            when(lastIn, () => sums.at(s).set(fs.sum.at(s).add(beatSum)));
          });
        }
        if (B === 1) fs.odd.set(fs.odd.xor(onehot(t)).as(SLOTS));
      });
      when(tailNow, () => buffer.ports[0]!.write(addrOf(ts, sel(fs.k, ts)), tailWord));
      const doneNow = mux(lastIn.and(spills.not()), onehot(t), lit(SLOTS, 0)).or(mux(tailNow, onehot(ts), lit(SLOTS, 0)));
      tails = mux(tailNow, tails.and(onehot(ts).not()), tails);
      tails = mux(lastIn.and(spills), tails.or(onehot(t)), tails);
      filling = filling.and(doneNow.not());
      full = full.or(doneNow);

      // Emit.
      const load = (): void => {
        hdr.set(hdrValue);
        e.hdr_left.set(mux(mp.ipv6, lit(8, H6), lit(8, H4)));
        e.emit_left.set(frameLen);
        e.j.set(1);
        buffer.ports[1]!.read(addrOf(hs, lit(wordBits, 0)));
      };
      emit.on({
        start: () => when(starts, () => { load(); emit.goto('run'); }),
        run: () => when(io.mac.fire(), () => {
          hdr.set(hdr.shl(8 * B));
          e.hdr_left.set(mux(e.hdr_left.gt(B), e.hdr_left.sub(B), lit(8, 0)));
          e.emit_left.set(e.emit_left.sub(B));
          e.j.set(e.j.add(1));
          buffer.ports[1]!.read(addrOf(e.emit_slot, e.j));
          when(lastBeat, () => {
            if (SLOTS > 1) e.emit_slot.set(e.emit_slot.add(1));
            when(chains, () => load()).otherwise(() => emit.goto('start'));
          });
        }),
      });
      full = mux(frameOut, full.and(onehot(e.emit_slot).not()), full);
      st.filling.set(filling.as(SLOTS));
      st.full.set(full.as(SLOTS));
      st.tail_due.set(tails.as(SLOTS));
    });
  }, { config: c.name });
}
