// sim/model/rules-host.test.ts — the host-facing rules: server opt-in (§2, §3.5 dispatch), the
// bpage pool and its exhaustion (§4), queue-pair isolation, abort and private RPCs (§2.1,
// §2.2), IPv6 (§1.1), the no-copy mode, and the incast option (SIGCOMM 2018 §3.6).
import { describe, expect, test } from 'vitest';
import { HomaType, RESEND_ALL } from '../../hw/homa/wire/index.ts';
import type { DataPacket } from '../../hw/homa/wire/index.ts';
import { DirectWire } from './harness.ts';
import { ModelNic } from './nic.ts';
import { BPAGE_SIZE, BpagePool } from './bpool.ts';
import { ADDR_B, echoServer, keyed, makePair, quiescent, recorder, runUntil, sameBytes, SERVER_PORT } from './testing.ts';
import { CompletionType, ENOTCONN, ETIMEDOUT } from './types.ts';
import type { Completion } from './types.ts';

const MS = 1e9;

describe('server sockets must opt in (§2, §3.5)', () => {
  test('a request to a socket that is not a server is refused with ICMP (ENOTCONN); after setServer(true) it is served', () => {
    const p = makePair();
    p.server.setServer(false);
    const stats = echoServer(p.server, () => 10);
    const got: Completion[] = [];
    p.client.onCompletion = (c) => got.push(c);
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 100) });
    runUntil(p, () => got.length > 0);
    expect(stats.requests).toBe(0);
    expect(p.b.counters['requests_to_non_server']).toBeGreaterThan(0);
    expect(got[0]!.type).toBe(CompletionType.ERROR);
    expect(got[0]!.error).toBe(ENOTCONN);
    expect(p.b.icmp.sent).toBe(1);
    p.server.setServer(true);
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 100) });
    runUntil(p, () => got.length > 1);
    expect(got[1]!.type).toBe(CompletionType.RESPONSE);
    expect(stats.requests).toBe(1);
  });
});

describe('bpage pool (§4)', () => {
  test('whole bpages plus a shared tail; all but the last offset 64 KiB aligned; frees to zero', () => {
    const pool = new BpagePool(40);
    const a = pool.allocate(3 * BPAGE_SIZE + 100)!;
    const b = pool.allocate(200)!;
    expect(a.slice(0, 3).every((o) => o % BPAGE_SIZE === 0)).toBe(true);
    expect(b[0]! >> 16).toBe(a[3]! >> 16);                             // small messages share a bpage
    expect(b[0]! - a[3]!).toBe(100);
    expect(pool.bpagesInUse).toBe(4);
    for (const o of [...a, ...b]) expect(pool.release(o)).toBe(true);
    expect(pool.release(a[0]!)).toBe(false);                           // double free is refused
    expect(pool.bpagesInUse).toBe(0);
    expect(pool.availBytes).toBe(40 * BPAGE_SIZE);
  });
  test('exhaustion: messages wait, their DATA is dropped, RESEND(0, all) restarts them; nothing lost', () => {
    const rec = recorder();
    const p = makePair(rec.wire, {}, {}, 33);
    echoServer(p.server, () => 900_000);
    const got: Completion[] = [];
    const held: Completion[] = [];
    let badBytes = 0;
    p.client.onCompletion = (c) => {
      got.push(c); held.push(c);
      if (!sameBytes(p.client.messageBytes(c), keyed(c.cookie ^ 0x5a5a, 900_000))) badBytes++;
    };
    // Hold every response's bpages for 3 ms: five 900 KB responses can't all fit in 33 bpages.
    const release = (): void => { for (const c of held.splice(0)) p.client.returnBpages(c.bpageOffsets); if (got.length < 5) p.wire.q.at(p.wire.q.now + 3 * MS, release); };
    p.wire.q.at(3 * MS, release);
    for (let i = 0; i < 5; i++) p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(10 + i, 100), cookie: 10 + i });
    runUntil(p, () => got.length === 5);
    release();
    p.wire.q.run(p.wire.q.now + 300 * MS);
    expect(got.map((c) => c.type)).toEqual(Array(5).fill(CompletionType.RESPONSE));
    expect(badBytes).toBe(0);
    expect(p.a.counters['buffer_alloc_failures']).toBeGreaterThan(0);
    expect(p.a.counters['dropped_data_no_bufs']).toBeGreaterThan(0);
    const restart = rec.seen.find((s) => s.dir === 'ab' && s.pkt.type === HomaType.RESEND && s.pkt.length === RESEND_ALL && s.pkt.priority === 6);
    expect(restart).toBeDefined();
    expect(quiescent(p)).toEqual({ rpcs: 0, bpages: 0 });
  });
  test('a region below the minimum is refused (two max messages must fit, §4)', () => {
    const nic = new ModelNic({ address: ADDR_B });
    expect(() => nic.openQueuePair({ bpages: 32 })).toThrow(/minimum/);
  });
});

describe('queue pairs are isolated', () => {
  test('two server sockets on one NIC: each sees only its own requests, bpages and region', () => {
    const p = makePair();
    const other = p.b.openQueuePair({ port: 100, server: true, bpages: 40 });
    const s99 = echoServer(p.server, () => 10);
    const s100 = echoServer(other, () => 20);
    const got: Completion[] = [];
    p.client.onCompletion = (c) => { got.push(c); p.client.returnBpages(c.bpageOffsets); };
    p.client.sendRequest({ peer: ADDR_B, dport: 99, payload: keyed(1, 100) });
    p.client.sendRequest({ peer: ADDR_B, dport: 100, payload: keyed(2, 100) });
    p.client.sendRequest({ peer: ADDR_B, dport: 100, payload: keyed(3, 100) });
    runUntil(p, () => got.length === 3);
    expect([s99.requests, s100.requests]).toEqual([1, 2]);
    expect(got.map((c) => c.length).sort()).toEqual([10, 20, 20]);
    expect(() => p.b.openQueuePair({ port: 100, bpages: 40 })).toThrow(/already bound/);
    expect(other.returnBpages([0])).toBe(false);                     // nothing of queue pair 100 is held there
  });
});

describe('abort, private RPCs, id notification (§2.1, §2.2)', () => {
  test('abort with an errno completes with it; abort all with 0 discards silently; nothing left', () => {
    const p = makePair();
    p.server.onCompletion = (c) => p.server.returnBpages(c.bpageOffsets);   // never replies
    const got: Completion[] = [];
    p.client.onCompletion = (c) => got.push(c);
    const id = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 100), cookie: 42 });
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(2, 100) });
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(3, 100) });
    p.wire.q.run(1 * MS);
    p.client.abort(id, 103);
    expect(got).toMatchObject([{ type: CompletionType.ERROR, id, error: 103, cookie: 42 }]);
    p.client.abort(0, 0);
    expect(got.length).toBe(1);
    expect(p.a.liveRpcs).toBe(0);
  });
  test('a private response is only delivered to a wait on its id; NOTIFY_ID posts ACCEPTED', () => {
    const p = makePair();
    echoServer(p.server, () => 10);
    const shared: Completion[] = [];
    p.client.onCompletion = (c) => shared.push(c);
    const id = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 100), private: true, notifyId: true });
    runUntil(p, () => p.client.privateCompletions.size > 0);
    expect(shared).toMatchObject([{ type: CompletionType.ACCEPTED, id }]);
    expect(p.client.waitPrivate(id)!.type).toBe(CompletionType.RESPONSE);
  });
});

describe('IPv6 and the no-copy mode (§1.1, §1.4)', () => {
  test('two IPv6 NICs run RPCs; payload per packet is MTU - 40 - 56', () => {
    const a6 = new Uint8Array(16); a6[0] = 0xfd; a6[15] = 1;
    const b6 = new Uint8Array(16); b6[0] = 0xfd; b6[15] = 2;
    const a = new ModelNic({ address: a6 });
    const b = new ModelNic({ address: b6 });
    const sizes: number[] = [];
    const w = new DirectWire(a, b, { onSend: (_d, f) => { if (f[12] === 0x86 && f[14 + 40 + 11] === HomaType.DATA) sizes.push(f.length - 14 - 40 - 56); } });
    const client = a.openQueuePair({ bpages: 40 });
    const server = b.openQueuePair({ port: 7, server: true, bpages: 40 });
    echoServer(server, (n) => n);
    const got: Completion[] = [];
    client.onCompletion = (c) => got.push(c);
    client.sendRequest({ peer: b6, dport: 7, payload: keyed(1, 50000) });
    w.q.run(Infinity, () => got.length > 0);
    expect(got[0]!.type).toBe(CompletionType.RESPONSE);
    expect(sameBytes(client.messageBytes(got[0]!), keyed(1 ^ 0x5a5a, 50000))).toBe(true);
    expect(Math.max(...sizes)).toBe(1500 - 40 - 56);
  });
  test('without payload copies, lengths, offsets and completions are unchanged', () => {
    const run = (copyPayload: boolean) => {
      const frames: number[] = [];
      const p = makePair({ onSend: (_d, f) => frames.push(f.length) }, { copyPayload });
      echoServer(p.server, () => 123456, copyPayload);
      const got: Completion[] = [];
      p.client.onCompletion = (c) => { got.push(c); p.client.returnBpages(c.bpageOffsets); };
      p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: copyPayload ? keyed(1, 70000) : undefined, length: 70000 });
      runUntil(p, () => got.length > 0);
      return { frames, c: got[0]!, region: p.client.region };
    };
    const withBytes = run(true);
    const without = run(false);
    expect(without.region).toBeNull();
    expect(without.frames).toEqual(withBytes.frames);
    expect({ ...without.c, peer: null }).toEqual({ ...withBytes.c, peer: null });
  });
});

describe('incast optimisation (SIGCOMM 2018 §3.6; absent from HomaModule, §3.7)', () => {
  const run = (threshold: number) => {
    const rec = recorder();
    const p = makePair(rec.wire, { incast_threshold: threshold, incast_unsched_bytes: 2000 });
    echoServer(p.server, () => 100000);
    const got: Completion[] = [];
    p.client.onCompletion = (c) => { got.push(c); p.client.returnBpages(c.bpageOffsets); };
    for (let i = 0; i < 10; i++) p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(i, 100) });
    runUntil(p, () => got.length === 10);
    const firstOfEach = new Map<bigint, DataPacket>();
    for (const s of rec.seen) if (s.dir === 'ba' && s.pkt.type === HomaType.DATA && !firstOfEach.has(s.pkt.sender_id)) firstOfEach.set(s.pkt.sender_id, s.pkt);
    const marked = rec.seen.filter((s) => s.dir === 'ab' && s.pkt.type === HomaType.DATA && (s.pkt.pad & 1) === 1).length;
    return { got, incoming: [...firstOfEach.values()].map((d) => d.incoming), marked };
  };
  test('off by default: every response starts with unsched_bytes unscheduled', () => {
    const r = run(0);
    expect(r.marked).toBe(0);
    expect(r.incoming).toEqual(Array(10).fill(40000));
  });
  test('on: requests beyond the threshold are marked and their responses are scheduled', () => {
    const r = run(4);
    expect(r.got.every((c) => c.type === CompletionType.RESPONSE && c.length === 100000)).toBe(true);
    expect(r.marked).toBe(6);
    expect(r.incoming.filter((x) => x === 2000).length).toBe(6);
    expect(r.incoming.filter((x) => x === 40000).length).toBe(4);
  });
});
