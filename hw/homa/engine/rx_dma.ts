// hw/homa/engine/rx_dma.ts — payloads from the receive buffer to their bpages, by DMA writes
// straight from where the frame sits (the write's first byte at its lane in the buffer beat:
// the DMA side aligns, as PCIe DMA engines do), then the frame's beats are freed.
//
// Two sides joined by a FIFO of frames, so one frame's write requests go out while the one
// before it is still streaming its data:
//  - requests: per frame, one write request, or two when the payload crosses a 64 KiB page
//    of the message (its bpages need not be adjacent, spec §4);
//  - data: the frame's payload beats read from the buffer (one per cycle; the read has one
//    cycle of latency, so a small FIFO keeps the stream full under back-pressure); once every
//    beat of a frame has been read its beats are freed, and if it completed a message the
//    completion is handed on (with whether to post it and whether its RPC ends; an item that
//    is not a frame, such as a timeout, has no beats and hands its completion on at once). The DMA write multiplexer keeps write order, so the completion
//    written after it can never be seen before the payload.

import { assign, bool, input, lit, module, mux, output, record, stream, u, when, type UInt } from '../../hdl/index.ts';
import { regFifo } from '../../lib/fifo.ts';
import { engineWidths, type EngineConfig } from './config.ts';
import { completionRequestLayout, rxDmaWorkLayout } from './rx_data.ts';
import { engineLayouts } from './types.ts';

/** A finished message or RPC: the completion, whether to post it, whether the RPC ends. */
export function rxDoneLayout(c: EngineConfig) {
  return record({ post: bool, free_rpc: bool, cq: completionRequestLayout(c) });
}

/** Bytes before a DATA payload: Ethernet 14 + IP 20 or 40 + Homa 56 (spec §1.4). */
const PAYLOAD_V4 = 14 + 20 + 56;
const PAYLOAD_V6 = 14 + 40 + 56;

export function rxDma(c: EngineConfig) {
  const L = engineLayouts(c);
  const w = engineWidths(c);
  const B = c.beatBytes;
  const lb = Math.log2(B);
  const aw = w.rxBufferAddr;
  const work = rxDmaWorkLayout(c);
  const frame = record({ w: work });
  return module(`rx_dma_${c.name}`, {
    work: stream.sink(work),
    buf_rd_en: output(bool),
    buf_rd_addr: output(u(aw)),
    buf_rd_data: input(u(8 * B)),
    buf_free: output(u(aw + 1)),
    wr_req: stream.source(L.dmaWrReq),
    wr_data: stream.source(L.dmaWrData),
    done: stream.source(rxDoneLayout(c)),
    idle: output(bool),
  }, (m, io) => {
    const frames = m.instance('frames', regFifo(frame, 4));
    const beats = m.instance('beats', regFifo(L.dmaWrData, 4));

    // ---- requests ----
    const x = io.work.payload;
    const second = m.reg('req_second', bool);               // the first of two requests went out
    const laneOf = (p: UInt<16>): UInt<number> => (lb === 0 ? lit(1, 0) : p.bits(lb - 1, 0).zext(w.lane));
    const needReq = m.let('needs_request', io.work.valid.and(x.write));
    const twoReqs = m.let('two_requests', x.len2.ne(0));
    io.wr_req.valid.set(needReq.and(frames.in.ready));
    io.wr_req.payload.addr.set(mux(second, x.addr2, x.addr1));
    io.wr_req.payload.len.set(mux(second, x.len2, x.len1));
    io.wr_req.payload.qp.set(x.qp);
    if (lb === 0) io.wr_req.payload.lane.set(0);
    else {
      const hdr = m.let('payload_start', mux(x.ipv6, lit(8, PAYLOAD_V6), lit(8, PAYLOAD_V4)).zext(16));
      io.wr_req.payload.lane.set(mux(second, laneOf(m.let('second_start', hdr.add(x.len1))), laneOf(hdr)));
    }
    const lastReq = m.let('last_request', x.write.not().or(io.wr_req.fire().and(second.or(twoReqs.not()))));
    const take = m.let('take_frame', io.work.valid.and(frames.in.ready).and(lastReq));
    io.work.ready.set(take);
    frames.in.valid.set(take);
    assign(frames.in.payload.w, x);

    // ---- data ----
    const f = frames.out.payload.w;
    const piece = m.reg('piece', u(1));                      // 0: first write, 1: second
    const beat = m.reg('beat', u(16));                       // beats of this piece read so far
    const pending = m.reg('read_pending', record({ valid: bool, last: bool }));
    const free = m.reg('free_ptr', u(aw + 1));
    const fhdr = m.let('f_payload_start', mux(f.ipv6, lit(8, PAYLOAD_V6), lit(8, PAYLOAD_V4)).zext(16));
    const start = m.let('piece_start', mux(piece.asBool(), fhdr.add(f.len1), fhdr));
    const len = m.let('piece_len', mux(piece.asBool(), f.len2, f.len1));
    const lane = lb === 0 ? lit(1, 0) : start.bits(lb - 1, 0).zext(16);
    const pieceBeats = m.let('piece_beats', lane.zext(17).add(len.zext(17)).add(B - 1).shr(lb).trunc(16));
    const firstBeat = m.let('piece_first_beat', f.buf_start.add(start.shr(lb).trunc(aw + 1)));
    const reading = m.let('reading', frames.out.valid.and(f.write).and(beat.lt(pieceBeats)));
    const room = m.let('beat_room', beats.count.zext(4).add(pending.valid.asUInt().zext(4)).lt(3));
    const rd = m.let('rd', reading.and(room));
    const lastOfPiece = m.let('last_of_piece', beat.add(1).eq(pieceBeats));
    io.buf_rd_en.set(rd);   // a last read held back by `done` is harmless: the next one repeats it
    io.buf_rd_addr.set(firstBeat.add(beat.trunc(aw + 1)).trunc(aw));
    beats.in.valid.set(pending.valid);
    beats.in.payload.data.set(io.buf_rd_data);
    beats.in.payload.last.set(pending.last);
    io.wr_data.valid.set(beats.out.valid);
    assign(io.wr_data.payload, beats.out.payload);
    beats.out.ready.set(io.wr_data.ready);

    // A frame is finished once its last beat is read (its beats may be overwritten from the
    // next edge on: the read happened at this one) and, if it completed a message, its
    // completion was handed on.
    const finalPiece = m.let('final_piece', piece.eq(1).or(f.len2.eq(0)));
    const allRead = m.let('all_read', f.write.not().or(finalPiece.and(beat.eq(pieceBeats))));
    const lastRead = m.let('last_read', rd.and(lastOfPiece).and(finalPiece));
    const readsDone = m.let('reads_done', frames.out.valid.and(allRead.or(lastRead)));
    io.done.valid.set(readsDone.and(f.complete));
    assign(io.done.payload.cq, f.cq);
    io.done.payload.post.set(f.post);
    io.done.payload.free_rpc.set(f.free_rpc);
    const retire = m.let('retire', readsDone.and(f.complete.not().or(io.done.ready)));
    frames.out.ready.set(retire);
    io.buf_free.set(free);
    io.idle.set(frames.count.eq(0).and(beats.count.eq(0)).and(pending.valid.not()).and(io.work.valid.not()));

    m.seq(() => {
      when(io.wr_req.fire(), () => second.set(twoReqs.and(second.not())));
      when(take, () => second.set(false));
      pending.valid.set(rd.and(lastRead.not().or(retire)));
      pending.last.set(lastOfPiece);
      // A read only counts when it goes out: with a completion to hand on and `done` not ready,
      // the frame stays and its last read is not repeated.
      when(rd.and(lastRead.not().or(retire)), () => {
        beat.set(beat.add(1));
        when(lastOfPiece.and(piece.eq(0)).and(f.len2.ne(0)), () => { piece.set(1); beat.set(0); });
      });
      when(retire, () => {
        when(f.frame, () => free.set(f.buf_end));
        piece.set(0);
        beat.set(0);
      });
    });
  }, { config: c.name });
}

