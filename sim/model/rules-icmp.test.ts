// sim/model/rules-icmp.test.ts — ICMP destination unreachable as HomaModule sends and handles it
// (homa_dispatch_pkts, homa_err_handler_v4 → homa_abort_rpcs; spec §2, §2.2, §3.5).
import { describe, expect, test } from 'vitest';
import { decodeIcmpUnreachable } from '../../hw/homa/wire/index.ts';
import { ADDR_B, echoServer, keyed, makePair, runUntil, SERVER_PORT } from './testing.ts';
import { CompletionType, ENOTCONN, ETIMEDOUT } from './types.ts';
import type { Completion } from './types.ts';

const MS = 1e9;

function client(p: ReturnType<typeof makePair>): Completion[] {
  const got: Completion[] = [];
  p.client.onCompletion = (c) => { got.push(c); p.client.returnBpages(c.bpageOffsets); };
  return got;
}

describe('ICMP port unreachable (§2, §3.5)', () => {
  test('a request to a port with no socket: the server host answers ICMP, the client RPC ends with ENOTCONN', () => {
    const icmp: ReturnType<typeof decodeIcmpUnreachable>[] = [];
    const p = makePair({ onSend: (_d, f) => { const u = decodeIcmpUnreachable(f); if (u) icmp.push(u); } });
    const got = client(p);
    p.client.sendRequest({ peer: ADDR_B, dport: 4321, payload: keyed(1, 3000), cookie: 5 });
    runUntil(p, () => got.length > 0);
    expect(got[0]).toMatchObject({ type: CompletionType.ERROR, error: ENOTCONN, cookie: 5 });
    expect(icmp[0]).toMatchObject({ why: 'port', dport: 4321, sport: p.client.port, protocol: 146 });
    expect(p.b.counters['requests_to_non_server']).toBeGreaterThan(0);
    expect(p.a.icmp.received).toBeGreaterThan(0);
    expect(p.a.liveRpcs).toBe(0);
  });

  test('ENOTCONN ends only the RPCs to that address and port', () => {
    const p = makePair();
    echoServer(p.server, () => 10);
    const got = client(p);
    p.client.sendRequest({ peer: ADDR_B, dport: 4321, payload: keyed(1, 100) });
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(2, 100) });
    runUntil(p, () => got.length >= 2);
    expect(got.map((c) => c.type).sort()).toEqual([CompletionType.RESPONSE, CompletionType.ERROR].sort());
  });

  test('a server that closes its socket mid-RPC: the client\'s RESEND meets ICMP, ENOTCONN within resend_ticks', () => {
    const p = makePair();
    const got = client(p);
    p.server.onCompletion = () => p.server.close();                     // takes the request, then goes away
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(3, 100) });
    runUntil(p, () => got.length > 0);
    expect(got[0]).toMatchObject({ type: CompletionType.ERROR, error: ENOTCONN });
    expect(p.wire.q.now).toBeLessThan((p.a.cfg.resend_ticks + 2) * MS);
  });

  test('icmp: false keeps silent: the client times out (ETIMEDOUT)', () => {
    const p = makePair({}, { icmp: false, timeout_ticks: 20 });
    const got = client(p);
    p.client.sendRequest({ peer: ADDR_B, dport: 4321, payload: keyed(1, 100) });
    runUntil(p, () => got.length > 0);
    expect(got[0]).toMatchObject({ type: CompletionType.ERROR, error: ETIMEDOUT });
    expect(p.b.icmp.sent).toBe(0);
  });

  test('ICMP errors are rate-limited per destination: a burst of 6, then one a second (icmp_ratelimit)', () => {
    const p = makePair({}, { icmp: true });
    client(p);
    for (let k = 0; k < 40; k++) p.client.sendRequest({ peer: ADDR_B, dport: 4321, payload: keyed(k, 100) });
    runUntil(p, () => false, 10 * MS);
    expect(p.b.icmp.sent).toBe(6);
    expect(p.b.icmp.limited).toBeGreaterThan(0);
  });
});
