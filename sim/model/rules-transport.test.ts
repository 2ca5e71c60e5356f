// sim/model/rules-transport.test.ts — one test per sending/granting rule, each naming the
// section of homa-protocol.md it checks (§1 wire, §3.1 sender, §3.2 grants, §3.3 cutoffs,
// §3.4 transmit order).
import { describe, expect, test } from 'vitest';
import { HomaType, HOMA_FLAGS, HOMA_URGENT } from '../../hw/homa/wire/index.ts';
import type { DataPacket, GrantPacket } from '../../hw/homa/wire/index.ts';
import { TUNABLES } from '../../hw/homa/abi.ts';
import { modelConfig } from './config.ts';
import { ADDR_B, echoServer, keyed, makePair, recorder, runUntil, SERVER_PORT } from './testing.ts';
import type { Seen } from './testing.ts';
import type { Completion } from './types.ts';

const datas = (seen: Seen[], dir: 'ab' | 'ba'): DataPacket[] =>
  seen.filter((s) => s.dir === dir && s.pkt.type === HomaType.DATA).map((s) => s.pkt as DataPacket);
const grants = (seen: Seen[], dir: 'ab' | 'ba'): GrantPacket[] =>
  seen.filter((s) => s.dir === dir && s.pkt.type === HomaType.GRANT).map((s) => s.pkt as GrantPacket);

function oneRpc(req: number, resp: number, cfg = {}, wireExtra = {}) {
  const rec = recorder(wireExtra);
  const p = makePair(rec.wire, cfg);
  rec.now.q = p.wire.q;
  echoServer(p.server, () => resp);
  const got: Completion[] = [];
  p.client.onCompletion = (c) => { got.push(c); p.client.returnBpages(c.bpageOffsets); };
  const id = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(5, req) });
  runUntil(p, () => got.length > 0);
  return { p, seen: rec.seen, got, id };
}

describe('configuration (§3.9)', () => {
  test('every HomaModule tunable is a config field with its default', () => {
    const cfg = modelConfig({ address: ADDR_B }) as unknown as Record<string, unknown>;
    for (const [name, t] of Object.entries(TUNABLES)) expect(cfg[name], name).toEqual(t.def);
  });
});

describe('wire format of what the model sends (§1.2, §1.4, §1.6, §1.7)', () => {
  test('markers, doff, checksum and offsets on every packet', () => {
    const { seen } = oneRpc(100000, 3000);
    expect(seen.length).toBeGreaterThan(70);
    for (const s of seen) {
      expect(s.pkt.flags).toBe(HOMA_FLAGS);
      expect(s.pkt.urgent).toBe(HOMA_URGENT);
      expect(s.pkt.doff).toBe(s.pkt.type === HomaType.DATA ? 14 << 4 : 5 << 4);
      expect(s.checksumOk).toBe(true);
      if (s.pkt.type === HomaType.DATA) expect(s.pkt.sequence).toBe(s.pkt.seg.offset);     // §7 item 2
      else expect(s.pkt.sequence).toBe(0);
    }
    // §1.4: payload per packet = 1500 - 20 - 56 = 1424, and no packet straddles `unscheduled`.
    const d = datas(seen, 'ab');
    expect(Math.max(...d.map((x) => x.payload.length))).toBe(1424);
    for (const x of d) expect(x.offset < 40000 && x.offset + x.payload.length > 40000).toBe(false);
  });
  test('next_id starts the id counter elsewhere, still even (§1.2, §3.9)', () => {
    const { id } = oneRpc(10, 10, { next_id: [1001, 1] });
    expect(id).toBe(2 ** 32 + 1002);
  });
  test('ids: client ids even from 2, the server sends id + 1 (§1.2)', () => {
    const { seen, id } = oneRpc(10, 10);
    expect(id).toBe(2);
    expect(datas(seen, 'ab')[0]!.sender_id).toBe(2n);
    expect(datas(seen, 'ba')[0]!.sender_id).toBe(3n);
  });
});

describe('sender (§3.1)', () => {
  test('sends min(unsched_bytes, length) before any grant; incoming announces it', () => {
    // A long wire delay so no GRANT can arrive before the unscheduled bytes are out.
    const { seen } = oneRpc(300000, 10, {}, { delayPs: 200e6 });
    const firstGrant = seen.findIndex((s) => s.pkt.type === HomaType.GRANT);
    const before = seen.slice(0, firstGrant).filter((s) => s.dir === 'ab' && s.pkt.type === HomaType.DATA).map((s) => s.pkt as DataPacket);
    expect(before.reduce((n, x) => n + x.payload.length, 0)).toBe(40000);
    for (const x of before) expect(x.incoming).toBe(40000);
    const after = datas(seen, 'ab').filter((x) => x.offset >= 40000);
    expect(after.length).toBeGreaterThan(0);
  });
  test('a message shorter than unsched_bytes needs no grant', () => {
    const { seen } = oneRpc(30000, 10);
    expect(grants(seen, 'ba').length).toBe(0);
    expect(datas(seen, 'ab')[0]!.incoming).toBe(30000);
  });
});

describe('receiver grants (§3.2)', () => {
  test('window = max_incoming / (active + 1); granted - received never exceeds it; priority per rank', () => {
    const { p, seen, got } = oneRpc(1_000_000, 10);
    expect(got.length).toBe(1);
    const g = grants(seen, 'ba');
    expect(g.length).toBeGreaterThan(0);
    expect(g[g.length - 1]!.offset).toBe(1_000_000);
    // One active message: window 200,000; priority = max_sched_prio - 0 - (3 + 1 - 1) = 0.
    let received = 0;
    for (const s of seen) {
      if (s.dir === 'ab' && s.pkt.type === HomaType.DATA) received += s.pkt.payload.length;
      if (s.dir === 'ba' && s.pkt.type === HomaType.GRANT) {
        expect(s.pkt.offset - received).toBeLessThanOrEqual(200_000);
        expect(s.pkt.priority).toBe(0);
      }
    }
    expect(p.b.maxSchedPrio).toBe(3);
  });
  test('SRPT with overcommit 1: the shortest incoming message gets every grant first', () => {
    const rec = recorder({ delayPs: 2e6 });
    const p = makePair(rec.wire, { max_overcommit: 1, grant_fifo_fraction: 0 });
    echoServer(p.server, () => 10);
    const done: number[] = [];
    p.client.onCompletion = (c) => { done.push(c.id); p.client.returnBpages(c.bpageOffsets); };
    const big = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 600000) });
    const small = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(2, 200000) });
    runUntil(p, () => done.length === 2);
    const g = grants(rec.seen, 'ba');
    const lastSmall = g.map((x) => Number(x.sender_id)).lastIndexOf(small + 1);
    const firstBig = g.map((x) => Number(x.sender_id)).indexOf(big + 1);
    expect(firstBig).toBeGreaterThan(lastSmall);
    expect(done).toEqual([small, big]);
  });
  test('max_incoming caps granted-but-unreceived bytes across messages', () => {
    const rec = recorder({ delayPs: 5e6 });
    const p = makePair(rec.wire, { max_incoming: 150000, grant_fifo_fraction: 0 });
    echoServer(p.server, () => 10);
    let n = 0;
    p.client.onCompletion = (c) => { n++; p.client.returnBpages(c.bpageOffsets); };
    for (let i = 0; i < 4; i++) p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(i, 400000) });
    let maxTotal = 0;
    p.b.port.at(0, () => undefined);
    const probe = (): void => { maxTotal = Math.max(maxTotal, p.b.grants.totalIncoming); if (n < 4) p.wire.q.at(p.wire.q.now + 1e6, probe); };
    probe();
    runUntil(p, () => n === 4);
    expect(n).toBe(4);
    // Unscheduled bytes (4 x 40,000) are admitted unconditionally; grants never add beyond the cap.
    expect(maxTotal).toBeLessThanOrEqual(Math.max(150000, 4 * 40000));
  });
  test('FIFO grants: the oldest message gets fifo_grant_increment at homa_high_priority', () => {
    const rec = recorder();
    const p = makePair(rec.wire, { grant_fifo_fraction: 500, max_overcommit: 1 });
    echoServer(p.server, () => 10);
    let n = 0;
    p.client.onCompletion = (c) => { n++; p.client.returnBpages(c.bpageOffsets); };
    for (let i = 0; i < 3; i++) p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(i, 1_000_000) });
    runUntil(p, () => n === 3);
    expect(p.b.counters['fifo_grant_bytes']).toBeGreaterThan(0);
    expect(grants(rec.seen, 'ba').some((g) => g.priority === 6)).toBe(true);
  });
});

describe('priorities and cutoffs (§1.5, §3.3)', () => {
  test('first DATA at level 6 with cutoff_version 0; CUTOFFS answers; then levels follow the cutoffs', () => {
    const rec = recorder();
    const p = makePair(rec.wire);
    rec.now.q = p.wire.q;
    echoServer(p.server, () => 10);
    const done: Completion[] = [];
    p.client.onCompletion = (c) => { done.push(c); p.client.returnBpages(c.bpageOffsets); };
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 100) });
    runUntil(p, () => done.length === 1);
    const first = rec.seen.find((s) => s.dir === 'ab' && s.pkt.type === HomaType.DATA)!;
    expect(first.ip.priority).toBe(6);
    expect((first.pkt as DataPacket).cutoff_version).toBe(0);
    const cut = rec.seen.find((s) => s.dir === 'ba' && s.pkt.type === HomaType.CUTOFFS)!;
    expect(cut.pkt.type === HomaType.CUTOFFS && cut.pkt.unsched_cutoffs).toEqual([0x7fffffff, 0, 0, 0, 1000000, 15000, 2800, 200]);
    expect(cut.ip.priority).toBe(7);                                   // control at the top level
    const levels: number[] = [];
    for (const len of [200, 2800, 15000, 100000]) {
      rec.seen.length = 0;
      p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(len, len) });
      runUntil(p, () => done.length === 1 + levels.length + 1);
      const d = rec.seen.find((s) => s.dir === 'ab' && s.pkt.type === HomaType.DATA)!;
      expect((d.pkt as DataPacket).cutoff_version).toBe(1);
      levels.push(d.ip.priority);
    }
    expect(levels).toEqual([7, 6, 5, 4]);
    expect(rec.seen.some((s) => s.pkt.type === HomaType.CUTOFFS)).toBe(false);   // versions agree now
  });
  test('num_priorities 4: every packet stays within levels 0..3 (§1.5, §3.3 homa_prios_changed)', () => {
    const { seen, got, p } = oneRpc(300000, 100000, { num_priorities: 4 });
    expect(got[0]!.type).toBe(2);
    expect(Math.max(...seen.map((s) => s.ip.priority))).toBe(3);
    expect(p.b.maxSchedPrio).toBe(0);            // no level >= 1,000,000 below 4: everything shares level 0
  });
  test('hijack_tcp sends IP protocol 6 with the markers, and RPCs still work (§1.6)', () => {
    const { seen, got } = oneRpc(50000, 50000, { hijack_tcp: 1 });
    expect(got[0]!.type).toBe(2);
    expect(seen.every((s) => s.ip.protocol === 6 && s.pkt.flags === HOMA_FLAGS && s.pkt.urgent === HOMA_URGENT)).toBe(true);
  });
  test('priority_map maps internal levels to the TOS bits', () => {
    const { seen } = oneRpc(100, 100, { priority_map: [7, 6, 5, 4, 3, 2, 1, 0] });
    const ctrl = seen.filter((s) => s.pkt.type !== HomaType.DATA);
    for (const s of ctrl) expect(s.ip.priority).toBe(0);              // level 7 -> value 0
  });
});

describe('pacer (§3.4)', () => {
  const time = (cfg: object): number => {
    const { p } = oneRpc(500000, 10, cfg);
    return p.wire.q.now;
  };
  test('DATA is paced to link_mbps x max_link_usage even on a faster wire; DONT_THROTTLE lifts it', () => {
    const fast = time({});
    const paced = time({ link_mbps: 1000 });
    const unthrottled = time({ link_mbps: 1000, flags: 2 });
    // 500,000 B in ~352 frames of ~1,530 B at 0.99 Gb/s takes >= 4.3 ms; on the 25 Gb/s wire ~0.2 ms.
    expect(paced).toBeGreaterThan(4.3e9);
    expect(fast).toBeLessThan(0.5e9);
    expect(unthrottled).toBeLessThan(0.5e9);
  });
});

describe('transmit order (§3.4)', () => {
  test('SRPT: a short message overtakes a long one; pacer_fifo_fraction 0 gives strict order', () => {
    const rec = recorder();
    const p = makePair(rec.wire, { pacer_fifo_fraction: 0 });
    echoServer(p.server, () => 10);
    const done: number[] = [];
    p.client.onCompletion = (c) => { done.push(c.id); p.client.returnBpages(c.bpageOffsets); };
    const big = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 30000) });
    runUntil(p, () => datas(rec.seen, 'ab').length === 3);          // the big one is under way
    const small = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(2, 5000) });
    runUntil(p, () => done.length === 2);
    const order = datas(rec.seen, 'ab').map((d) => Number(d.sender_id));
    // Once the small one exists, all 4 of its packets go before the rest of the big one.
    const i = order.indexOf(small);
    expect(i).toBeGreaterThanOrEqual(3);
    expect(order.slice(0, i).every((x) => x === big)).toBe(true);
    expect(order.slice(i, i + 5)).toEqual([small, small, small, small, big]);
    expect(done[0]).toBe(small);
  });
  test('FIFO share: with pacer_fifo_fraction 500 the oldest message gets about half the picks', () => {
    const rec = recorder();
    const p = makePair(rec.wire, { pacer_fifo_fraction: 500 });
    echoServer(p.server, () => 10);
    let n = 0;
    p.client.onCompletion = (c) => { n++; p.client.returnBpages(c.bpageOffsets); };
    const old = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 30000) });
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(2, 20000) });
    runUntil(p, () => n === 2);
    const first20 = datas(rec.seen, 'ab').slice(0, 20).map((d) => Number(d.sender_id));
    const oldCount = first20.filter((x) => x === old).length;
    expect(oldCount).toBeGreaterThanOrEqual(9);
    expect(oldCount).toBeLessThanOrEqual(12);
  });
});
