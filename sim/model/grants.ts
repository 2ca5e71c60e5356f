// sim/model/grants.ts — the receiver's grant scheduler (spec §3.2).
//
// Grantable messages (buffers allocated, not fully granted) are ranked by bytes not yet
// received, ties to the older. At most max_overcommit of them are active, chosen so every
// sender gets one active slot before any gets a second. Each active message is topped up to
// received + window (window fixed, or max_incoming / (active + 1) when 0), clipped to its
// length and to the headroom under max_incoming; headroom goes in rank order, so needy
// messages are served SRPT-first when it returns. Grant priorities leave the top scheduled
// levels free when few messages are active. FIFO grants give grant_fifo_fraction of the link
// to the oldest message, fifo_grant_increment bytes at a time.

import { grantPacket } from '../../hw/homa/wire/index.ts';
import type { TimerHandle } from '../net/endpoint.ts';
import type { ModelNic } from './nic.ts';
import type { Rpc } from './rpc.ts';

/**
 * Insertion sort: stable, as Array.prototype.sort is, so both give the same order for the
 * same comparator. The grantable list is kept in the order of the previous check and only a
 * few messages' ranks move between checks, so this is close to one pass over the list.
 */
function sortStable(a: Rpc[], cmp: (x: Rpc, y: Rpc) => number): void {
  for (let i = 1; i < a.length; i++) {
    const x = a[i]!;
    let j = i - 1;
    if (cmp(a[j]!, x) <= 0) continue;
    do { a[j + 1] = a[j]!; j--; } while (j >= 0 && cmp(a[j]!, x) > 0);
    a[j + 1] = x;
  }
}

export class GrantScheduler {
  private readonly nic: ModelNic;
  readonly grantable: Rpc[] = [];
  /** Σ over incoming messages of granted − received (§3.2 total_incoming). */
  totalIncoming = 0;
  private readonly active: Rpc[] = [];
  private fifoTimer: TimerHandle | null = null;

  constructor(nic: ModelNic) { this.nic = nic; }

  /** The active set chosen by the last check, best first (for inspection and tests). */
  get activeSet(): readonly Rpc[] { return this.active; }

  /** Re-account an incoming message's share of total_incoming. */
  charge(rpc: Rpc): void {
    const c = rpc.inComplete ? 0 : Math.max(0, rpc.inGranted - rpc.bytesReceived);
    this.totalIncoming += c - rpc.incomingCharge;
    rpc.incomingCharge = c;
  }
  uncharge(rpc: Rpc): void {
    this.totalIncoming -= rpc.incomingCharge;
    rpc.incomingCharge = 0;
  }

  add(rpc: Rpc): void {
    if (rpc.grantSlot >= 0 || rpc.inGranted >= rpc.inLength) return;
    rpc.grantSlot = this.grantable.length;
    this.grantable.push(rpc);
    const n = this.grantable.length;
    if (n > this.nic.counters['max_grantable_rpcs']!) this.nic.counters['max_grantable_rpcs'] = n;
    this.armFifo();
  }

  remove(rpc: Rpc): void {
    const i = rpc.grantSlot;
    if (i < 0) return;
    const last = this.grantable.pop()!;
    if (last !== rpc) { this.grantable[i] = last; last.grantSlot = i; }
    rpc.grantSlot = -1;
  }

  private static outranks(a: Rpc, b: Rpc): number {
    return (a.inLength - a.bytesReceived) - (b.inLength - b.bytesReceived) || a.inBirth - b.inBirth;
  }

  /** Issue whatever grants are due now (called after DATA arrives and when headroom returns). */
  check(): void {
    const g = this.grantable;
    if (g.length === 0) return;
    const cfg = this.nic.cfg;
    const maxActive = Math.min(cfg.max_overcommit, 8);
    sortStable(g, GrantScheduler.outranks);
    for (let i = 0; i < g.length; i++) { g[i]!.grantSlot = i; g[i]!.peer.activeCount = 0; }
    const active = this.active;
    active.length = 0;
    // Fairness across senders: round k admits messages of peers holding fewer than k slots
    // (maxActivePerPeer > 0: no round beyond it, as the SIGCOMM 2018 simulator's one per sender).
    const rounds = cfg.maxActivePerPeer > 0 ? Math.min(maxActive, cfg.maxActivePerPeer) : maxActive;
    for (let round = 1; active.length < maxActive && active.length < g.length && round <= rounds; round++) {
      for (let i = 0; i < g.length && active.length < maxActive; i++) {
        const r = g[i]!;
        if (r.peer.activeCount === round - 1 && !active.includes(r)) { active.push(r); r.peer.activeCount++; }
      }
    }
    sortStable(active, GrantScheduler.outranks);
    const n = active.length;
    const window = cfg.window !== 0 ? cfg.window : Math.floor(cfg.max_incoming / (n + 1));
    const maxSched = this.nic.maxSchedPrio;
    for (let rank = 0; rank < n; rank++) {
      const r = active[rank]!;
      const target = Math.min(r.bytesReceived + window, r.inLength);
      if (target <= r.inGranted) continue;
      const headroom = cfg.max_incoming - this.totalIncoming;
      if (headroom <= 0) break;                                         // the rest are needy
      const newGranted = r.inGranted + Math.min(target - r.inGranted, headroom);
      const prio = Math.max(0, maxSched - rank - Math.max(0, maxSched + 1 - n));
      this.sendGrant(r, newGranted, prio);
    }
  }

  private sendGrant(r: Rpc, offset: number, priority: number): void {
    r.inGranted = offset;
    this.charge(r);
    this.nic.sendControl(r.peer, grantPacket(r.qp.port, r.peerPort, r.wireId, offset, priority));
    if (offset >= r.inLength) this.remove(r);
  }

  /** FIFO ("pity") grants against starvation (§3.2 homa_grant_check_fifo). */
  private armFifo(): void {
    const cfg = this.nic.cfg;
    if (this.fifoTimer || cfg.grant_fifo_fraction <= 0 || cfg.fifo_grant_increment <= 0) return;
    const fraction = Math.min(cfg.grant_fifo_fraction, 500) / 1000;
    const seconds = (cfg.fifo_grant_increment * 8) / (cfg.link_mbps * 1e6 * fraction);
    this.fifoTimer = this.nic.port.at(this.nic.now() + Math.round(seconds * 1e12), () => {
      this.fifoTimer = null;
      this.fifoGrant();
      if (this.grantable.length > 0) this.armFifo();
    });
  }

  private fifoGrant(): void {
    const cfg = this.nic.cfg;
    const n = Math.min(this.grantable.length, cfg.max_overcommit);
    const window = cfg.window !== 0 ? cfg.window : Math.floor(cfg.max_incoming / (n + 1));
    let oldest: Rpc | null = null;
    for (const r of this.grantable) {
      if (r.inGranted - r.bytesReceived > window + 2 * cfg.fifo_grant_increment) continue;  // peer not responding
      if (!oldest || r.inBirth < oldest.inBirth) oldest = r;
    }
    if (!oldest) return;
    const offset = Math.min(oldest.inGranted + cfg.fifo_grant_increment, oldest.inLength);
    this.nic.counters['fifo_grant_bytes']! += offset - oldest.inGranted;
    this.sendGrant(oldest, offset, Math.max(0, cfg.num_priorities - 2));  // homa_high_priority (§1.5)
  }
}
