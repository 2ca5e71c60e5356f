// sim/model/peer.ts — what the NIC keeps per remote host (spec §3.8): the unscheduled cutoffs
// that host sent us, the version it last got from us, pending acks, and its server RPCs.

import type { Rpc } from './rpc.ts';

export const INT_MAX = 0x7fffffff;

export interface PendingAck { clientId: number; serverPort: number }

export class Peer {
  readonly addr: Uint8Array;
  readonly mac: number;
  /** Cutoffs this peer (as a receiver) wants us to use; before any CUTOFFS: [7]=0, [6]=INT_MAX (§3.3). */
  readonly cutoffs: number[] = [0, 0, 0, 0, 0, 0, INT_MAX, 0];
  cutoffVersion = 0;
  /** Jiffy (tick-length interval of time) in which we last sent this peer our CUTOFFS (rate limit, §3.3). */
  lastCutoffsTick = -1;
  /** Acks for this peer's server RPCs, at most 5 (§3.6). */
  readonly acks: PendingAck[] = [];
  /** Server RPCs from this peer, by our (odd) id; ids are unique per client host (§1.2). */
  readonly serverRpcs = new Map<number, Rpc>();
  /**
   * Server ids this peer acknowledged recently, with the tick they expire. A late duplicate
   * of a request packet must not start the RPC again (model README, "at-most-once").
   */
  readonly ackedIds = new Map<number, number>();
  /** Scratch for the grant scheduler's per-peer fairness (§3.2). */
  activeCount = 0;

  constructor(addr: Uint8Array, mac: number) {
    this.addr = addr.slice();
    this.mac = mac;
  }
}

/** A Map key for an address: the 32-bit value for IPv4, hex text for IPv6. */
export function addrKey(a: Uint8Array): number | string {
  if (a.length === 4) return ((a[0]! << 24) >>> 0) + (a[1]! << 16) + (a[2]! << 8) + a[3]!;
  let s = '';
  for (let i = 0; i < 16; i++) s += (a[i]! < 16 ? '0' : '') + a[i]!.toString(16);
  return s;
}
