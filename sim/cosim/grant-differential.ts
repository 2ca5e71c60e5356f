import { bench, Rng } from '../../hw/lib/testing.ts';
import { defaultTunables } from '../../hw/homa/abi.ts';
import { GrantScheduler } from '../model/grants.ts';
import type { Rpc } from '../model/rpc.ts';
import type { ModelNic } from '../model/nic.ts';
import type { GrantPacket } from '../../hw/homa/wire/index.ts';
import { ENGINE_CONFIGS, engineWidths, rpcSlots, type EngineConfig } from '../../hw/homa/engine/config.ts';
import { grantSched } from '../../hw/homa/engine/grant_sched.ts';

// sim/cosim/grant-differential.ts — the grant scheduler's decision differential: the reference model's grant scheduler
// (sim/model/grants.ts, driven with the model receiver's bookkeeping) and the RTL block are
// fed the same DATA arrivals; they must issue the same GRANTs (RPC, offset, priority) in the
// same order. The arrivals come from senders that send what they are granted, closed-loop on
// the reference's grants, so the sequence is the reference's own. The first divergence is
// reported with the index of the packet that caused it.

export interface Tun { max_incoming: number; max_overcommit: number; window: number; max_sched_prio: number }
interface Msg { slot: number; peer: number; length: number; id: bigint; sport: number; sent: number; granted: number; waiting: boolean; rpc: Rpc }
export interface Event { slot: number; peer: number; first: number; accept: number; waiting: number; complete: number; length: number; incoming: number; received: number; id: bigint; sport: number }
export interface Grant { id: bigint; offset: number; priority: number; event: number }

const UNSCHED = 40_000;
const PKT = 1_400;

/** The model's receiver bookkeeping (receiver.ts data()) around its GrantScheduler. */
export class Reference {
  readonly grants: Grant[] = [];
  private birth = 0;
  private event = 0;
  readonly sched: GrantScheduler;
  constructor(tun: Tun) {
    const cfg = { ...defaultTunables(), ...tun, grant_fifo_fraction: 0 };
    const nic = {
      cfg, counters: { max_grantable_rpcs: 0, fifo_grant_bytes: 0 }, maxSchedPrio: tun.max_sched_prio, now: () => 0,
      port: { at: () => { throw new Error('no timers here'); } },
      sendControl: (_peer: unknown, p: GrantPacket) => this.grants.push({ id: p.sender_id, offset: p.offset, priority: p.priority, event: this.event }),
    };
    this.sched = new GrantScheduler(nic as unknown as ModelNic);
  }
  arrive(m: Msg, e: Event, index: number): void {
    this.event = index;
    const r = m.rpc;
    if (e.first) { r.inLength = e.length; r.inGranted = Math.min(e.incoming, e.length); r.inBirth = this.birth++; }
    else if (e.incoming > r.inGranted && r.inGranted < r.inLength) r.inGranted = Math.min(e.incoming, r.inLength);
    if (e.waiting) { this.sched.charge(r); return; }
    if (!e.accept) return;
    r.bytesReceived = e.received;
    this.sched.charge(r);
    if (e.complete) { this.sched.remove(r); this.sched.uncharge(r); } else if (r.inGranted < r.inLength) this.sched.add(r);
    if (this.sched.grantable.length > 0) this.sched.check();
  }
}

/** An Rpc as GrantScheduler reads it; messages of one peer share its Peer (activeCount). */
function fakeRpc(m: { peer: number; id: bigint; sport: number }, peers: Map<number, { activeCount: number }>): Rpc {
  let peer = peers.get(m.peer);
  if (!peer) { peer = { activeCount: 0 }; peers.set(m.peer, peer); }
  const r = {
    inLength: -1, inGranted: 0, bytesReceived: 0, inBirth: 0, incomingCharge: 0, grantSlot: -1, peer,
    qp: { port: 100 }, peerPort: m.sport, wireId: m.id,
    get inComplete() { return this.inLength >= 0 && this.bytesReceived === this.inLength; },
  };
  return r as unknown as Rpc;
}

export interface Scenario { name: string; tun: Tun; messages: (rng: Rng) => { peer: number; length: number; waiting?: boolean }[]; dupChance: number }

/** The arrivals, closed-loop on the reference's grants; returns events and the reference's grants. */
export function plan(c: EngineConfig, s: Scenario, seed: number): { events: Event[]; grants: Grant[]; total: number } {
  const rng = new Rng(seed);
  const ref = new Reference(s.tun);
  const used = new Set<number>();
  const peers = new Map<number, { activeCount: number }>();
  const msgs: Msg[] = s.messages(rng).map((x, i) => {
    let slot: number;
    do slot = rng.range(0, rpcSlots(c) - 1); while (used.has(slot));
    used.add(slot);
    const id = BigInt(2 * i + 1);
    const sport = 1000 + x.peer;
    return { slot, peer: x.peer, length: x.length, id, sport, sent: 0, granted: Math.min(UNSCHED, x.length), waiting: x.waiting ?? false, rpc: fakeRpc({ peer: x.peer, id, sport }, peers) };
  });
  const byId = new Map(msgs.map((m) => [m.id, m]));
  const events: Event[] = [];
  let seen = 0;
  for (;;) {
    const ready = msgs.filter((m) => m.sent < m.granted && !(m.waiting && m.sent > 0));
    if (ready.length === 0) break;
    const m = ready[rng.range(0, ready.length - 1)]!;
    const dup = m.sent > 0 && rng.chance(s.dupChance);
    const n = Math.min(PKT, m.granted - m.sent);
    const received = dup ? m.sent : m.sent + n;
    const e: Event = {
      slot: m.slot, peer: m.peer, first: m.sent === 0 && !dup ? 1 : 0, accept: m.waiting || dup ? 0 : 1, waiting: m.waiting ? 1 : 0,
      complete: !m.waiting && !dup && received === m.length ? 1 : 0, length: m.length, incoming: m.granted, received: m.waiting ? 0 : received,
      id: m.id, sport: m.sport,
    };
    if (!dup) m.sent += n;
    events.push(e);
    ref.arrive(m, e, events.length - 1);
    for (; seen < ref.grants.length; seen++) {
      const g = ref.grants[seen]!;
      const to = byId.get(g.id)!;
      to.granted = Math.max(to.granted, g.offset);
    }
  }
  return { events, grants: ref.grants, total: ref.sched.totalIncoming };
}

export async function agree(c: EngineConfig, engine: string, s: Scenario, seed: number): Promise<number> {
  const { events, grants: want, total: refTotal } = plan(c, s, seed);
  const { tb } = await bench(grantSched(c), engine);
  for (const [k, v] of Object.entries(defaultTunables())) if (!Array.isArray(v)) { try { tb.set(`tun.${k}`, v); } catch { /* not mirrored */ } }
  for (const [k, v] of Object.entries(s.tun)) tb.set(`tun.${k}`, v);
  tb.set('tun.grant_fifo_fraction', 0);                   // FIFO grants run on time, which this differential has none of
  await tb.until(() => tb.get('idle') === 1);              // the window table for these tunables
  const w = engineWidths(c);
  void w;
  const drv = tb.driver('ev', { validProbability: 0.7, seed: seed + 1 });
  const mon = tb.monitor('grant', { readyProbability: 0.8, seed: seed + 2 });
  for (const e of events) {
    drv.push({ ...e, sched: 1, cutoff_version: 0, qp: 0, gen: 0, gone: 0, ipv6: 0, saddr: 0xffff_0a00_0000n + BigInt(e.peer), smac: 0x0200_0000_0000n + BigInt(e.peer), dport: 100 });
  }
  await tb.until(() => drv.pending === 0 && tb.get('idle') === 1, { timeout: 200 * events.length + 100_000 });
  const got = mon.received.map((b) => {
    const g = b as Record<string, bigint | number>;
    return { id: BigInt(g['sender_id']!), offset: Number(g['offset']), priority: Number(g['priority']), dport: Number(g['dport']) };
  });
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const a = got[i]!, b = want[i]!;
    if (a.id !== b.id || a.offset !== b.offset || a.priority !== b.priority) {
      throw new Error(`${s.name}: GRANT ${i} differs (after packet ${b.event} of ${events.length}): RTL id=${a.id} offset=${a.offset} priority=${a.priority}, model id=${b.id} offset=${b.offset} priority=${b.priority}`);
    }
  }
  if (got.length !== want.length) throw new Error(`${s.name}: the RTL issued ${got.length} GRANTs, the model ${want.length} (${events.length} packets)`);
  const total = Number(tb.get('total_incoming'));
  if (total !== refTotal) throw new Error(`${s.name}: total_incoming at the end: RTL ${total}, model ${refTotal}`);
  return want.length;
}

const sizes = (rng: Rng): number => (rng.chance(0.3) ? rng.range(1, UNSCHED) : rng.chance(0.5) ? rng.range(UNSCHED, 200_000) : rng.range(200_000, 1_000_000));
const defaults: Tun = { max_incoming: 400_000, max_overcommit: 8, window: 0, max_sched_prio: 3 };
export const SCENARIOS: Scenario[] = [
  { name: 'random senders and sizes', tun: defaults, dupChance: 0.02, messages: (rng) => Array.from({ length: 24 }, () => ({ peer: rng.range(0, 9), length: sizes(rng) })) },
  { name: 'incast of 16 senders', tun: defaults, dupChance: 0, messages: () => Array.from({ length: 16 }, (_, i) => ({ peer: i, length: 150_000 + 1000 * i })) },
  { name: 'one sender, many messages (fairness rounds)', tun: defaults, dupChance: 0, messages: (rng) => Array.from({ length: 12 }, () => ({ peer: 3, length: rng.range(50_000, 300_000) })) },
  { name: 'two active, fixed window, small max_incoming', tun: { max_incoming: 100_000, max_overcommit: 2, window: 30_000, max_sched_prio: 3 }, dupChance: 0.01,
    messages: (rng) => Array.from({ length: 10 }, () => ({ peer: rng.range(0, 4), length: sizes(rng) })) },
  { name: 'messages waiting for bpages among the rest', tun: defaults, dupChance: 0, messages: (rng) => Array.from({ length: 10 }, (_, i) => ({ peer: rng.range(0, 5), length: sizes(rng), waiting: i % 3 === 0 })) },
];
export const INCAST_256: Scenario = { name: 'incast of 256 senders', tun: defaults, dupChance: 0, messages: () => Array.from({ length: 256 }, (_, i) => ({ peer: i, length: 45_000 + 97 * i })) };

