// sim/model/nic.ts — the reference model of the Homa NIC: a transaction-level Endpoint that
// consumes send descriptors (queue-pair calls) and frames, and produces frames and
// completions. Packet dispatch lives here; the rest is split by idea (sender, receiver,
// grants, timers, bpool, queue-pair). Spec sections are cited where rules are applied.

import {
  ETH_HLEN, HOMA_MAX_MESSAGE_LENGTH, HomaType, IPPROTO_HOMA, IPPROTO_TCP, bareControl, cutoffsPacket, decodeFrame, encodeFrame,
} from '../../hw/homa/wire/index.ts';
import type { BareControlPacket, EncodeOptions, HomaPacket, IpFields } from '../../hw/homa/wire/index.ts';
import { COUNTERS } from '../../hw/homa/abi.ts';
import type { Endpoint, EndpointPort, TimerHandle } from '../net/endpoint.ts';
import { modelConfig } from './config.ts';
import type { ModelConfig } from './config.ts';
import { Acks } from './acks.ts';
import { GrantScheduler } from './grants.ts';
import { Icmp, isIcmp } from './icmp.ts';
import { INT_MAX, Peer, addrKey } from './peer.ts';
import { QueuePair } from './queue-pair.ts';
import type { QueuePairOptions } from './queue-pair.ts';
import { Receiver } from './receiver.ts';
import { SLOT_SHIFT, cachedPacket, frameSender, registerSlab, takeFrame, taken, type FrameSender, type SlabPackets } from './packet-cache.ts';
import { BufState, Rpc, RpcState } from './rpc.ts';
import { Transmitter } from './sender.ts';
import { tick } from './timers.ts';
import { CompletionType } from './types.ts';
import { PRIO_BYTES, PRIO_PACKETS, RCVD_KEY, RX_ERROR_COUNTER, SENT_KEY } from './counter-names.ts';

/** Packet types HomaModule handles when they name no RPC (homa_dispatch_pkts, §3.5). */
const ACTS_WITHOUT_RPC: ReadonlySet<number> = new Set([HomaType.CUTOFFS, HomaType.NEED_ACK, HomaType.ACK, HomaType.RESEND]);
import type { Completion, CompletionTypeCode, ReplyArgs, RequestArgs } from './types.ts';

/** A server RPC of queue pair `qp` from client port `dport` (0: any port). */
function isServerRpcOf(r: Rpc | undefined, qp: QueuePair, dport: number): r is Rpc {
  return r !== undefined && r.qp === qp && (dport === 0 || r.peerPort === dport);
}

/** Entries of a NIC's sender-to-peer cache (a power of two). */
const PEER_CACHE = 256;

export class ModelNic implements Endpoint {
  readonly cfg: ModelConfig;
  port!: EndpointPort;
  readonly peers = new Map<number | string, Peer>();
  readonly queuePairs = new Map<number, QueuePair>();
  /** Client RPCs by id (ids are host-wide, §1.2). */
  readonly clientRpcs = new Map<number, Rpc>();
  /** Every live RPC, for the timer scan. */
  readonly rpcs = new Set<Rpc>();
  readonly counters: Record<string, number> = Object.fromEntries(COUNTERS.map((c) => [c, 0]));
  readonly tx: Transmitter;
  readonly grants: GrantScheduler;
  readonly receiver: Receiver;
  readonly acks: Acks;
  readonly icmp: Icmp;
  /** Our unscheduled cutoffs after homa_prios_changed (§3.3) and the derived max_sched_prio. */
  readonly cutoffs: number[];
  maxSchedPrio = 0;
  ticks = 0;
  private nextId = 2;
  private nextPort = 0x8000;
  private tickTimer: TimerHandle | null = null;
  private readonly protocol: number;
  private zeros = new Uint8Array(2048);
  private readonly zeroViews: (Uint8Array | undefined)[] = [];
  private readonly ipFields: IpFields;
  private readonly srcMac: number;
  private readonly encodeOptions: EncodeOptions;
  /** Frames are cut from 256 KiB slabs: one allocation per ~180 frames instead of one each. */
  private slab = new Uint8Array(0);
  private slabUsed = 0;
  /** The decoded packets of the current slab's frames (see packet-cache.ts), or null. */
  private slabPackets: SlabPackets | null = null;
  /** Peers by cached frames' sender index (peerOfSender); peers are never forgotten. */
  private readonly peerCacheTag = new Int32Array(PEER_CACHE).fill(-1);
  private readonly peerCache: (Peer | undefined)[] = new Array<Peer | undefined>(PEER_CACHE).fill(undefined);
  /** This NIC as the packet cache names a frame's sender. */
  private readonly sender: FrameSender;
  /** The slab of the frame alloc returned last (the current slab's, or a reused frame's). */
  private frameSlab: SlabPackets | null = null;

  constructor(cfg: Partial<ModelConfig> & { address: Uint8Array }) {
    this.cfg = modelConfig(cfg);
    this.counters['max_grantable_rpcs'] = 0;
    this.protocol = this.cfg.hijack_tcp ? IPPROTO_TCP : IPPROTO_HOMA;
    this.cutoffs = this.prioritiesChanged();
    // next_id (§3.9, write-only in HomaModule): start the client id counter elsewhere, e.g. to
    // give simulated hosts disjoint id ranges. Ids stay even (§1.2).
    const [lo, hi] = this.cfg.next_id;
    if (lo || hi) this.nextId = (lo! + hi! * 2 ** 32) + ((lo! & 1) ? 1 : 0);
    const a = this.cfg.address;
    this.ipFields = { version: a.length === 4 ? 4 : 6, priority: 0, flow: 0, ttl: 64, protocol: this.protocol, saddr: a, daddr: a };
    this.srcMac = this.cfg.macOf(a);
    this.sender = frameSender(this.cfg.address, this.cfg.checksums, this.protocol);
    this.encodeOptions = {
      copyPayload: this.cfg.copyPayload, checksum: this.cfg.checksums ? 'compute' : 'keep',
      alloc: (n: number): Uint8Array => {
        // A frame a receiver handed back (packet-cache.ts releaseFrame), else fresh zeroed
        // slab memory, freed by the GC once its frames are.
        if (!this.cfg.copyPayload) {
          const reused = takeFrame(n);
          if (reused !== null) { this.frameSlab = taken.slab; return reused; }
        }
        if (this.slabUsed + n > this.slab.length) {
          this.slab = new Uint8Array(Math.max(n, 256 * 1024));
          this.slabUsed = 0;
          // Only frames whose payload bytes are zeros (copyPayload off) carry their packet:
          // the packet's payload view is then as good as the frame's.
          this.slabPackets = this.cfg.copyPayload ? null : registerSlab(this.slab);
        }
        const f = this.slab.subarray(this.slabUsed, this.slabUsed + n);
        this.slabUsed += (n + 7) & ~7;
        this.frameSlab = this.slabPackets;
        return f;
      },
    };
    this.tx = new Transmitter(this);
    this.grants = new GrantScheduler(this);
    this.receiver = new Receiver(this);
    this.acks = new Acks(this);
    this.icmp = new Icmp(this);
  }

  /** homa_prios_changed (§3.3): entry 0 = INT_MAX, unused levels 0, max_sched_prio derived. */
  private prioritiesChanged(): number[] {
    const c = this.cfg.unsched_cutoffs.slice(0, 8);
    for (let i = 7; ; i--) {
      if (i >= this.cfg.num_priorities) { c[i] = 0; continue; }
      if (i === 0) { c[0] = INT_MAX; this.maxSchedPrio = 0; break; }
      if (c[i]! >= HOMA_MAX_MESSAGE_LENGTH) { this.maxSchedPrio = i - 1; break; }
    }
    c[0] = INT_MAX;
    return c;
  }

  // ---- Endpoint ----

  attach(port: EndpointPort): void { this.port = port; }
  now(): number { return this.port.now(); }
  wake(): void { this.port?.wake(); }
  pull(): Uint8Array | null { return this.tx.pull(); }

  receive(frame: Uint8Array, fcsError = false): void {
    if (fcsError) { this.counters['rx_frame_errors']!++; return; }
    if (isIcmp(frame)) {
      // Not a Homa frame (counted as one, as the engine counts it), but it may end client RPCs (icmp.ts).
      this.counters['non_homa_frames']!++;
      this.icmp.handle(frame, this.protocol);
      return;
    }
    // A frame another model NIC built and nobody altered: its packet is known, skip decoding.
    const cached = cachedPacket(frame, this.cfg.checksums, this.protocol);
    if (cached !== null) {
      if (!this.frameIsMine(frame)) { this.counters['not_for_this_host']!++; return; }
      const from = cached.from;
      this.dispatch(this.peerOfSender(from), from.ip, cached.packet, frame);
      return;
    }
    // HomaModule never verifies the checksum (§1.7); the engine does, and so does the model
    // whenever it computes them, so both drop the same frames.
    const d = decodeFrame(frame, { checksum: this.cfg.checksums });
    if (!d.ok) { this.counters[RX_ERROR_COUNTER[d.kind] ?? 'bad_ip_headers']!++; return; }
    if (!d.checksumOk) { this.counters['bad_checksums']!++; return; }
    if (!this.isMine(d.ip.daddr)) { this.counters['not_for_this_host']!++; return; }   // other host or family
    this.dispatch(this.peerFor(d.ip.saddr), d.ip, d.packet, frame);
  }

  /** peerFor the sender of a cached packet, through a small direct-mapped cache on its index. */
  private peerOfSender(from: FrameSender): Peer {
    const i = from.index & (PEER_CACHE - 1);
    if (this.peerCacheTag[i] === from.index) return this.peerCache[i]!;
    const peer = this.peerFor(from.ip.saddr);
    this.peerCacheTag[i] = from.index;
    this.peerCache[i] = peer;
    return peer;
  }

  /** isMine on the frame's own destination address bytes (IPv4 at 30, IPv6 at 38). */
  private frameIsMine(frame: Uint8Array): boolean {
    const a = this.cfg.address;
    const at = a.length === 4 ? ETH_HLEN + 16 : ETH_HLEN + 24;
    if (frame.length < at + a.length || ((frame[ETH_HLEN]! >> 4) === 4) !== (a.length === 4)) return false;
    for (let i = a.length - 1; i >= 0; i--) if (frame[at + i] !== a[i]) return false;
    return true;
  }

  private isMine(daddr: Uint8Array): boolean {
    const a = this.cfg.address;
    if (daddr.length !== a.length) return false;
    for (let i = a.length - 1; i >= 0; i--) if (daddr[i] !== a[i]) return false;
    return true;
  }

  // ---- host side (what queue pairs call) ----

  openQueuePair(opt: QueuePairOptions): QueuePair {
    let port = opt.port ?? 0;
    if (port === 0) { while (this.queuePairs.has(this.nextPort)) this.nextPort++; port = this.nextPort++; }
    if (this.queuePairs.has(port)) throw new Error(`port ${port} is already bound (EADDRINUSE)`);
    if (opt.bpages < this.cfg.minRegionBpages) {
      throw new Error(`receive region of ${opt.bpages} bpages is below the minimum ${this.cfg.minRegionBpages} (spec §4)`);
    }
    const qp = new QueuePair(this, port, opt, this.cfg.copyPayload);
    this.queuePairs.set(port, qp);
    return qp;
  }

  /**
   * A socket closes (ABI: ctrl without ENABLE): the port is unbound and every RPC of the queue
   * pair, client and server, ends at once, as homa_sock_shutdown ends them; nothing more is
   * posted to it. Afterwards the NIC never touches the queue pair's memory again.
   */
  closeQueuePair(qp: QueuePair): void {
    if (qp.closed) return;
    qp.closed = true;
    if (this.queuePairs.get(qp.port) === qp) this.queuePairs.delete(qp.port);
    for (const r of [...this.rpcs]) if (r.qp === qp) this.freeRpc(r);
    this.receiver.forget(qp);
  }

  startRequest(qp: QueuePair, a: RequestArgs): number {
    const length = a.payload ? a.payload.length : a.length ?? 0;
    if (length <= 0 || length > HOMA_MAX_MESSAGE_LENGTH) throw new Error(`request length ${length} (EINVAL, §2.2)`);
    const id = this.nextId;
    this.nextId += 2;                                            // client ids: from 2, step 2 (§1.2)
    const rpc = new Rpc(id, true, qp, this.peerFor(a.peer), a.dport, RpcState.OUTGOING);
    rpc.cookie = a.cookie ?? 0;
    rpc.private_ = a.private ?? false;
    rpc.notifyTxDone = a.notifyTxDone ?? false;
    // Incast optimisation (SIGCOMM'18 §3.6): with many responses outstanding, ask for small ones.
    rpc.incast = this.cfg.incast_threshold > 0 && this.clientRpcs.size >= this.cfg.incast_threshold;
    this.clientRpcs.set(id, rpc);
    this.track(rpc);
    this.counters['client_requests_started']!++;
    this.tx.startMessage(rpc, this.cfg.copyPayload ? a.payload ?? null : null, length, this.cfg.unsched_bytes);
    if (a.notifyId) qp.post(this.completion(CompletionType.ACCEPTED, rpc, 0, 0), false);
    return id;
  }

  startReply(qp: QueuePair, a: ReplyArgs): void {
    const length = a.payload ? a.payload.length : a.length ?? 0;
    if (length <= 0 || length > HOMA_MAX_MESSAGE_LENGTH) throw new Error(`reply length ${length} (EINVAL, §2.2)`);
    const rpc = this.serverRpc(qp, a.id, a.peer, a.dport ?? 0);
    if (!rpc) {
      // RPC gone: silently ignored (§2.2). The bytes will never be read, so say so at once.
      if (a.notifyTxDone) {
        qp.post({ type: CompletionType.TX_DONE, id: a.id, cookie: 0, peer: a.peer ?? new Uint8Array(this.cfg.address.length),
          peerPort: a.dport ?? 0, length, error: 0, bpageOffsets: [] }, false);
      }
      return;
    }
    if (rpc.state !== RpcState.IN_SERVICE) throw new Error(`reply to RPC ${a.id} not in service (EINVAL, §2.2)`);
    rpc.notifyTxDone = a.notifyTxDone ?? false;
    rpc.state = RpcState.OUTGOING;
    this.counters['server_responses_started']!++;
    const unsched = rpc.incast ? Math.min(this.cfg.incast_unsched_bytes, this.cfg.unsched_bytes) : this.cfg.unsched_bytes;
    this.tx.startMessage(rpc, this.cfg.copyPayload ? a.payload ?? null : null, length, unsched);
  }

  private serverRpc(qp: QueuePair, id: number, peer: Uint8Array | undefined, dport: number): Rpc | undefined {
    if (peer) {
      const r = this.peers.get(addrKey(peer))?.serverRpcs.get(id);
      return isServerRpcOf(r, qp, dport) ? r : undefined;
    }
    for (const p of this.peers.values()) {                        // no address: first match (see ReplyArgs)
      const r = p.serverRpcs.get(id);
      if (isServerRpcOf(r, qp, dport)) return r;
    }
    return undefined;
  }

  abort(qp: QueuePair, id: number, error: number): void {
    const victims = id === 0 ? [...this.clientRpcs.values()].filter((r) => r.qp === qp) : [this.clientRpcs.get(id)].filter((r) => r?.qp === qp);
    for (const r of victims) {
      if (!r) continue;
      if (error !== 0) this.failClientRpc(r, error);
      else this.freeRpc(r);
    }
  }

  buffersReturned(qp: QueuePair): void { this.receiver.buffersReturned(qp); }

  // ---- dispatch (§3.5 homa_dispatch_pkts) ----

  private dispatch(peer: Peer, ip: { readonly saddr: Uint8Array }, p: HomaPacket, frame: Uint8Array): void {
    const sid = Number(p.sender_id);
    const localId = sid % 2 === 0 ? sid + 1 : sid - 1;            // our id = sender's id XOR 1 (§1.2)
    const weAreClient = localId % 2 === 0;
    // homa_dispatch_pkts: no socket at dport, or a packet for a server RPC on a socket that is
    // not a server: ICMP port unreachable, and the packet goes no further than the counters below.
    // (The model's CUTOFFS carry sender_id 0 where HomaModule's carry the RPC's id: they name no
    // RPC, so they are not taken for a server RPC's.)
    const qp = this.queuePairs.get(p.dport);
    const refused = qp === undefined || (!weAreClient && !qp.server && !(p.type === HomaType.CUTOFFS && sid === 0));
    if (refused && this.cfg.icmp) this.icmp.portUnreachable(ip.saddr, frame.subarray(ETH_HLEN));
    let rpc = weAreClient ? this.clientRpcs.get(localId) : peer.serverRpcs.get(localId);
    // The RPC must also belong to this peer and these ports: HomaModule finds a client RPC by id
    // alone, which would let any host's packet (a stray or a forged one) land in it.
    if (rpc && (rpc.peer !== peer || rpc.peerPort !== p.sport || rpc.qp.port !== p.dport)) {
      // A server RPC's id is taken for this peer: a packet naming it from another port or to
      // another queue pair is not for it, and must not start a second RPC in its place (the
      // engine's RPC table has one slot per (peer, id)). CUTOFFS and ACK act anyway (§3.5).
      if (!weAreClient && p.type !== HomaType.CUTOFFS && p.type !== HomaType.ACK) { this.counters['unknown_rpcs']!++; return; }
      rpc = undefined;
    }
    if (!rpc && p.type === HomaType.DATA && !weAreClient) {
      rpc = this.createServerRpc(peer, localId, p.sport, p.dport, (p.pad & 1) !== 0);
      if (!rpc) return;                                             // counted by createServerRpc
    }
    // homa_dispatch_pkts (§3.5): a packet naming no RPC is dropped, and counted in unknown_rpcs
    // unless it is a GRANT to a server, or one that acts without an RPC; only packets that reach
    // their handler count in packets_rcvd_* (as HomaModule's INC_METRIC calls sit).
    if (!rpc && !ACTS_WITHOUT_RPC.has(p.type)) {
      if (p.type !== HomaType.GRANT || weAreClient) this.counters['unknown_rpcs']!++;
      else this.counters['unknown_grants']!++;
      return;
    }
    if (refused && this.cfg.icmp) return;
    this.counters[RCVD_KEY[p.type]!]!++;
    switch (p.type) {
      case HomaType.DATA: {
        if (p.ack.client_id !== 0n) this.acks.acked(peer, Number(p.ack.client_id) + 1, p.ack.server_port);
        this.receiver.data(rpc!, p);
        this.maybeSendCutoffs(peer, p.cutoff_version, p.dport, p.sport);
        return;
      }
      case HomaType.GRANT:
        if (rpc) { rpc.silentTicks = 0; this.tx.grant(rpc, p.offset, p.priority); }
        return;                                                    // GRANT for unknown RPC: dropped (§3.1)
      case HomaType.RESEND:
        if (!rpc) { this.sendBareTo(peer, HomaType.RPC_UNKNOWN, p.dport, p.sport, localId); return; }  // answered, not counted (§3.5)
        this.tx.resend(rpc, p);                                     // (RESEND doesn't reset silent_ticks, §3.5)
        return;
      case HomaType.RPC_UNKNOWN:
        if (!rpc) return;
        if (rpc.isClient) {
          // §3.5: a client still sending restarts: everything sent so far, unscheduled priority.
          if (rpc.state === RpcState.OUTGOING) this.tx.retransmit(rpc, 0, rpc.nextXmit, this.unschedPriority(rpc.peer, rpc.outLength));
        } else {
          this.freeRpc(rpc);
        }
        return;
      case HomaType.BUSY:
        if (rpc) rpc.silentTicks = 0;
        return;
      case HomaType.CUTOFFS:
        for (let i = 0; i < 8; i++) peer.cutoffs[i] = p.unsched_cutoffs[i]!;
        peer.cutoffs[0] = INT_MAX;                                   // §3.3
        peer.cutoffVersion = p.cutoff_version;
        return;
      case HomaType.NEED_ACK:
        if (rpc && rpc.isClient && !rpc.inComplete) { this.receiver.sendResends(rpc); return; }   // §3.6
        if (weAreClient) this.acks.replyToNeedAck(peer, p.dport, p.sport, localId);
        return;
      case HomaType.ACK:
        this.acks.ackPacket(peer, p, localId);
        return;
      default:
        return;                                                      // FREEZE: ignored
    }
  }

  private createServerRpc(peer: Peer, id: number, sport: number, dport: number, incast: boolean): Rpc | undefined {
    // Acked already (acks.ts): the packet reached the DATA handler, which discards it.
    if (peer.ackedIds.has(id)) { this.counters['packets_rcvd_DATA']!++; this.counters['packet_discards']!++; return undefined; }
    const qp = this.queuePairs.get(dport);
    if (!qp || !qp.server) {
      // Counted here; dispatch() has answered with ICMP port unreachable (§2, §3.5).
      this.counters['requests_to_non_server']!++;
      return undefined;
    }
    const rpc = new Rpc(id, false, qp, peer, sport, RpcState.INCOMING);
    rpc.incast = incast;
    peer.serverRpcs.set(id, rpc);
    this.track(rpc);
    return rpc;
  }

  /** Receiver: a sender with a stale cutoff_version gets our CUTOFFS, once per tick (§3.3). */
  private maybeSendCutoffs(peer: Peer, version: number, sport: number, dport: number): void {
    const jiffy = Math.floor(this.now() / (this.cfg.tick_usecs * 1e6));
    if (version === this.cfg.cutoff_version || peer.lastCutoffsTick === jiffy) return;
    peer.lastCutoffsTick = jiffy;
    this.sendControl(peer, cutoffsPacket(sport, dport, 0n, this.cutoffs, this.cfg.cutoff_version));
  }

  // ---- RPC life ----

  private track(rpc: Rpc): void {
    this.rpcs.add(rpc);
    this.armTick();
  }
  /** Keep the 1 ms tick running (it stops when there is nothing to time). */
  armTick(): void {
    if (this.tickTimer || !this.port) return;
    this.tickTimer = this.port.at(this.now() + this.cfg.tick_usecs * 1e6, () => {
      this.tickTimer = null;
      tick(this);
      this.acks.expireTombstones();
      if (this.rpcs.size > 0 || this.acks.tombstones > 0) this.armTick();
    });
  }

  /** The last byte of a message went to the wire. */
  messageSent(rpc: Rpc): void {
    if (!rpc.isClient) rpc.doneTicks = 0;                            // NEED_ACK countdown (§3.6)
  }

  failClientRpc(rpc: Rpc, error: number): void {
    rpc.qp.post(this.completion(CompletionType.ERROR, rpc, 0, error), rpc.private_);
    this.freeRpc(rpc);
  }

  /** Forget an RPC; bpages it still holds go back to the pool (§4: failed RPCs' bpages are freed). */
  freeRpc(rpc: Rpc): void {
    if (rpc.state === RpcState.DEAD) return;
    rpc.state = RpcState.DEAD;
    this.rpcs.delete(rpc);
    if (rpc.isClient) this.clientRpcs.delete(rpc.id);
    else rpc.peer.serverRpcs.delete(rpc.id);
    this.tx.remove(rpc);
    this.grants.remove(rpc);
    this.grants.uncharge(rpc);
    this.receiver.unwait(rpc);
    if (rpc.bpages) {
      for (const o of rpc.bpages) rpc.qp.pool.release(o);
      rpc.bpages = null;
      if (!rpc.qp.closed) this.receiver.buffersReturned(rpc.qp);
    }
    rpc.bufState = BufState.NONE;
    // The message's bytes are never read again: no packet and no retransmission is left to
    // send (ABI TX_DONE: a client's RPC ended; a server's response was acknowledged or freed).
    rpc.outPayload = null;
    if (rpc.notifyTxDone && rpc.outLength >= 0) rpc.qp.post(this.completion(CompletionType.TX_DONE, rpc, rpc.outLength, 0), false);
  }

  private completion(type: CompletionTypeCode, rpc: Rpc, length: number, error: number): Completion {
    return { type, id: rpc.id, cookie: rpc.cookie, peer: rpc.peer.addr, peerPort: rpc.peerPort, length, error, bpageOffsets: [] };
  }

  // ---- packets out ----

  peerFor(addr: Uint8Array): Peer {
    const key = addrKey(addr);
    let p = this.peers.get(key);
    if (!p) {
      if (addr.length !== this.cfg.address.length) throw new Error(`peer address family differs from the NIC's (EINVAL)`);
      p = new Peer(addr, this.cfg.macOf(addr));
      this.peers.set(key, p);
    }
    return p;
  }

  /** Sender's unscheduled level: highest i with cutoffs[i] >= length (§3.3 homa_unsched_priority). */
  unschedPriority(peer: Peer, length: number): number {
    for (let i = this.cfg.num_priorities - 1; i >= 0; i--) if (peer.cutoffs[i]! >= length) return i;
    return 0;
  }

  /** Encode a frame to `peer` at internal level `priority` (mapped by priority_map, §1.5). */
  frame(peer: Peer, priority: number, p: HomaPacket): Uint8Array {
    const cfg = this.cfg;
    const ip = this.ipFields;                                       // reused: encode copies it into the frame
    ip.priority = cfg.priority_map[priority]! & 7;
    ip.daddr = peer.addr;
    this.counters[SENT_KEY[p.type]!]!++;
    this.counters[PRIO_PACKETS[priority]!]!++;
    const f = encodeFrame(peer.mac, this.srcMac, ip, p, this.encodeOptions);
    const sp = this.frameSlab;
    if (sp !== null && f.buffer === sp.buffer) {
      const slot = f.byteOffset >> SLOT_SHIFT;
      sp.packets[slot] = p;
      sp.senders[slot] = this.sender;
    }
    this.counters[PRIO_BYTES[priority]!]! += f.length;
    return f;
  }

  /** Control packets travel at the top level (§1.5) ahead of DATA. */
  sendControl(peer: Peer, p: HomaPacket): void {
    this.tx.queueControl(this.frame(peer, this.cfg.num_priorities - 1, p));
  }
  sendBare(rpc: Rpc, type: BareControlPacket['type']): void {
    this.sendControl(rpc.peer, bareControl(type, rpc.qp.port, rpc.peerPort, rpc.wireId));
  }
  private sendBareTo(peer: Peer, type: BareControlPacket['type'], sport: number, dport: number, id: number): void {
    this.sendControl(peer, bareControl(type, sport, dport, BigInt(id)));
  }

  zeroPayload(n: number): Uint8Array {
    if (n > this.zeros.length) { this.zeros = new Uint8Array(n); this.zeroViews.length = 0; }
    // Views by length, made once: nothing writes them, and most DATA packets are full-sized.
    let v = this.zeroViews[n];
    if (v === undefined) { v = this.zeros.subarray(0, n); this.zeroViews[n] = v; }
    return v;
  }

  // ---- inspection ----

  /** Bpages holding message data across all queue pairs (0 when everything was returned). */
  bpagesInUse(): number {
    let n = 0;
    for (const qp of this.queuePairs.values()) n += qp.pool.bpagesInUse;
    return n;
  }
  get liveRpcs(): number { return this.rpcs.size; }
  /** Remembered ids of acknowledged server RPCs (expire after timeout_ticks). */
  get tombstones(): number { return this.acks.tombstones; }
}
