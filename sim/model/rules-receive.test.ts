// sim/model/rules-receive.test.ts — what the NIC refuses on receive, each reason with its own
// counter as the engine counts them (hw/homa/abi COUNTER_DOCS): frames that are not Homa, bad
// lengths, bad checksums (§1.7), frames for another host, packets naming a server RPC from the
// wrong port, and DATA beyond a bounded gap list (§3.5).
import { describe, expect, test } from 'vitest';
import { dataPacket, decodeFrame, encodeFrame, HomaType, resendPacket } from '../../hw/homa/wire/index.ts';
import type { HomaPacket } from '../../hw/homa/wire/index.ts';
import type { ModelConfig } from './config.ts';
import { echoServer, keyed, makePair, runUntil, sameBytes, SERVER_PORT, ADDR_B, lonelyNic } from './testing.ts';
import { CompletionType } from './types.ts';
import type { Completion } from './types.ts';

const ME = new Uint8Array([10, 0, 0, 100]);
const PEER = new Uint8Array([10, 0, 1, 1]);
const MS = 1e9;

function setup(cfg: Partial<ModelConfig> = {}) {
  const { q, nic, qp, done } = lonelyNic(ME, cfg);
  const frame = (pkt: HomaPacket, o: { daddr?: Uint8Array; protocol?: number } = {}): Uint8Array =>
    encodeFrame(1, 2, { version: 4, priority: 0, flow: 0, ttl: 64, protocol: o.protocol ?? 146, saddr: PEER, daddr: o.daddr ?? ME }, pkt);
  const pulled = (): HomaPacket['type'][] => {
    const out: HomaPacket['type'][] = [];
    for (let f = nic.pull(); f; f = nic.pull()) {
      const d = decodeFrame(f);
      if (d.ok) out.push(d.packet.type);
    }
    return out;
  };
  return { q, nic, qp, done, frame, pulled };
}

const data = (id: number, length: number, offset: number, n: number, sport = 40000) =>
  dataPacket(sport, 99, BigInt(id), { message_length: length, incoming: length, offset, payload: new Uint8Array(n).fill(7), cutoff_version: 1 });

/** The counters that moved, by name. */
function moved(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).filter(([k, v]) => v !== before[k]).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

describe('frames refused on receive, each counted by its reason', () => {
  const cases: [string, (s: ReturnType<typeof setup>) => Uint8Array, string][] = [
    ['not IP (an ARP frame)', (s) => { const f = s.frame(data(2, 10, 0, 10)); f[12] = 0x08; f[13] = 0x06; return f; }, 'non_homa_frames'],
    ['UDP, not Homa', (s) => s.frame(data(2, 10, 0, 10), { protocol: 17 }), 'non_homa_frames'],
    ['DATA past its message length', (s) => s.frame(data(2, 10, 5, 10)), 'bad_lengths'],
    ['DATA of a message over 1,000,000 bytes', (s) => s.frame(data(2, 1_000_001, 0, 10)), 'bad_lengths'],
    ['a frame for another host', (s) => s.frame(data(2, 10, 0, 10), { daddr: new Uint8Array([10, 0, 0, 101]) }), 'not_for_this_host'],
    ['a payload byte changed in flight', (s) => { const f = s.frame(data(2, 10, 0, 10)); f[f.length - 1] ^= 0x40; return f; }, 'bad_checksums'],
  ];
  for (const [name, make, counter] of cases) {
    test(`${name}: ${counter}`, () => {
      const s = setup();
      const before = { ...s.nic.counters };
      s.nic.receive(make(s));
      expect(moved(before, s.nic.counters)).toEqual({ [counter]: 1 });
      expect(s.nic.liveRpcs).toBe(0);
    });
  }

  test('without checksums (HomaModule never verifies them, §1.7) a changed byte goes through', () => {
    const s = setup({ checksums: false });
    const f = s.frame(data(2, 10, 0, 10));
    f[f.length - 1] ^= 0x40;
    s.nic.receive(f);
    expect(s.nic.counters['bad_checksums']).toBe(0);
    expect(s.done.map((c) => c.type)).toEqual([CompletionType.REQUEST]);
  });
});

describe('a server RPC belongs to one client port and one queue pair', () => {
  test('a packet naming it from another port is dropped as unknown_rpcs, and the RPC goes on', () => {
    const s = setup();
    s.nic.receive(s.frame(data(2, 3000, 0, 1400)));
    const before = { ...s.nic.counters };
    s.nic.receive(s.frame(data(2, 500, 0, 500, 40001)));             // same peer and id, another port
    s.nic.receive(s.frame(resendPacket(40001, 99, 2n, 0, 100, 7)));
    // Neither reached a handler, so neither counts in packets_rcvd_* (homa_dispatch_pkts, §3.5).
    expect(moved(before, s.nic.counters)).toEqual({ unknown_rpcs: 2 });
    expect(s.pulled()).toEqual([]);
    // An id nobody uses gets RPC_UNKNOWN (§3.5); the one that is taken got nothing.
    s.nic.receive(s.frame(resendPacket(40001, 99, 4n, 0, 100, 7)));
    expect(s.pulled()).toEqual([HomaType.RPC_UNKNOWN]);
    s.nic.receive(s.frame(data(2, 3000, 1400, 1600)));
    expect(s.done).toEqual([expect.objectContaining({ type: CompletionType.REQUEST, length: 3000, peerPort: 40000 })]);
  });
});

describe('a bounded gap list (the engine tracks max_gaps, §3.5)', () => {
  test('DATA that would open one gap too many is dropped as gap_overflows; filling a gap is not', () => {
    const s = setup({ maxGaps: 2 });
    const n = 1000;
    s.nic.receive(s.frame(data(2, 10 * n, 0, n)));
    s.nic.receive(s.frame(data(2, 10 * n, 2 * n, n)));                // gap 1
    s.nic.receive(s.frame(data(2, 10 * n, 4 * n, n)));                // gap 2
    s.nic.receive(s.frame(data(2, 10 * n, 6 * n, n)));                // would be gap 3
    expect(s.nic.counters['gap_overflows']).toBe(1);
    s.nic.receive(s.frame(data(2, 10 * n, 5 * n, n)));                // extends the tail: no new gap
    s.nic.receive(s.frame(data(2, 10 * n, 1 * n, n)));                // fills gap 1
    s.nic.receive(s.frame(data(2, 10 * n, 8 * n, n)));                // a new gap 2
    expect(s.nic.counters['gap_overflows']).toBe(1);
    for (const k of [3, 6, 7, 9]) s.nic.receive(s.frame(data(2, 10 * n, k * n, n)));
    expect(s.done.map((c) => c.length)).toEqual([10 * n]);
  });

  test('with one gap tracked and a reordering wire, every RPC completes with its bytes (RESEND recovers)', () => {
    const p = makePair({ reorder: 0.2, reorderDelayPs: 20e6, seed: 4 }, { maxGaps: 1 });
    echoServer(p.server, () => 150_000);
    const got: Completion[] = [];
    let bad = 0;
    p.client.onCompletion = (c) => {
      got.push(c);
      if (!sameBytes(p.client.messageBytes(c), keyed(c.cookie ^ 0x5a5a, 150_000))) bad++;
      p.client.returnBpages(c.bpageOffsets);
    };
    for (let i = 0; i < 8; i++) p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: keyed(i, 120_000), cookie: i });
    runUntil(p, () => got.length === 8, 2000 * MS);
    expect(got.map((c) => c.type)).toEqual(Array(8).fill(CompletionType.RESPONSE));
    expect(bad).toBe(0);
    expect(p.a.counters['gap_overflows']! + p.b.counters['gap_overflows']!).toBeGreaterThan(0);
  });
});
