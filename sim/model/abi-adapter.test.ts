// sim/model/abi-adapter.test.ts — the model speaks ABI v1: descriptors in, completion entries
// out, with the same results as the direct queue-pair calls.
import { describe, expect, test } from 'vitest';
import { bpageReturnEntry, sendDescriptor, SendOpcode, SendFlag, v4Mapped, writeRecord, CompletionType } from '../../hw/homa/abi.ts';
import { BPAGE_RETURN_BYTES, COMPLETION_BYTES, consumeBpageReturns, executeDescriptor, readCompletion, SEND_DESC_BYTES, writeCompletion } from './abi-adapter.ts';
import { ADDR_B, keyed, makePair, runUntil, sameBytes, SERVER_PORT } from './testing.ts';
import type { Completion } from './types.ts';

describe('ABI adapter', () => {
  test('REQUEST and REPLY descriptors run an RPC; completions round-trip through CQ entries', () => {
    const p = makePair();
    const hostMem = new Uint8Array(1 << 20);
    const req = keyed(9, 3000);
    hostMem.set(req, 0x1000);
    const dma = (a: bigint, n: number): Uint8Array => hostMem.subarray(Number(a), Number(a) + n);
    const sq = new Uint8Array(4 * SEND_DESC_BYTES);
    const cq = new Uint8Array(4 * COMPLETION_BYTES);
    const serverSeen: Completion[] = [];
    p.server.onCompletion = (c) => {
      writeCompletion(c, cq, 0, 1);
      const back = readCompletion(cq, 0);
      serverSeen.push(back);
      expect(back).toEqual({ ...c, phase: 1 });
      hostMem.set(keyed(10, 500), 0x8000);
      writeRecord(sendDescriptor, sq, SEND_DESC_BYTES, { opcode: SendOpcode.REPLY, id: BigInt(c.id), buffer: 0x8000n, length: 500, peer_addr: v4Mapped(c.peer) });
      expect(executeDescriptor(p.server, sq, SEND_DESC_BYTES, dma)).toEqual({ ok: true, id: c.id });
      p.server.returnBpages(c.bpageOffsets);
    };
    const got: Completion[] = [];
    p.client.onCompletion = (c) => got.push(c);
    writeRecord(sendDescriptor, sq, 0, { opcode: SendOpcode.REQUEST, flags: SendFlag.NOTIFY_ID, dport: SERVER_PORT,
      length: req.length, cookie: 1234n, buffer: 0x1000n, peer_addr: v4Mapped(ADDR_B) });
    const r = executeDescriptor(p.client, sq, 0, dma);
    expect(r).toEqual({ ok: true, id: 2 });
    runUntil(p, () => got.length === 2);
    expect(got.map((c) => c.type)).toEqual([CompletionType.ACCEPTED, CompletionType.RESPONSE]);
    expect(got[1]!.cookie).toBe(1234);
    expect(sameBytes(p.client.messageBytes(got[1]!), keyed(10, 500))).toBe(true);
    expect(serverSeen[0]!.length).toBe(3000);
    // The client hands the response's bpages back through a 4-entry return ring that wraps.
    const bret = new Uint8Array(4 * BPAGE_RETURN_BYTES);
    const offs = got[1]!.bpageOffsets;
    offs.forEach((o, i) => writeRecord(bpageReturnEntry, bret, ((3 + i) % 4) * BPAGE_RETURN_BYTES, { offset: o }));
    expect(p.client.pool.bpagesInUse).toBe(1);
    expect(consumeBpageReturns(p.client, bret, 3, (3 + offs.length) % 4, 4)).toEqual({ consumed: offs.length, doubleFree: false });
    expect(p.client.pool.bpagesInUse).toBe(0);
    expect(consumeBpageReturns(p.client, bret, 3, (3 + offs.length) % 4, 4).doubleFree).toBe(true);
  });
  test('malformed descriptors are refused with a reason, never thrown', () => {
    const p = makePair();
    const sq = new Uint8Array(SEND_DESC_BYTES);
    const dma = (): Uint8Array => new Uint8Array(0);
    writeRecord(sendDescriptor, sq, 0, { opcode: 9 });
    expect(executeDescriptor(p.client, sq, 0, dma).ok).toBe(false);
    writeRecord(sendDescriptor, sq, 0, { opcode: SendOpcode.REQUEST, length: 0, peer_addr: v4Mapped(ADDR_B), dport: 99 });
    expect(executeDescriptor(p.client, sq, 0, dma).ok).toBe(false);
    writeRecord(sendDescriptor, sq, 0, { opcode: SendOpcode.REPLY, id: 3n, cookie: 5n });
    expect(executeDescriptor(p.server, sq, 0, dma).ok).toBe(false);
  });
});
