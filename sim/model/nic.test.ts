// sim/model/nic.test.ts — basic end-to-end behaviour of the model on a clean wire.
import { describe, expect, test } from 'vitest';
import { CompletionType } from './types.ts';
import type { Completion } from './types.ts';
import { effectiveKey, echoServer, keyed, makePair, quiescent, sameBytes, SERVER_PORT, ADDR_B } from './testing.ts';

describe('model NIC, clean wire', () => {
  for (const [req, resp] of [[100, 100], [1, 5000], [50000, 200], [1_000_000, 1_000_000], [40000, 40001]] as const) {
    test(`RPC ${req} B -> ${resp} B completes with correct bytes (§2.2, §3.1, §3.2)`, () => {
      const p = makePair();
      const stats = echoServer(p.server, () => resp);
      const got: Completion[] = [];
      p.client.onCompletion = (c) => got.push(c);
      const key = 0x1234;
      const id = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(key, req), cookie: 77 });
      expect(id % 2).toBe(0);
      p.wire.q.run(1e12, () => got.length > 0);
      expect(got.length).toBe(1);
      const c = got[0]!;
      expect(c.type).toBe(CompletionType.RESPONSE);
      expect(c.id).toBe(id);
      expect(c.cookie).toBe(77);
      expect(c.length).toBe(resp);
      expect(stats.badRequests).toBe(0);
      expect(sameBytes(p.client.messageBytes(c), keyed(effectiveKey(key, req) ^ 0x5a5a, resp))).toBe(true);
      p.client.returnBpages(c.bpageOffsets);
      p.wire.q.run(p.wire.q.now + 200e9);     // 200 ms: NEED_ACK / ACK and tombstones settle (§3.6)
      expect(quiescent(p)).toEqual({ rpcs: 0, bpages: 0 });
    });
  }
});
