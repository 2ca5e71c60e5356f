// sim/model/abi-adapter.test.ts — the model speaks ABI v2: descriptors naming bytes in a send
// region, refusals as ERROR completions, 64-byte completions with continuations, TX_DONE.
import { describe, expect, test } from 'vitest';
import {
  bpageReturnEntry, CompletionType, COUNTERS, sendDescriptor, SendFlag, SendOpcode, v4Mapped, writeRecord,
} from '../../hw/homa/abi.ts';
import type { MemRecord } from '../../hw/homa/abi.ts';
import {
  BPAGE_RETURN_BYTES, COMPLETION_BYTES, consumeBpageReturns, encodeCompletion, executeDescriptor, readCompletion,
  SEND_DESC_BYTES, sendRegionOver, writeCompletion,
} from './abi-adapter.ts';
import type { SendRegion } from './abi-adapter.ts';
import { ADDR_B, keyed, makePair, runUntil, sameBytes, SERVER_PORT } from './testing.ts';
import { EINVAL } from './types.ts';
import type { Completion } from './types.ts';

const MS = 1e9;

/** One descriptor in a one-entry ring. */
function desc(fields: Partial<MemRecord>): Uint8Array {
  const sq = new Uint8Array(SEND_DESC_BYTES);
  writeRecord(sendDescriptor, sq, 0, fields);
  return sq;
}

describe('send descriptors by offset into the send region', () => {
  test('REQUEST and REPLY run an RPC; ACCEPTED carries the id; completions round-trip through 64-byte entries', () => {
    const p = makePair();
    const clientSend = new Uint8Array(1 << 20);
    const serverSend = new Uint8Array(1 << 20);
    const req = keyed(9, 3000);
    clientSend.set(req, 0x1000);
    const cq = new Uint8Array(4 * COMPLETION_BYTES);
    const serverSeen: Completion[] = [];
    let requestBytesOk = false;
    p.server.onCompletion = (c) => {
      if (c.type !== CompletionType.REQUEST) return;
      requestBytesOk = sameBytes(p.server.messageBytes(c), req);
      writeCompletion(c, cq, 6, 2);                                // counter 6 of a 4-entry ring: second pass, phase 0
      expect(cq[2 * COMPLETION_BYTES + 1]).toBe(0);
      const back = readCompletion(cq, 6, 2);
      expect(back).toEqual({ completion: c, entries: 1 });
      serverSeen.push(c);
      serverSend.set(keyed(10, 500), 0x8000);
      const sq = desc({ opcode: SendOpcode.REPLY, id: BigInt(c.id), send_offset: 0x8000, length: 500, peer_addr: v4Mapped(c.peer), dport: c.peerPort });
      expect(executeDescriptor(p.server, sq, 0, sendRegionOver(serverSend))).toEqual({ ok: true, id: c.id });
      p.server.returnBpages(c.bpageOffsets);
    };
    const got: Completion[] = [];
    p.client.onCompletion = (c) => got.push(c);
    const sq = desc({ opcode: SendOpcode.REQUEST, flags: SendFlag.NOTIFY_ID, dport: SERVER_PORT, length: req.length, cookie: 1234n, send_offset: 0x1000, peer_addr: v4Mapped(ADDR_B) });
    expect(executeDescriptor(p.client, sq, 0, sendRegionOver(clientSend))).toEqual({ ok: true, id: 2 });
    runUntil(p, () => got.length === 2);
    expect(got.map((c) => c.type)).toEqual([CompletionType.ACCEPTED, CompletionType.RESPONSE]);
    expect(got[0]!.id).toBe(2);
    expect(got[1]!.cookie).toBe(1234);
    expect(sameBytes(p.client.messageBytes(got[1]!), keyed(10, 500))).toBe(true);
    expect(serverSeen.length).toBe(1);
    expect(requestBytesOk).toBe(true);
  });

  test('the bytes are read as packets go out, not when the descriptor is taken (no copy)', () => {
    const p = makePair();
    const send = new Uint8Array(1 << 20);
    send.set(keyed(5, 200_000));
    let seen: Uint8Array | null = null;
    p.server.onCompletion = (c) => { if (c.type === CompletionType.REQUEST) seen = p.server.messageBytes(c); };
    executeDescriptor(p.client, desc({ opcode: SendOpcode.REQUEST, dport: SERVER_PORT, length: 200_000, peer_addr: v4Mapped(ADDR_B) }), 0, sendRegionOver(send));
    send[199_999] = send[199_999]! ^ 0xff;                          // changed before its packet left
    runUntil(p, () => seen !== null);
    expect(seen![199_999]).toBe(send[199_999]);
  });

  test('a message of more than 5 bpages takes a CONTINUATION entry; both must be valid before it is read', () => {
    const c: Completion = {
      type: CompletionType.RESPONSE, id: 4, cookie: 77, peer: ADDR_B, peerPort: 99, length: 1_000_000, error: 0,
      bpageOffsets: Array.from({ length: 16 }, (_, i) => i << 16),
    };
    const ring = new Uint8Array(4 * COMPLETION_BYTES);
    ring[1] = 1;                                                     // slot 0 still holds counter 0's entry (first pass)
    // At counter 3 the continuation wraps to slot 0 of the next pass (phase 0 there).
    const [first, cont] = encodeCompletion(c, 3, 2);
    expect(first![1]).toBe(1);
    expect(cont![0]).toBe(CompletionType.CONTINUATION);
    expect(cont![1]).toBe(0);
    ring.set(first!, 3 * COMPLETION_BYTES);
    expect(readCompletion(ring, 3, 2)).toBeNull();                  // the first entry alone is not a completion
    ring.set(cont!, 0);
    expect(readCompletion(ring, 3, 2)).toEqual({ completion: c, entries: 2 });
    const again = new Uint8Array(4 * COMPLETION_BYTES);
    again[1] = 1;
    expect(writeCompletion(c, again, 3, 2)).toBe(2);
    expect(again).toEqual(ring);
    expect(writeCompletion({ ...c, bpageOffsets: c.bpageOffsets.slice(0, 5) }, again, 1, 2)).toBe(1);
  });

  test('bpage returns with free-running counters, across the ring\'s end; a double free is reported', () => {
    const p = makePair();
    p.server.onCompletion = (c) => {
      if (c.type !== CompletionType.REQUEST) return;
      p.server.returnBpages(c.bpageOffsets);
      p.server.sendReply({ id: c.id, peer: c.peer, payload: keyed(1, 300_000) });
    };
    const got: Completion[] = [];
    p.client.onCompletion = (c) => got.push(c);
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 10) });
    runUntil(p, () => got.length === 1);
    const offs = got[0]!.bpageOffsets;
    const bret = new Uint8Array(8 * BPAGE_RETURN_BYTES);
    const head = 0xfffffffe;                                          // the counters wrap at 2^32 too
    offs.forEach((o, i) => writeRecord(bpageReturnEntry, bret, ((head + i) % 8) * BPAGE_RETURN_BYTES, { offset: o }));
    const tail = (head + offs.length) >>> 0;
    expect(offs.length).toBe(5);
    expect(p.client.pool.bpagesInUse).toBe(offs.length);
    expect(consumeBpageReturns(p.client, bret, head, tail, 3)).toEqual({ consumed: offs.length, doubleFree: false });
    expect(p.client.pool.bpagesInUse).toBe(0);
    expect(consumeBpageReturns(p.client, bret, head, tail, 3).doubleFree).toBe(true);
    expect(p.a.counters['bpage_double_frees']).toBe(offs.length);
  });
});

describe('refused descriptors: ERROR with EINVAL, the descriptor\'s id and cookie, no memory touched', () => {
  const untouchable: SendRegion = { size: 4096, read: () => { throw new Error('the refused descriptor was read'); } };
  const peer = v4Mapped(ADDR_B);
  const cases: [string, Partial<MemRecord>][] = [
    ['unknown opcode', { opcode: 9, cookie: 1n }],
    ['empty REQUEST', { opcode: SendOpcode.REQUEST, length: 0, dport: 99, peer_addr: peer, cookie: 2n }],
    ['REQUEST over 1,000,000 bytes', { opcode: SendOpcode.REQUEST, length: 1_000_001, dport: 99, peer_addr: peer, cookie: 3n }],
    ['REQUEST with an id', { opcode: SendOpcode.REQUEST, id: 8n, length: 10, dport: 99, peer_addr: peer, cookie: 4n }],
    ['REQUEST to port 0', { opcode: SendOpcode.REQUEST, length: 10, dport: 0, peer_addr: peer, cookie: 5n }],
    ['REQUEST leaving the send region', { opcode: SendOpcode.REQUEST, send_offset: 4000, length: 97, dport: 99, peer_addr: peer, cookie: 6n }],
    ['REQUEST whose offset + length wraps 32 bits', { opcode: SendOpcode.REQUEST, send_offset: 0xffffff00, length: 0x200, dport: 99, peer_addr: peer, cookie: 7n }],
    ['REQUEST to an IPv6 peer on an IPv4 NIC', { opcode: SendOpcode.REQUEST, length: 10, dport: 99, peer_addr: new Uint8Array(16).fill(0xfd), cookie: 8n }],
    ['REPLY with a cookie', { opcode: SendOpcode.REPLY, id: 3n, length: 10, cookie: 9n, peer_addr: peer }],
    ['REPLY leaving the send region', { opcode: SendOpcode.REPLY, id: 3n, send_offset: 4096, length: 1, peer_addr: peer }],
  ];
  for (const [name, fields] of cases) {
    test(name, () => {
      const p = makePair();
      const got: Completion[] = [];
      p.client.onCompletion = (c) => got.push(c);
      const r = executeDescriptor(p.client, desc(fields), 0, untouchable);
      expect(r.ok).toBe(false);
      expect(got).toEqual([expect.objectContaining({
        type: CompletionType.ERROR, error: EINVAL, id: Number(fields.id ?? 0n), cookie: Number(fields.cookie ?? 0n),
      })]);
      expect(p.a.counters['bad_descriptors']).toBe(1);
      expect(p.a.liveRpcs).toBe(0);
    });
  }
  test('bad_descriptors is one of the ABI counters', () => expect(COUNTERS).toContain('bad_descriptors'));
});

describe('TX_DONE: the engine will never read the message\'s bytes again', () => {
  function pair(): { p: ReturnType<typeof makePair>; client: Completion[]; server: Completion[] } {
    const p = makePair();
    const client: Completion[] = [];
    const server: Completion[] = [];
    p.client.onCompletion = (c) => client.push(c);
    p.server.onCompletion = (c) => {
      server.push(c);
      if (c.type !== CompletionType.REQUEST) return;
      p.server.returnBpages(c.bpageOffsets);
      p.server.sendReply({ id: c.id, peer: c.peer, dport: c.peerPort, payload: keyed(2, 100_000), notifyTxDone: true });
    };
    return { p, client, server };
  }

  test('a request\'s after its response; a reply\'s only once the client acknowledged it (§3.6)', () => {
    const { p, client, server } = pair();
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 50_000), cookie: 6, notifyTxDone: true });
    runUntil(p, () => client.length === 2);
    expect(client.map((c) => c.type)).toEqual([CompletionType.RESPONSE, CompletionType.TX_DONE]);
    expect(client[1]).toMatchObject({ id: client[0]!.id, cookie: 6, length: 50_000 });
    // The response is out but unacknowledged: the server may still be asked to resend it.
    expect(server.map((c) => c.type)).toEqual([CompletionType.REQUEST]);
    p.client.returnBpages(client[0]!.bpageOffsets);
    runUntil(p, () => server.length === 2, 50 * MS);
    expect(server[1]).toMatchObject({ type: CompletionType.TX_DONE, id: server[0]!.id, cookie: 0, peerPort: p.client.port, length: 100_000 });
    expect(sameBytes(server[1]!.peer, server[0]!.peer)).toBe(true);
    expect(p.a.liveRpcs + p.b.liveRpcs).toBe(0);
  });

  test('a request\'s after a failure or a silent abort; a reply to a vanished RPC\'s at once', () => {
    const { p, client, server } = pair();
    p.server.setServer(false);
    const a = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 10), cookie: 1, notifyTxDone: true });
    const b = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 10), cookie: 2, notifyTxDone: true });
    p.client.abort(a, 0);
    p.client.abort(b, 110);
    expect(client.map((c) => [c.type, c.id])).toEqual([[CompletionType.TX_DONE, a], [CompletionType.ERROR, b], [CompletionType.TX_DONE, b]]);
    p.server.sendReply({ id: 41, peer: ADDR_B, dport: 5, payload: keyed(1, 10), notifyTxDone: true });
    expect(server).toEqual([expect.objectContaining({ type: CompletionType.TX_DONE, id: 41, peerPort: 5 })]);
  });

  test('closing a queue pair ends its RPCs, client and server, and posts nothing more', () => {
    const { p, client } = pair();
    p.server.onCompletion = null;                                      // the server holds the request
    p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(1, 300_000), notifyTxDone: true });
    runUntil(p, () => p.server.completions.length === 1);
    p.server.close();
    p.client.close();
    expect(p.a.liveRpcs + p.b.liveRpcs).toBe(0);
    expect(client).toEqual([]);
    expect(p.b.queuePairs.has(SERVER_PORT)).toBe(false);
  });
});
