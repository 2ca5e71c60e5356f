// sim/model/rpc.ts — one RPC's state (spec §3.8): ids, the outgoing message (msgout) and the
// incoming message (msgin) with its gap list, and the timer counters.

import type { Peer } from './peer.ts';
import type { QueuePair } from './queue-pair.ts';

/** RPC states (spec §3.8; values as HomaModule's). */
export const RpcState = { OUTGOING: 5, INCOMING: 6, IN_SERVICE: 8, DEAD: 9 } as const;
export type RpcStateCode = (typeof RpcState)[keyof typeof RpcState];

/** Buffer state of an incoming message (§4). */
export const BufState = { NONE: 0, WAITING: 1, ALLOCATED: 2 } as const;

export class Rpc {
  /** Our id: even for a client RPC, client id | 1 for a server RPC (§1.2). */
  readonly id: number;
  /** The id as the wire carries it (made once, not per packet). */
  readonly wireId: bigint;
  readonly isClient: boolean;
  readonly qp: QueuePair;
  readonly peer: Peer;
  readonly peerPort: number;
  cookie = 0;
  private_ = false;
  /** Post TX_DONE when the NIC is done with the outgoing message's bytes (ABI NOTIFY_TX_DONE). */
  notifyTxDone = false;
  state: RpcStateCode;
  /** Incast hint: request marked by its client (SIGCOMM'18 §3.6), or response to one. */
  incast = false;

  // msgout (§3.1)
  outLength = -1;
  outPayload: Uint8Array | null = null;
  nextXmit = 0;
  unscheduled = 0;
  outGranted = 0;
  schedPriority = 0;
  unschedPriority = 0;
  outBirth = 0;
  /** Index in the sender's sendable list, or -1. */
  sendSlot = -1;

  // msgin (§3.2, §3.5)
  inLength = -1;
  recvEnd = 0;
  /** Missing ranges below recvEnd: [start0, end0, start1, end1, ...], ascending. */
  gaps: number[] = [];
  bytesReceived = 0;
  inGranted = 0;
  inBirth = 0;
  bufState: number = BufState.NONE;
  bpages: number[] | null = null;
  /** Contribution to the receiver's total_incoming (granted - received, §3.2). */
  incomingCharge = 0;
  /** Index in the grant scheduler's grantable list, or -1. */
  grantSlot = -1;
  /** Index in the pool's waiting list, or -1. */
  waitSlot = -1;

  // timers (§3.5, §3.6)
  silentTicks = 0;
  /** Ticks since the whole response went to the wire (server), -1 before. */
  doneTicks = -1;

  constructor(id: number, isClient: boolean, qp: QueuePair, peer: Peer, peerPort: number, state: RpcStateCode) {
    this.id = id;
    this.wireId = BigInt(id);
    this.isClient = isClient;
    this.qp = qp;
    this.peer = peer;
    this.peerPort = peerPort;
    this.state = state;
  }

  get bytesRemaining(): number { return this.inLength - this.bytesReceived; }
  get inComplete(): boolean { return this.inLength >= 0 && this.bytesReceived === this.inLength; }
  get outComplete(): boolean { return this.outLength >= 0 && this.nextXmit >= this.outLength; }

  /**
   * Record that [start, end) arrived (spec §3.5 gap tracking, HomaModule homa_add_packet).
   * Returns false for duplicates, overlaps and out-of-range packets, which are dropped.
   */
  addRange(start: number, end: number): boolean {
    if (end > this.inLength || start >= end) return false;
    if (start >= this.recvEnd) {
      if (start > this.recvEnd) this.gaps.push(this.recvEnd, start);
      this.recvEnd = end;
      this.bytesReceived += end - start;
      return true;
    }
    const g = this.gaps;
    for (let i = 0; i < g.length; i += 2) {
      const gs = g[i]!;
      const ge = g[i + 1]!;
      if (start >= gs && end <= ge) {
        if (start === gs && end === ge) g.splice(i, 2);
        else if (start === gs) g[i] = end;
        else if (end === ge) g[i + 1] = start;
        else g.splice(i, 2, gs, start, end, ge);
        this.bytesReceived += end - start;
        return true;
      }
      if (gs >= end) break;
    }
    return false;
  }

  /**
   * Would [start, end) add a gap (land beyond recvEnd, or split a gap)? False for ranges
   * addRange refuses anyway.
   */
  opensGap(start: number, end: number): boolean {
    if (end > this.inLength || start >= end) return false;
    if (start >= this.recvEnd) return start > this.recvEnd;
    const g = this.gaps;
    for (let i = 0; i < g.length; i += 2) {
      if (start >= g[i]! && end <= g[i + 1]!) return start > g[i]! && end < g[i + 1]!;
    }
    return false;
  }

  /** Every byte below `limit` has arrived. */
  hasAllBelow(limit: number): boolean {
    return this.recvEnd >= limit && (this.gaps.length === 0 || this.gaps[0]! >= limit);
  }
}
