// sim/model/stress.ts — many RPCs both ways between two NICs under seeded loss, duplication
// and reordering; every completion is checked byte for byte and counted per RPC.

import { seededRng } from './rng.ts';
import { echoServer, keyed, makePair, quiescent, sameBytes, SERVER_PORT, ADDR_A, ADDR_B, effectiveKey } from './testing.ts';
import type { EchoStats, Pair } from './testing.ts';
import type { WireOptions } from './harness.ts';
import type { ModelConfig } from './config.ts';
import type { QueuePair } from './queue-pair.ts';
import { CompletionType } from './types.ts';

export interface StressOptions {
  rpcs: number;               // per direction
  concurrency: number;        // outstanding per client
  maxLength: number;
  wire: WireOptions;
  seed: number;
  cfg?: Partial<ModelConfig>;
  bpages?: number;
  /** Hold each response's bpages this long before returning them (exercises exhaustion). */
  holdPs?: number;
}

export interface StressResult {
  completed: number;
  duplicates: number;
  badResponses: number;
  badRequests: number;
  errors: number;
  multipleExecutions: number;
  leftover: { rpcs: number; bpages: number };
  simPs: number;
  pair: Pair;
}

/** Log-uniform length in [1, max]: many small messages, some near the maximum. */
export function logUniform(r: () => number, max: number): number {
  return Math.max(1, Math.min(max, Math.floor(Math.exp(r() * Math.log(max + 1)))));
}

export function runStress(o: StressOptions): StressResult {
  const p = makePair(o.wire, o.cfg ?? {}, {}, o.bpages ?? 64);
  const r = seededRng(o.seed);
  const res = { completed: 0, duplicates: 0, badResponses: 0, errors: 0 };
  const stats: EchoStats[] = [];
  // Each NIC is client and server: a second queue pair on each side serves the other.
  const serverA = p.a.openQueuePair({ port: SERVER_PORT, server: true, bpages: o.bpages ?? 64 });
  const clientB = p.b.openQueuePair({ bpages: o.bpages ?? 64 });
  const respLen = new Map<number, number>();
  stats.push(echoServer(p.server, (_n, key) => respLen.get(key) ?? 1));
  stats.push(echoServer(serverA, (_n, key) => respLen.get(key) ?? 1));
  const seen = new Set<number>();
  let nextKey = 1000;
  const start = (qp: QueuePair, peer: Uint8Array): void => {
    const key = nextKey++;
    const reqLen = Math.max(4, logUniform(r, o.maxLength));
    respLen.set(key, Math.max(4, logUniform(r, o.maxLength)));
    qp.sendRequest({ peer, dport: SERVER_PORT, payload: keyed(key, reqLen), cookie: key });
  };
  let issued = 0;
  for (const [qp, peer] of [[p.client, ADDR_B], [clientB, ADDR_A]] as const) {
    let sent = 0;
    const onDone = (): void => { if (sent < o.rpcs) { sent++; issued++; start(qp, peer); } };
    qp.onCompletion = (c) => {
      if (c.type === CompletionType.ERROR) { res.errors++; onDone(); return; }
      if (c.type !== CompletionType.RESPONSE) return;
      if (seen.has(c.cookie)) res.duplicates++;
      seen.add(c.cookie);
      res.completed++;
      const want = keyed(effectiveKey(c.cookie, 99) ^ 0x5a5a, respLen.get(c.cookie) ?? -1);
      if (!sameBytes(qp.messageBytes(c), want)) res.badResponses++;
      const give = (): void => { qp.returnBpages(c.bpageOffsets); };
      if (o.holdPs) p.wire.q.at(p.wire.q.now + o.holdPs, give); else give();
      onDone();
    };
    for (let i = 0; i < o.concurrency; i++) onDone();
  }
  const total = 2 * o.rpcs;
  p.wire.q.run(Infinity, () => res.completed + res.errors >= total);
  p.wire.q.run(p.wire.q.now + 1e12);            // 1 s more: NEED_ACK/ACK and held bpages settle
  let multipleExecutions = 0;
  for (const s of stats) for (const n of s.executions.values()) if (n !== 1) multipleExecutions++;
  return {
    ...res, badRequests: stats[0]!.badRequests + stats[1]!.badRequests, multipleExecutions,
    leftover: quiescent(p), simPs: p.wire.q.now, pair: p,
  };
}
