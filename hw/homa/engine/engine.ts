// hw/homa/engine/engine.ts — the Homa engine: the top that joins the blocks (README.md has the
// map) behind the four external interfaces of types.ts (register access, DMA, MAC, irq) and
// the `idle` output co-simulation uses to stop the clock when nothing is in flight.
//
//   homaEngine(ENGINE_CONFIGS.u250)   // 64-byte beats, 250 MHz, 16 Ki RPCs, 256 queue pairs

import { assign, connect, lit, module, mux, type Bool, type UInt } from '../../hdl/index.ts';
import { COUNTERS } from '../abi.ts';
import { streamFork } from '../../lib/fork.ts';
import { arbiter } from '../../lib/arbiter.ts';
import { bpool } from './bpool.ts';
import { bretFetch } from './bret_fetch.ts';
import { bwait } from './bwait.ts';
import { completion } from './completion.ts';
import { ctlRequest, ctlTx } from './ctl_tx.ts';
import { cutoffsTx } from './cutoffs.ts';
import { grantEventLayout, grantSched } from './grant_sched.ts';
import { engineTick } from './tick.ts';
import { checkConfig, type EngineConfig } from './config.ts';
import { dmaReadMux } from './dma_read_mux.ts';
import { dmaWriteMux } from './dma_write_mux.ts';
import { BYTE_COUNTERS, engineRegs, COUNT_INC_BITS } from './regs.ts';
import { completionRequestLayout, rxData } from './rx_data.ts';
import { rpcFreeLayout, rxDispatch, rxWorkLayout } from './rx_dispatch.ts';
import { rxDma } from './rx_dma.ts';
import { rxParser } from './rx_parser.ts';
import { sqFetch } from './sq_fetch.ts';
import { rpcTimer } from './rpc_timer.ts';
import { regFifo } from '../../lib/fifo.ts';
import { txRpc } from './tx_rpc.ts';
import { txSched } from './tx_sched.ts';
import { txBuilder } from './tx_builder.ts';
import { frameArbiter } from '../../lib/frame_arbiter.ts';
import { beat } from '../../lib/beat.ts';
import { engineIo, engineLayouts, RX_DROP_COUNTER, rxDrop } from './types.ts';

export function homaEngine(c: EngineConfig) {
  checkConfig(c);
  const L = engineLayouts(c);
  return module(`homa_engine_${c.name}`, engineIo(c), (m, io) => {
    const regs = m.instance('regs', engineRegs(c));
    const parser = m.instance('rx_parser', rxParser(c));
    const dispatch = m.instance('rx_dispatch', rxDispatch(c));
    const data = m.instance('rx_data', rxData(c));
    const pool = m.instance('bpool', bpool(c));
    const returns = m.instance('bret_fetch', bretFetch(c));
    const writer = m.instance('rx_dma', rxDma(c));
    const cq = m.instance('completion', completion(c));
    const wmux = m.instance('dma_write_mux', dmaWriteMux(c, 2));
    const sq = m.instance('sq_fetch', sqFetch(c));
    const rmux = m.instance('dma_read_mux', dmaReadMux(c));
    const txmux = m.instance('tx_read_mux', dmaReadMux(c, 2));
    const cqReqs = m.instance('cq_requests', arbiter(completionRequestLayout(c), 3, 'priority'));
    const events = m.instance('qp_events', streamFork(L.qpEvent, 7));
    const txr = m.instance('tx_rpc', txRpc(c));
    const txs = m.instance('tx_sched', txSched(c));
    const txb = m.instance('tx_builder', txBuilder(c));
    const macTx = m.instance('mac_tx', frameArbiter(beat(c.beatBytes), 2));
    const bells = m.instance('doorbells', streamFork(L.doorbell, 3));
    const updates = m.instance('updates', arbiter(L.qpUpdate, 4, 'round-robin'));
    const irqs = m.instance('irqs', arbiter(L.irq, 2, 'round-robin'));
    const sched = m.instance('grant_sched', grantSched(c));
    const cutoffs = m.instance('cutoffs', cutoffsTx(c));
    const dataEvents = m.instance('data_events', streamFork(grantEventLayout(c), 3));
    const waiters = m.instance('bwait', bwait(c));
    const work = m.instance('rx_work', arbiter(rxWorkLayout(c), 3, 'priority'));
    const ctlReqs = m.instance('ctl_requests', arbiter(ctlRequest, 6, 'priority'));
    const ctl = m.instance('ctl_tx', ctlTx(c));
    const tick = m.instance('ticker', engineTick(c));
    const timer = m.instance('rpc_timer', rpcTimer(c));

    // Host access, and what the register block announces to the blocks.
    connect(regs.req, io.reg_req);
    connect(io.reg_resp, regs.resp);
    connect(events.in, regs.qp_event);
    connect(dispatch.qp_event, events.out[0]!);
    connect(data.qp_event, events.out[1]!);
    connect(pool.qp_event, events.out[2]!);
    connect(returns.qp_event, events.out[3]!);
    connect(cq.qp_event, events.out[4]!);
    connect(sq.qp_event, events.out[5]!);
    connect(txr.qp_event, events.out[6]!);
    connect(bells.in, regs.doorbell);
    connect(cq.doorbell, bells.out[0]!);
    connect(returns.doorbell, bells.out[1]!);
    connect(sq.doorbell, bells.out[2]!);
    connect(updates.in[0]!, pool.update);
    connect(updates.in[1]!, returns.update);
    connect(updates.in[2]!, cq.update);
    connect(updates.in[3]!, sq.update);
    regs.update.valid.set(updates.out.valid);
    connect(regs.update.payload, updates.out.payload.data);
    updates.out.ready.set(regs.update.ready);

    // Receive: MAC -> parser -> dispatch -> rx_data (bpages) -> rx_dma (payload) -> completion.
    connect(parser.mac, io.mac_rx);
    parser.ip_addr.set(regs.ip_addr);
    connect(dispatch.hdr, parser.hdr);
    regs.port_lookup.set(dispatch.port_lookup);
    connect(dispatch.port_found, regs.port_found);
    // rx_data takes frames from dispatch, restarts of messages that waited for bpages, and
    // last the timer's visits (rpc_timer walks the live RPCs at each tick).
    connect(work.in[0]!, dispatch.work);
    connect(work.in[1]!, waiters.restart);
    connect(work.in[2]!, timer.scan);
    connect(timer.ev, data.tm);
    tick.now_us.set(io.now_us);
    timer.tick.set(tick.tick);
    io.timer_armed.set(timer.armed);
    io.wake_us.set(tick.next_us);
    const tunWord = (n: 'resend_ticks' | 'resend_interval' | 'timeout_ticks' | 'request_ack_ticks'): UInt<16> => {
      const v = regs.tun[n].at(0);
      return mux(v.bits(31, 16).ne(0), lit(16, 0xffff), v.bits(15, 0)) as UInt<16>;
    };
    data.timer_tun.resend_ticks.set(tunWord('resend_ticks'));
    data.timer_tun.resend_interval.set(tunWord('resend_interval'));
    data.timer_tun.timeout_ticks.set(tunWord('timeout_ticks'));
    data.timer_tun.request_ack_ticks.set(tunWord('request_ack_ticks'));
    data.work.valid.set(work.out.valid);
    connect(data.work.payload, work.out.payload.data);
    work.out.ready.set(data.work.ready);
    connect(pool.alloc, data.alloc);
    connect(data.grant, pool.grant);
    // Bpages back to their pools: those of messages that timed out (rx_data) first, then the host's returns.
    const releases = m.instance('bpage_releases', arbiter(L.bpoolRelease, 2, 'priority'));
    connect(releases.in[0]!, data.release);
    connect(releases.in[1]!, returns.release);
    pool.release.valid.set(releases.out.valid);
    connect(pool.release.payload, releases.out.payload.data);
    releases.out.ready.set(pool.release.ready);
    connect(writer.work, data.out);
    parser.buf_rd_en.set(writer.buf_rd_en);
    parser.buf_rd_addr.set(writer.buf_rd_addr);
    writer.buf_rd_data.set(parser.buf_rd_data);
    parser.buf_free.set(writer.buf_free);
    // Completions: messages received (and TX_DONE, posted as an RPC ends) first, then refused
    // send descriptors, then the send side's (ACCEPTED, ENOMEM, TX_DONE for a reply with no RPC).
    // A response received ends its client RPC, as does a timeout: it leaves the RPC table (as
    // does a server RPC whose response has gone out, from tx_rpc). A server RPC that times out
    // only leaves (nothing is posted).
    const done = writer.done;
    const post = done.payload.post;
    const ends = done.payload.free_rpc;
    const clientFrees = m.instance('client_frees', regFifo(rpcFreeLayout, 4));
    cqReqs.in[0]!.valid.set(done.valid.and(post).and(ends.not().or(clientFrees.in.ready)));
    assign(cqReqs.in[0]!.payload, done.payload.cq);
    done.ready.set(post.not().or(cqReqs.in[0]!.ready).and(ends.not().or(clientFrees.in.ready)));
    clientFrees.in.valid.set(done.valid.and(ends).and(post.not().or(cqReqs.in[0]!.ready)));
    clientFrees.in.payload.addr.set(done.payload.cq.peer_addr);
    clientFrees.in.payload.id.set(done.payload.cq.id);
    clientFrees.in.payload.responded.set(false);
    clientFrees.in.payload.acked.set(false);
    clientFrees.in.payload.tx_length.set(0);
    clientFrees.in.payload.tx_notify.set(false);
    const frees = m.instance('rpc_frees', arbiter(rpcFreeLayout, 2, 'priority'));
    connect(frees.in[0]!, clientFrees.out);
    connect(frees.in[1]!, txr.free);
    dispatch.free.valid.set(frees.out.valid);
    connect(dispatch.free.payload, frees.out.payload.data);
    frees.out.ready.set(dispatch.free.ready);
    connect(cqReqs.in[1]!, sq.cq);
    connect(cqReqs.in[2]!, txr.cq_refused);
    cq.req.valid.set(cqReqs.out.valid);
    connect(cq.req.payload, cqReqs.out.payload.data);
    cqReqs.out.ready.set(cq.req.ready);

    // Send: descriptors read from each queue pair's send ring and checked (refused ones complete
    // with an error above); accepted ones find or enter their RPC through rx_dispatch, then
    // tx_rpc keeps each message's record and enters it in tx_sched, whose packets tx_builder
    // sends, the payload read from host memory. GRANTs for our RPCs come from rx_dispatch.
    sq.ipv4.set(regs.ip_addr.bits(127, 32).eq(0xffff));
    connect(dispatch.desc, sq.desc);
    connect(txr.found, dispatch.tx);
    connect(txr.grant_in, dispatch.grant);
    connect(txr.cutoffs, dispatch.cutoffs);
    connect(txr.resend, dispatch.resend);
    assign(txr.tun, regs.tun);
    connect(txs.add, txr.add);
    connect(txs.grant, txr.grant);
    txs.fifo_fraction.set(regs.tun.pacer_fifo_fraction.at(0).bits(9, 0));
    connect(txr.pkt, txs.pkt);
    connect(txb.req, txr.build);
    txb.saddr.set(regs.ip_addr);
    assign(txb.tun, regs.tun);
    txr.sent.set(txb.sent);

    // DMA: payload and completion writes share the write port in order; bpage returns and send
    // descriptors share the read port.
    connect(wmux.req0, writer.wr_req);
    connect(wmux.data0, writer.wr_data);
    connect(wmux.req1, cq.wr_req);
    connect(wmux.data1, cq.wr_data);
    connect(io.dma_wr_req, wmux.req);
    connect(io.dma_wr_data, wmux.data);
    connect(rmux.req0, returns.rd_req);
    connect(returns.rd_data, rmux.data0);
    connect(txmux.req0, txb.rd_req);
    connect(txb.rd_data, txmux.data0);
    connect(txmux.req1, sq.rd_req);
    connect(sq.rd_data, txmux.data1);
    connect(rmux.req1, txmux.req);
    connect(txmux.data, rmux.data1);
    connect(io.dma_rd_req, rmux.req);
    connect(rmux.data, io.dma_rd_data);

    // Events: completions and return-ring progress.
    connect(irqs.in[0]!, cq.irq);
    connect(irqs.in[1]!, returns.event);
    io.irq.valid.set(irqs.out.valid);
    io.irq.payload.set(irqs.out.payload.data);
    irqs.out.ready.set(io.irq.ready);

    // Grants: every DATA that reached its RPC goes to the grant scheduler and the CUTOFFS
    // sender; their control packets share ctl_tx (GRANTs first), the only sender until the
    // transmit path exists.
    connect(dataEvents.in, data.ev);
    connect(sched.ev, dataEvents.out[0]!);
    connect(cutoffs.ev, dataEvents.out[1]!);
    connect(waiters.ev, dataEvents.out[2]!);
    waiters.returned.valid.set(pool.release.valid.and(pool.release.ready));
    waiters.returned.qp.set(pool.release.payload.qp);
    assign(waiters.restarted, data.restarted);
    const nprio = regs.tun.num_priorities.at(0).bits(7, 0);
    waiters.resend_level.set(mux(nprio.ge(2), nprio.sub(2), lit(8, 0)));
    assign(data.granted, sched.granted);
    data.timer_tun.level.set(mux(nprio.ge(1), nprio.sub(1), lit(8, 0)));
    assign(sched.tun, regs.tun);
    assign(ctl.tun, regs.tun);
    ctl.saddr.set(regs.ip_addr);
    tick.tick_usecs.set(regs.tun.tick_usecs.at(0));
    cutoffs.jiffy.set(tick.jiffy);
    cutoffs.version.set(regs.tun.cutoff_version.at(0).bits(15, 0));
    connect(ctlReqs.in[0]!, sched.grant);
    connect(ctlReqs.in[1]!, cutoffs.req);
    connect(ctlReqs.in[2]!, waiters.resend);
    connect(ctlReqs.in[3]!, dispatch.ack);
    connect(ctlReqs.in[4]!, data.resend);
    connect(ctlReqs.in[5]!, txr.busy);
    ctl.req.valid.set(ctlReqs.out.valid);
    connect(ctl.req.payload, ctlReqs.out.payload.data);
    ctlReqs.out.ready.set(ctl.req.ready);
    // The MAC: control frames first, at frame boundaries, then DATA.
    connect(macTx.in[0]!, ctl.mac);
    connect(macTx.in[1]!, txb.mac);
    connect(io.mac_tx, macTx.out);

    // Counters: every block's events by name; several may count one name in a cycle.
    const incs = new Map<string, Bool[]>(COUNTERS.map((n) => [n, []]));
    const add = (name: string, b: Bool): void => { const l = incs.get(name); if (!l) throw new Error(`no counter '${name}'`); l.push(b); };
    for (const [reason, counter] of Object.entries(RX_DROP_COUNTER)) add(counter, parser.drop.eq(rxDrop.values[reason as keyof typeof rxDrop.values]));
    for (const [n, b] of Object.entries(dispatch.count as Record<string, Bool>)) add(n, b);
    for (const [n, b] of Object.entries(data.count as Record<string, Bool>)) add(n, b);
    add('bpage_double_frees', pool.double_free);
    add('bad_descriptors', sq.bad);
    add('packets_sent_DATA', txb.sent);
    for (const [n, b] of Object.entries(ctl.count as Record<string, Bool>)) add(n, b);
    for (const [n, b] of Object.entries(txr.count as Record<string, Bool>)) add(n, b);
    // DATA by level, counted as tx_builder takes the request (frames leave in that order).
    const ds = txr.data_sent;
    for (let i = 0; i < 8; i++) add(`priority${i}_packets`, ds.valid.and(ds.level.eq(i)));
    // Byte counters: each block's bytes this cycle, summed.
    const bytes = new Map<string, UInt<number>[]>();
    const addBytes = (name: string, v: UInt<number>): void => { bytes.set(name, [...(bytes.get(name) ?? []), v]); };
    addBytes('fifo_grant_bytes', sched.fifo_bytes);
    for (let i = 0; i < 8; i++) addBytes(`priority${i}_bytes`, mux(ds.valid.and(ds.level.eq(i)), ds.frame, lit(11, 0)));
    addBytes('priority7_bytes', ctl.sent_bytes);
    addBytes('sent_msg_bytes', mux(ds.valid, ds.payload, lit(11, 0)));
    addBytes('pacer_fifo_bytes', mux(ds.valid.and(ds.fifo), ds.payload, lit(11, 0)));
    for (const n of COUNTERS) {
      if (BYTE_COUNTERS[n]) {
        const parts = bytes.get(n);
        if (!parts) throw new Error(`engine: byte counter '${n}' has no source`);
        const w = BYTE_COUNTERS[n]!;
        (regs.count as Record<string, UInt<number>>)[n]!.set(parts.reduce<UInt<number>>((a, v) => a.add(v.zext(w)), lit(w, 0) as UInt<number>));
        continue;
      }
      const sum = incs.get(n)!.reduce<UInt<number>>((a, b) => a.add(b.asUInt().zext(COUNT_INC_BITS)), lit(COUNT_INC_BITS, 0) as UInt<number>);
      (regs.count as Record<string, UInt<number>>)[n]!.set(sum);
    }

    const dmaIdle = m.let('dma_idle', dispatch.idle.and(data.idle).and(writer.idle).and(cq.idle).and(wmux.idle).and(returns.idle).and(pool.idle)
      .and(sq.idle).and(rmux.idle).and(txmux.idle).and(cqReqs.out.valid.not()).and(clientFrees.count.eq(0)).and(frees.out.valid.not()));
    regs.dma_idle.set(dmaIdle);
    // tx_sched holds messages waiting for GRANTs: those are not work in flight.
    const txIdle = m.let('tx_idle', sched.idle.and(cutoffs.idle).and(waiters.idle).and(ctl.idle).and(ctlReqs.out.valid.not()).and(timer.idle).and(tick.busy.not())
      .and(txr.idle).and(txs.pkt.valid.not()).and(txb.idle).and(io.mac_tx.valid.not()));
    io.idle.set(dmaIdle.and(txIdle).and(parser.idle).and(regs.idle).and(io.mac_rx.valid.not()).and(io.reg_req.valid.not()));
  }, { config: c.name });
}
