// sim/model/fuzz.test.ts — whatever arrives from the network, the model never throws and never
// delivers a message that wasn't sent: random and mutated packets against live RPCs.
import { describe, expect, test } from 'vitest';
import { ackPacket, bareControl, cutoffsPacket, dataPacket, encodeFrame, grantPacket, HomaType, resendPacket } from '../../hw/homa/wire/index.ts';
import type { HomaPacket } from '../../hw/homa/wire/index.ts';
import { seededRng } from './rng.ts';
import { ADDR_A, ADDR_B, echoServer, keyed, makePair, runUntil, sameBytes, SERVER_PORT } from './testing.ts';
import type { Completion } from './types.ts';

const ADDR_C = new Uint8Array([10, 0, 0, 3]);

const TOTAL = 5000;

describe('fuzzed input (§3.5 dispatch must survive anything)', () => {
  test('5,000 random packets from a third host during real RPCs: no exception, real RPCs intact', () => {
    const r = seededRng(99);
    const p = makePair({ loss: 0.02 });
    const stats = echoServer(p.server, (n) => n);
    const got: Completion[] = [];
    let badBytes = 0;
    p.client.onCompletion = (c) => {
      got.push(c);
      if (c.cookie >= 500 && c.cookie < 900 && !sameBytes(p.client.messageBytes(c), keyed(c.cookie ^ 0x5a5a, c.length))) badBytes++;
      p.client.returnBpages(c.bpageOffsets);
    };
    for (let i = 0; i < 20; i++) p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(500 + i, 1 + Math.floor(r() * 200000)), cookie: 500 + i });
    const int = (n: number): number => Math.floor(r() * n);
    const id = (): bigint => BigInt(int(60));
    const port = (): number => [SERVER_PORT, 0x8000, int(65536)][int(3)]!;
    const randomPacket = (): HomaPacket => {
      switch (int(7)) {
        case 0: {
          const len = 1 + int(300000);
          const n = Math.min(len, int(1500));
          return dataPacket(port(), port(), id(), { message_length: len, incoming: int(len + 5000), offset: int(len - n + 1), payload: new Uint8Array(n).fill(0xee),
            ack: { client_id: id(), server_port: port() }, cutoff_version: int(3), retransmit: int(2), pad: int(2) });
        }
        case 1: return grantPacket(port(), port(), id(), int(2_000_000), int(9));
        case 2: return resendPacket(port(), port(), id(), int(400000), [int(100000), 0xffffffff][int(2)]!, int(8));
        case 3: return cutoffsPacket(port(), port(), id(), Array.from({ length: 8 }, () => int(2_000_000)), int(5));
        case 4: return ackPacket(port(), port(), id(), Array.from({ length: int(6) }, () => ({ client_id: id(), server_port: port() })));
        default: return bareControl([HomaType.BUSY, HomaType.RPC_UNKNOWN, HomaType.NEED_ACK, HomaType.FREEZE][int(4)]!, port(), port(), id());
      }
    };
    let injected = 0;
    let spoof = false;
    const inject = (): void => {
      for (let k = 0; k < 20; k++) {
        const toB = r() < 0.5;
        const from = spoof ? (toB ? ADDR_A : ADDR_B) : ADDR_C;
        const f = encodeFrame(1, 2, { version: 4, priority: int(8), flow: 0, ttl: 64, protocol: 146, saddr: from, daddr: toB ? ADDR_B : ADDR_A }, randomPacket());
        if (r() < 0.2) f[int(f.length)] = int(256);                      // and some corruption
        (toB ? p.b : p.a).receive(f);
        injected++;
      }
      if (injected < TOTAL) p.wire.q.at(p.wire.q.now + 50e6, inject);
    };
    inject();
    expect(() => runUntil(p, () => injected >= TOTAL && got.length >= 20, 60e12)).not.toThrow();
    // Injected DATA may only ever be dropped or start junk server RPCs; real responses stay right.
    const real = got.filter((c) => c.type === 2 && c.cookie >= 500);
    expect(badBytes).toBe(0);
    expect(real.length).toBe(20);
    expect(stats.requests).toBeGreaterThanOrEqual(real.length);
    // Packets spoofing the real peers can break those RPCs (Homa has no authentication), but
    // must still never make the model throw.
    spoof = true;
    injected = 0;
    for (let i = 0; i < 20; i++) p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(900 + i, 1 + int(200000)) });
    inject();
    expect(() => runUntil(p, () => injected >= TOTAL, 60e12)).not.toThrow();
    expect(() => p.wire.q.run(p.wire.q.now + 1e12)).not.toThrow();
  });
});
