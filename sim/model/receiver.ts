// sim/model/receiver.ts — incoming DATA: message set-up, bpage allocation and waiting, gap
// tracking, copying into the region, and completion (spec §3.2, §3.5, §4).

import { RESEND_ALL, resendPacket } from '../../hw/homa/wire/index.ts';
import type { DataPacket } from '../../hw/homa/wire/index.ts';
import { BPAGE_SHIFT, BPAGE_SIZE } from './bpool.ts';
import type { ModelNic } from './nic.ts';
import { BufState, RpcState } from './rpc.ts';
import type { Rpc } from './rpc.ts';
import type { QueuePair } from './queue-pair.ts';
import { CompletionType } from './types.ts';

export class Receiver {
  private readonly nic: ModelNic;
  /** Per queue pair: messages waiting for bpages, shortest first (§4). */
  private readonly waiting = new Map<QueuePair, Rpc[]>();

  constructor(nic: ModelNic) { this.nic = nic; }

  data(rpc: Rpc, p: DataPacket): void {
    const nic = this.nic;
    rpc.silentTicks = 0;
    if (rpc.inLength < 0) {
      // First packet of the message (§3.2 message init): granted = incoming, capped to length.
      rpc.inLength = p.message_length;
      rpc.inGranted = Math.min(p.incoming, p.message_length);
      rpc.inBirth = nic.now();
      if (rpc.isClient) rpc.state = RpcState.INCOMING;
      this.allocate(rpc);
    } else if (p.incoming > rpc.inGranted && rpc.inGranted < rpc.inLength) {
      rpc.inGranted = Math.min(p.incoming, rpc.inLength);    // a retransmission's promise (§1.4)
    }
    if (rpc.bufState === BufState.WAITING) {
      nic.counters['dropped_data_no_bufs']!++;                // §4: dropped while waiting
      nic.grants.charge(rpc);
      return;
    }
    const start = p.offset;
    const end = start + p.payload.length;
    // A bounded gap list (the engine's max_gaps): a packet that would open one gap too many is
    // dropped; the timer's RESENDs ask for it again once the earlier gaps have closed (§3.5).
    const maxGaps = nic.cfg.maxGaps;
    if (maxGaps > 0 && rpc.gaps.length >= 2 * maxGaps && p.message_length === rpc.inLength && rpc.opensGap(start, end)) {
      nic.counters['gap_overflows']!++;
      return;
    }
    if (p.message_length !== rpc.inLength || !rpc.addRange(start, end)) {
      nic.counters[p.retransmit ? 'resent_discards' : 'packet_discards']!++;
      return;
    }
    if (nic.cfg.copyPayload && rpc.qp.region) this.copyIn(rpc, start, p.payload);
    nic.grants.charge(rpc);
    if (rpc.inComplete) this.complete(rpc);
    else if (rpc.inGranted < rpc.inLength) nic.grants.add(rpc);
    // Arrivals free headroom under max_incoming for every message, not only this one (§3.2).
    if (nic.grants.grantable.length > 0) nic.grants.check();
  }

  /** Where message offset `off` lives in the region (whole bpages, then the tail piece). */
  private copyIn(rpc: Rpc, start: number, bytes: Uint8Array): void {
    const region = rpc.qp.region!;
    const pages = rpc.bpages!;
    let off = start;
    let src = 0;
    while (src < bytes.length) {
      const page = off >>> BPAGE_SHIFT;
      const within = off & (BPAGE_SIZE - 1);
      const n = Math.min(bytes.length - src, BPAGE_SIZE - within);
      region.set(bytes.subarray(src, src + n), pages[page]! + within);
      src += n;
      off += n;
    }
  }

  /** Take bpages for the whole message now, or join the queue pair's waiting list (§4). */
  allocate(rpc: Rpc): void {
    const pages = rpc.qp.pool.allocate(rpc.inLength);
    if (pages) {
      rpc.bpages = pages;
      rpc.bufState = BufState.ALLOCATED;
      return;
    }
    this.nic.counters['buffer_alloc_failures']!++;
    rpc.bufState = BufState.WAITING;
    let list = this.waiting.get(rpc.qp);
    if (!list) { list = []; this.waiting.set(rpc.qp, list); }
    let i = list.length;
    list.push(rpc);
    while (i > 0 && list[i - 1]!.inLength > rpc.inLength) { list[i] = list[i - 1]!; i--; }
    list[i] = rpc;
    rpc.waitSlot = 0;
  }

  /** The queue pair closed: forget its waiting list. */
  forget(qp: QueuePair): void { this.waiting.delete(qp); }

  unwait(rpc: Rpc): void {
    if (rpc.waitSlot < 0) return;
    const list = this.waiting.get(rpc.qp);
    if (list) { const i = list.indexOf(rpc); if (i >= 0) list.splice(i, 1); }
    rpc.waitSlot = -1;
  }

  /**
   * Bpages came back: give buffers to waiting messages, shortest first, and restart each with
   * RESEND(0, everything) at homa_high_priority (§4 homa_pool_check_waiting).
   */
  buffersReturned(qp: QueuePair): void {
    const list = this.waiting.get(qp);
    while (list && list.length > 0) {
      const rpc = list[0]!;
      const pages = qp.pool.allocate(rpc.inLength);
      if (!pages) break;
      list.shift();
      rpc.waitSlot = -1;
      rpc.bpages = pages;
      rpc.bufState = BufState.ALLOCATED;
      rpc.silentTicks = 0;
      const prio = Math.max(0, this.nic.cfg.num_priorities - 2);
      this.nic.sendControl(rpc.peer, resendPacket(qp.port, rpc.peerPort, rpc.wireId, 0, RESEND_ALL, prio));
    }
  }

  /** The whole message is here: post the completion (§2.2). */
  private complete(rpc: Rpc): void {
    const nic = this.nic;
    nic.grants.remove(rpc);
    nic.grants.uncharge(rpc);
    const offsets = rpc.bpages ?? [];
    rpc.bpages = null;                       // the application owns them now (§4)
    const c = {
      type: rpc.isClient ? CompletionType.RESPONSE : CompletionType.REQUEST,
      id: rpc.id, cookie: rpc.cookie, peer: rpc.peer.addr, peerPort: rpc.peerPort,
      length: rpc.inLength, error: 0, bpageOffsets: offsets,
    };
    if (rpc.isClient) {
      nic.counters['client_responses_done']!++;
      rpc.qp.post(c, rpc.private_);
      nic.acks.clientDone(rpc);              // ends the RPC (then TX_DONE) and queues its ack (§2.2, §3.6)
    } else {
      nic.counters['server_requests_done']!++;
      rpc.state = RpcState.IN_SERVICE;       // §2.2: in service once the request is returned
      rpc.qp.post(c, false);
    }
  }

  /** Timer-driven RESENDs for what is missing (§3.5). */
  sendResends(rpc: Rpc): void {
    const nic = this.nic;
    const prio = nic.cfg.num_priorities - 1;
    const send = (offset: number, length: number): void =>
      nic.sendControl(rpc.peer, resendPacket(rpc.qp.port, rpc.peerPort, rpc.wireId, offset, length, prio));
    if (rpc.inLength < 0) { send(0, RESEND_ALL); return; }   // nothing of the message yet
    const g = rpc.gaps;
    for (let i = 0; i < g.length; i += 2) send(g[i]!, g[i + 1]! - g[i]!);
    if (rpc.recvEnd < rpc.inGranted) send(rpc.recvEnd, rpc.inGranted - rpc.recvEnd);
  }
}
