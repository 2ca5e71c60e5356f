// sim/model/acks.ts — ending RPCs (spec §3.6): the client's per-peer ack buffer, piggy-backed
// and explicit ACKs, the server freeing acknowledged RPCs, and the model's tombstones.
//
// Tombstones (a model addition, see README): HomaModule creates a server RPC for any DATA whose
// RPC it doesn't know, so a duplicate or late retransmitted request packet that arrives after
// the ACK starts the RPC again. The model remembers each acknowledged id for timeout_ticks and
// drops DATA for it, which makes execution at-most-once under duplication as well as loss.

import { ackPacket } from '../../hw/homa/wire/index.ts';
import type { AckPacket, HomaAck } from '../../hw/homa/wire/index.ts';
import type { ModelNic } from './nic.ts';
import type { Peer } from './peer.ts';
import type { Rpc } from './rpc.ts';

const MAX_ACKS = 5;                                   // HOMA_MAX_ACKS_PER_PKT (§1.3)

export class Acks {
  private readonly nic: ModelNic;
  private readonly tombstonePeers = new Set<Peer>();

  constructor(nic: ModelNic) { this.nic = nic; }

  /** Client: the response was delivered; end the RPC and queue its ack (§3.6). */
  clientDone(rpc: Rpc): void {
    const peer = rpc.peer;
    if (peer.acks.length >= MAX_ACKS) {
      // Buffer full: an ACK packet carries the 5 stored acks and, in its header, this RPC.
      this.nic.counters['ack_overflows']!++;
      this.nic.sendControl(peer, ackPacket(rpc.qp.port, rpc.peerPort, rpc.wireId, this.drain(peer)));
    } else {
      peer.acks.push({ clientId: rpc.id, serverPort: rpc.peerPort });
    }
    this.nic.freeRpc(rpc);
  }

  /** Client: NEED_ACK for an RPC we no longer have: ACK it plus any queued acks (§3.6). */
  replyToNeedAck(peer: Peer, sport: number, dport: number, clientId: number): void {
    this.nic.sendControl(peer, ackPacket(sport, dport, BigInt(clientId), this.drain(peer)));
  }

  private drain(peer: Peer): HomaAck[] {
    return peer.acks.splice(0, MAX_ACKS).map((a) => ({ client_id: BigInt(a.clientId), server_port: a.serverPort }));
  }

  /** Server: an ACK packet ends the RPC in its header and each one listed (§3.6). */
  ackPacket(peer: Peer, p: AckPacket, localId: number): void {
    if (localId % 2 === 1) {
      const r = peer.serverRpcs.get(localId);
      if (r && r.qp.port === p.dport) this.retire(r);
    }
    for (const a of p.acks) this.acked(peer, Number(a.client_id) + 1, a.server_port);
  }

  /** Server: the client acknowledged RPC `serverId` (client id | 1) on `serverPort`. */
  acked(peer: Peer, serverId: number, serverPort: number): void {
    const r = peer.serverRpcs.get(serverId);
    if (r && r.qp.port === serverPort) this.retire(r);
  }

  private retire(r: Rpc): void {
    this.nic.freeRpc(r);
    this.tombstonePeers.add(r.peer);
    // Deleted first so the map stays in expiry order (expireTombstones stops at the first live one).
    r.peer.ackedIds.delete(r.id);
    r.peer.ackedIds.set(r.id, this.nic.ticks + this.nic.cfg.timeout_ticks);
    this.nic.armTick();
  }

  /** Drop tombstones older than timeout_ticks (every tick). */
  expireTombstones(): void {
    const now = this.nic.ticks;
    for (const peer of this.tombstonePeers) {
      for (const [id, until] of peer.ackedIds) {
        if (until > now) break;                                       // the rest expire later (insertion order)
        peer.ackedIds.delete(id);
      }
      if (peer.ackedIds.size === 0) this.tombstonePeers.delete(peer);
    }
  }

  get tombstones(): number {
    let n = 0;
    for (const p of this.tombstonePeers) n += p.ackedIds.size;
    return n;
  }
}
