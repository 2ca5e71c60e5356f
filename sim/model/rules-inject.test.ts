// sim/model/rules-inject.test.ts — rules that need several peers or hand-made packets: frames
// are built with the wire codec and fed straight into one NIC; what it sends is pulled and
// decoded. Grant fairness and priorities (§3.2), unknown-RPC dispatch (§3.5), server discard
// on timeout (§3.5).
import { describe, expect, test } from 'vitest';
import { bareControl, dataPacket, decodeFrame, encodeFrame, grantPacket, HomaType, resendPacket } from '../../hw/homa/wire/index.ts';
import type { GrantPacket, HomaPacket } from '../../hw/homa/wire/index.ts';
import type { ModelConfig } from './config.ts';
import { lonelyNic } from './testing.ts';
import { CompletionType } from './types.ts';

const ME = new Uint8Array([10, 0, 0, 100]);
const peerAddr = (i: number): Uint8Array => new Uint8Array([10, 0, 1, i]);
const MS = 1e9;

function setup(cfg: Partial<ModelConfig> = {}) {
  const { q, nic, qp, done } = lonelyNic(ME, cfg);
  const send = (from: number, pkt: HomaPacket): void => {
    nic.receive(encodeFrame(1, 2, { version: 4, priority: 0, flow: 0, ttl: 64, protocol: 146, saddr: peerAddr(from), daddr: ME }, pkt));
  };
  const out = (): { to: number; pkt: HomaPacket }[] => {
    const r: { to: number; pkt: HomaPacket }[] = [];
    for (let f = nic.pull(); f; f = nic.pull()) {
      const d = decodeFrame(f);
      if (d.ok) r.push({ to: d.ip.daddr[3]!, pkt: d.packet });
    }
    return r;
  };
  return { q, nic, qp, send, out, done };
}

/** First (unscheduled) packet of a request of `length` from client `from` with client id `id`. */
const firstPacket = (id: number, length: number, incoming = 40000) =>
  dataPacket(40000, 99, BigInt(id), { message_length: length, incoming: Math.min(incoming, length), offset: 0, payload: new Uint8Array(1424), cutoff_version: 1 });

describe('grant scheduler with several senders (§3.2)', () => {
  test('every sender gets an active slot before any gets a second', () => {
    const s = setup({ max_overcommit: 3, grant_fifo_fraction: 0, max_incoming: 10_000_000, window: 50000 });
    // Peer 1 has five short messages, peers 2 and 3 one long message each.
    for (let i = 0; i < 5; i++) s.send(1, firstPacket(2 + 2 * i, 100000 + i));
    s.send(2, firstPacket(2, 900000));
    s.send(3, firstPacket(2, 800000));
    const active = s.nic.grants.activeSet;
    expect(active.map((r) => r.peer.addr[3])).toEqual([1, 3, 2]);      // one each, best first
    // Without fairness the active set would be three of peer 1's shorter messages.
    const grants = s.out().filter((o) => o.pkt.type === HomaType.GRANT);
    expect(new Set(grants.map((g) => g.to))).toEqual(new Set([1, 2, 3]));
  });
  test('grant priority by rank: max_sched_prio - rank when all levels are in use', () => {
    const s = setup({ max_overcommit: 4, grant_fifo_fraction: 0, max_incoming: 10_000_000, window: 10000 });
    for (let i = 0; i < 4; i++) s.send(1 + i, firstPacket(2, 100000 * (i + 1), 1424));
    s.out();
    // A second packet for each message: each is topped up again, at its rank's level.
    for (let i = 3; i >= 0; i--) {
      s.send(1 + i, dataPacket(40000, 99, 2n, { message_length: 100000 * (i + 1), incoming: 1424, offset: 1424, payload: new Uint8Array(1424), cutoff_version: 1 }));
    }
    const grants = s.out().filter((o) => o.pkt.type === HomaType.GRANT);
    const last = new Map<number, number>();
    for (const g of grants) last.set(g.to, (g.pkt as GrantPacket).priority);
    // Shortest (peer 1) ranks first and gets level 3; then 2, 1, 0 (max_sched_prio = 3).
    expect([1, 2, 3, 4].map((p) => last.get(p))).toEqual([3, 2, 1, 0]);
  });
  test('with one active message the lowest scheduled level is used', () => {
    const s = setup();
    s.send(1, firstPacket(2, 500000));
    const g = s.out().filter((o) => o.pkt.type === HomaType.GRANT);
    expect(g.length).toBe(1);
    expect((g[0]!.pkt as GrantPacket).priority).toBe(0);
    expect((g[0]!.pkt as GrantPacket).offset).toBe(1424 + 200000);     // received + window (400000 / 2)
  });
});

describe('server RPCs are keyed by (id, client address, port) (§1.2)', () => {
  test('two clients using the same id get their own responses', () => {
    const s = setup();
    for (const from of [1, 2]) {
      s.send(from, dataPacket(40000, 99, 2n, { message_length: 10, incoming: 10, offset: 0, payload: new Uint8Array(10).fill(from), cutoff_version: 1 }));
    }
    expect(s.done.map((c) => [c.id, c.peer[3]])).toEqual([[3, 1], [3, 2]]);
    for (const c of s.done) s.qp.sendReply({ id: c.id, peer: c.peer, length: 100 * c.peer[3]!, payload: new Uint8Array(100 * c.peer[3]!) });
    const data = s.out().filter((o) => o.pkt.type === HomaType.DATA);
    expect(data.map((o) => [o.to, o.pkt.type === HomaType.DATA && o.pkt.message_length])).toEqual([[1, 100], [2, 200]]);
  });
});

describe('CUTOFFS (§3.3)', () => {
  test('a stale cutoff_version gets our CUTOFFS at most once per tick per peer', () => {
    const s = setup();
    const stale = (id: number) => dataPacket(40000, 99, BigInt(id), { message_length: 10, incoming: 10, offset: 0, payload: new Uint8Array(10), cutoff_version: 0 });
    for (let i = 0; i < 5; i++) s.send(1, stale(2 + 2 * i));
    s.send(2, stale(2));
    let cut = s.out().filter((o) => o.pkt.type === HomaType.CUTOFFS);
    expect(cut.map((o) => o.to)).toEqual([1, 2]);
    expect(cut[0]!.pkt.type === HomaType.CUTOFFS && cut[0]!.pkt.cutoff_version).toBe(1);
    s.q.run(1.5 * MS);
    s.send(1, stale(20));
    cut = s.out().filter((o) => o.pkt.type === HomaType.CUTOFFS);
    expect(cut.length).toBe(1);
  });
});

describe('dispatch of packets for unknown RPCs (§3.5)', () => {
  test('RESEND -> RPC_UNKNOWN, NEED_ACK -> ACK, GRANT dropped, CUTOFFS applied', () => {
    const s = setup();
    s.send(1, resendPacket(40000, 99, 8n, 0, 100, 7));
    s.send(1, bareControl(HomaType.NEED_ACK, 40000, 99, 11n));
    s.send(1, grantPacket(40000, 99, 12n, 5000, 1));
    const o = s.out();
    expect(o.map((x) => x.pkt.type)).toEqual([HomaType.RPC_UNKNOWN, HomaType.ACK]);
    expect(o[0]!.pkt.sender_id).toBe(9n);                               // our id for client id 8
    expect(o[1]!.pkt.sender_id).toBe(10n);                              // the client's id for server id 11
    expect(s.done.length).toBe(0);
  });
});

describe('server RPC discarded when the client goes silent (§3.5)', () => {
  test('RESENDs every resend_interval after resend_ticks, then discard at timeout_ticks', () => {
    const s = setup();
    s.send(1, firstPacket(2, 100000));
    s.out();
    const resendTimes: number[] = [];
    const poll = (): void => {
      for (const o of s.out()) if (o.pkt.type === HomaType.RESEND) resendTimes.push(Math.round(s.q.now / MS));
      if (s.q.now < 200 * MS) s.q.at(s.q.now + MS / 2, poll);
    };
    poll();
    s.q.run(200 * MS);
    expect(resendTimes.slice(0, 3)).toEqual([5, 10, 15]);
    expect(resendTimes.every((t) => t < 100)).toBe(true);
    expect(s.nic.liveRpcs).toBe(0);
    expect(s.nic.counters['server_rpc_discards']).toBe(1);
    expect(s.nic.bpagesInUse()).toBe(0);
    expect(s.done.filter((c) => c.type === CompletionType.REQUEST).length).toBe(0);
  });
});
