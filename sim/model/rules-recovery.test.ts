// sim/model/rules-recovery.test.ts — loss recovery and RPC ending, one test per rule of
// homa-protocol.md §3.5 (RESEND, timeouts, BUSY, RPC_UNKNOWN) and §3.6 (NEED_ACK, ACK,
// at-most-once).
import { describe, expect, test } from 'vitest';
import { decodeFrame, HomaType } from '../../hw/homa/wire/index.ts';
import type { DataPacket, ResendPacket } from '../../hw/homa/wire/index.ts';
import { ADDR_B, echoServer, keyed, makePair, quiescent, recorder, runUntil, sameBytes, SERVER_PORT } from './testing.ts';
import { CompletionType, ETIMEDOUT } from './types.ts';
import type { Completion } from './types.ts';

const MS = 1e9;

/** Drop frames from one direction that match `pred`, each only the first `times` times. */
function dropOnce(dir: 'ab' | 'ba', pred: (pkt: ReturnType<typeof decode>) => boolean, times = 1) {
  let left = times;
  return (d: 'ab' | 'ba', f: Uint8Array): boolean => {
    if (d !== dir || left === 0) return true;
    if (pred(decode(f))) { left--; return false; }
    return true;
  };
}
function decode(f: Uint8Array) {
  const d = decodeFrame(f);
  if (!d.ok) throw new Error(d.detail);
  return d.packet;
}

function setup(wireExtra = {}, cfg = {}) {
  const rec = recorder(wireExtra);
  const p = makePair(rec.wire, cfg);
  rec.now.q = p.wire.q;
  const got: Completion[] = [];
  p.client.onCompletion = (c) => { got.push(c); if (c.type === CompletionType.RESPONSE) p.client.returnBpages(c.bpageOffsets); };
  return { p, seen: rec.seen, got };
}

describe('RESEND and retransmission (§3.5)', () => {
  test('a lost DATA packet is asked for after resend_ticks and retransmitted with retransmit=1', () => {
    const { p, seen, got } = setup({ filter: dropOnce('ab', (x) => x.type === HomaType.DATA && x.offset === 1424) });
    echoServer(p.server, () => 10);
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 10000) });
    runUntil(p, () => got.length > 0);
    const resend = seen.find((s) => s.dir === 'ba' && s.pkt.type === HomaType.RESEND)!;
    const r = resend.pkt as ResendPacket;
    expect([r.offset, r.length, r.priority]).toEqual([1424, 1424, 7]);
    expect(resend.t).toBeGreaterThanOrEqual(5 * MS);                  // resend_ticks = 5 ticks of 1 ms
    expect(resend.t).toBeLessThan(7 * MS);
    const re = seen.find((s) => s.dir === 'ab' && s.pkt.type === HomaType.DATA && s.pkt.retransmit === 1)!.pkt as DataPacket;
    expect([re.offset, re.incoming]).toEqual([1424, 2848]);          // incoming = end of the range
    expect(got[0]!.type).toBe(CompletionType.RESPONSE);
  });
  test('a lost GRANT is repaired: RESEND beyond the grant is an implicit grant', () => {
    const { p, got } = setup({ filter: dropOnce('ba', (x) => x.type === HomaType.GRANT, 1000) });
    echoServer(p.server, () => 10);
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 200000) });
    runUntil(p, () => got.length > 0);
    expect(got[0]!.type).toBe(CompletionType.RESPONSE);
    expect(p.a.counters['packets_rcvd_GRANT']).toBe(0);
  });
  test('RPC_UNKNOWN: the server lost the whole request, the client restarts it', () => {
    const { p, seen, got } = setup({ filter: dropOnce('ab', (x) => x.type === HomaType.DATA) });
    echoServer(p.server, () => 10);
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 500) });
    runUntil(p, () => got.length > 0);
    const kinds = seen.map((s) => `${s.dir}:${s.pkt.type}`);
    expect(kinds).toContain(`ab:${HomaType.RESEND}`);                 // client: RESEND(0, all)
    expect(kinds).toContain(`ba:${HomaType.RPC_UNKNOWN}`);
    expect(got[0]!.type).toBe(CompletionType.RESPONSE);
  });
  test('BUSY keeps a slow server from timing out the client', () => {
    const { p, seen, got } = setup();
    p.server.onCompletion = (c) => {
      p.server.returnBpages(c.bpageOffsets);
      p.wire.q.at(p.wire.q.now + 300 * MS, () => p.server.sendReply({ id: c.id, peer: c.peer, payload: keyed(9, 100) }));
    };
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 100) });
    runUntil(p, () => got.length > 0);
    expect(got[0]!.type).toBe(CompletionType.RESPONSE);
    expect(seen.filter((s) => s.dir === 'ba' && s.pkt.type === HomaType.BUSY).length).toBeGreaterThan(10);
  });
  test('a silent peer: ETIMEDOUT after timeout_ticks, and no state left', () => {
    const { p, got } = setup({ filter: (d: string) => d !== 'ba' });
    echoServer(p.server, () => 10);
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 100), cookie: 5 });
    runUntil(p, () => got.length > 0);
    expect(got[0]!.type).toBe(CompletionType.ERROR);
    expect(got[0]!.error).toBe(ETIMEDOUT);
    expect(got[0]!.cookie).toBe(5);
    expect(p.wire.q.now).toBeGreaterThanOrEqual(100 * MS);
    expect(p.wire.q.now).toBeLessThan(103 * MS);
    expect(p.a.liveRpcs).toBe(0);
  });
});

describe('acks and at-most-once (§3.6)', () => {
  test('NEED_ACK request_ack_ticks after the response is out; the ACK ends the server RPC', () => {
    const { p, seen, got } = setup();
    echoServer(p.server, () => 10);
    const id = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 100) });
    runUntil(p, () => got.length > 0);
    expect(p.b.liveRpcs).toBe(1);
    runUntil(p, () => p.b.liveRpcs === 0, 10 * MS);
    const need = seen.find((s) => s.pkt.type === HomaType.NEED_ACK)!;
    expect(need.dir).toBe('ba');
    expect(need.t).toBeGreaterThanOrEqual(2 * MS);
    const ack = seen.find((s) => s.pkt.type === HomaType.ACK)!;
    expect(ack.dir).toBe('ab');
    expect(ack.pkt.sender_id).toBe(BigInt(id));
    expect(p.b.liveRpcs).toBe(0);
  });
  test('acks ride on DATA; the sixth pending ack forces an ACK packet carrying five', () => {
    const { p, seen, got } = setup({ delayPs: 20e6 });
    echoServer(p.server, () => 10);
    for (let i = 0; i < 6; i++) p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(i, 100) });
    runUntil(p, () => got.length === 6);
    p.wire.q.run(p.wire.q.now + 0.1 * MS);
    const ack = seen.find((s) => s.pkt.type === HomaType.ACK)!;
    expect(ack.pkt.type === HomaType.ACK && ack.pkt.num_acks).toBe(5);
    const id7 = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(7, 100) });
    runUntil(p, () => got.length === 7);
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(8, 100) });
    runUntil(p, () => got.length === 8);
    const d = seen.filter((s) => s.dir === 'ab' && s.pkt.type === HomaType.DATA).pop()!.pkt as DataPacket;
    expect(d.ack.client_id).toBe(BigInt(id7));                       // the ack of RPC 7 rides on RPC 8's DATA
    expect(d.ack.server_port).toBe(SERVER_PORT);
  });
  test('every frame duplicated: each request still runs once, each response completes once', () => {
    const { p, got } = setup({ duplicate: 1 });
    const stats = echoServer(p.server, (n) => n);
    for (let i = 0; i < 20; i++) p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(100 + i, 1000 * i + 10), cookie: i });
    runUntil(p, () => got.length >= 20);
    p.wire.q.run(p.wire.q.now + 300 * MS);
    expect(got.length).toBe(20);
    expect(new Set(got.map((c) => c.cookie)).size).toBe(20);
    expect([...stats.executions.values()].every((n) => n === 1)).toBe(true);
    expect(stats.requests).toBe(20);
    expect(quiescent(p)).toEqual({ rpcs: 0, bpages: 0 });
  });
  test('a late copy of a request reaching a server RPC in service is ignored (at-most-once)', () => {
    const frames: Uint8Array[] = [];
    const { p, got } = setup({ onSend: (d: string, f: Uint8Array) => { if (d === 'ab') frames.push(f); } });
    const requests: Completion[] = [];
    p.server.onCompletion = (c) => { requests.push(c); p.server.returnBpages(c.bpageOffsets); };
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(3, 100) });
    runUntil(p, () => requests.length > 0);
    p.b.receive(frames[0]!);                                         // replay while IN_SERVICE
    p.wire.q.run(p.wire.q.now + 1 * MS);
    expect(requests.length).toBe(1);
    p.server.sendReply({ id: requests[0]!.id, peer: requests[0]!.peer, payload: keyed(4, 10) });
    runUntil(p, () => got.length > 0);
    runUntil(p, () => p.b.liveRpcs === 0, 10 * MS);                  // acked: server state gone
    p.b.receive(frames[0]!);                                         // replay after the ACK
    p.wire.q.run(p.wire.q.now + 1 * MS);
    expect(requests.length).toBe(1);
    expect(got.length).toBe(1);
  });
});
