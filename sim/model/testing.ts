// sim/model/testing.ts — helpers for the model's tests and bench: two NICs on a direct wire,
// an echo-style server, deterministic message contents, and the quiescence check.

import { decodeFrame, decodeIcmpUnreachable } from '../../hw/homa/wire/index.ts';
import type { HomaPacket, IpFields } from '../../hw/homa/wire/index.ts';
import { DirectWire, EventQueue } from './harness.ts';
import type { WireOptions } from './harness.ts';
import { ModelNic } from './nic.ts';
import type { ModelConfig } from './config.ts';
import type { QueuePair } from './queue-pair.ts';
import { CompletionType } from './types.ts';
import type { Completion } from './types.ts';

export const ADDR_A = new Uint8Array([10, 0, 0, 1]);
export const ADDR_B = new Uint8Array([10, 0, 0, 2]);
export const SERVER_PORT = 99;

// A 2 MiB block of seeded random bytes; a message is a window of it chosen by its key, so any
// misplaced, stale or foreign byte shows (and tests don't spend their time making bytes).
const BASE = ((): Uint8Array => {
  const b = new Uint8Array(2 << 20);
  let x = 0x12345678;
  for (let i = 0; i < b.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
})();

/** Message bytes that depend on a key and the length. */
export function pattern(key: number, length: number): Uint8Array {
  const start = Math.imul(key, 2654435761) >>> 12;   // 0 .. 1 Mi
  return BASE.slice(start, start + length);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

export interface Pair {
  wire: DirectWire;
  a: ModelNic;
  b: ModelNic;
  client: QueuePair;
  server: QueuePair;
}

/** Client NIC A and server NIC B (server socket opted in on port 99). */
export function makePair(wire: WireOptions = {}, cfg: Partial<ModelConfig> = {}, cfgB: Partial<ModelConfig> = {}, bpages = 64): Pair {
  const a = new ModelNic({ ...cfg, address: ADDR_A });
  const b = new ModelNic({ ...cfg, ...cfgB, address: ADDR_B });
  const w = new DirectWire(a, b, wire);
  const client = a.openQueuePair({ bpages });
  const server = b.openQueuePair({ port: SERVER_PORT, server: true, bpages });
  return { wire: w, a, b, client, server };
}

export interface EchoStats { requests: number; badRequests: number; executions: Map<number, number> }

/**
 * Serve every request: check its bytes (key = cookie carried in the first 4 bytes), return its
 * bpages, reply with `respLen(request)` bytes of pattern(key ^ 0x5a5a).
 */
export function echoServer(server: QueuePair, respLen: (reqLen: number, key: number) => number, check = true): EchoStats {
  const stats: EchoStats = { requests: 0, badRequests: 0, executions: new Map() };
  server.onCompletion = (c: Completion) => {
    if (c.type !== CompletionType.REQUEST) return;
    stats.requests++;
    const bytes = server.messageBytes(c);
    const key = c.length >= 4 ? (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0 : c.length;
    if (check && !sameBytes(bytes, keyed(key, c.length))) stats.badRequests++;
    stats.executions.set(key, (stats.executions.get(key) ?? 0) + 1);
    server.returnBpages(c.bpageOffsets);
    const n = respLen(c.length, key);
    server.sendReply({ id: c.id, peer: c.peer, payload: keyed(key ^ 0x5a5a, n) });
  };
  return stats;
}

/** Messages under 4 bytes can't carry their key; their key is their length. */
export function effectiveKey(key: number, length: number): number { return length < 4 ? length : key >>> 0; }

/** pattern(key) with the key itself in the first 4 bytes (little-endian). */
export function keyed(key: number, length: number): Uint8Array {
  key = effectiveKey(key, length);
  const b = pattern(key, length);
  if (length >= 4) { b[0] = key & 0xff; b[1] = (key >>> 8) & 0xff; b[2] = (key >>> 16) & 0xff; b[3] = (key >>> 24) & 0xff; }
  return b;
}

/** No RPC state and no bpage left on either NIC. */
export function quiescent(p: Pair): { rpcs: number; bpages: number } {
  return { rpcs: p.a.liveRpcs + p.b.liveRpcs + p.a.tombstones + p.b.tombstones, bpages: p.a.bpagesInUse() + p.b.bpagesInUse() };
}

export interface Seen { dir: 'ab' | 'ba'; t: number; ip: IpFields; pkt: HomaPacket; checksumOk: boolean }

/** Wire options that record every frame sent (decoded, with the TCP-style checksum verified). */
export function recorder(extra: WireOptions = {}): { wire: WireOptions; seen: Seen[]; now: { q: { now: number } | null } } {
  const seen: Seen[] = [];
  const now: { q: { now: number } | null } = { q: null };
  const wire: WireOptions = {
    ...extra,
    onSend: (dir, f) => {
      const d = decodeFrame(f);
      if (!d.ok && decodeIcmpUnreachable(f)) { extra.onSend?.(dir, f); return; }    // ICMP (icmp.ts): not in `seen`
      if (!d.ok) throw new Error(`model sent an undecodable frame: ${d.kind} ${d.detail}`);
      seen.push({ dir, t: now.q?.now ?? 0, ip: d.ip, pkt: d.packet, checksumOk: d.checksumOk });
      extra.onSend?.(dir, f);
    },
  };
  return { wire, seen, now };
}

/** Run until `done()` or `limitPs` of simulated time. */
export function runUntil(p: Pair, done: () => boolean, limitPs = 5e12): void {
  p.wire.q.run(p.wire.q.now + limitPs, done);
}

/**
 * One NIC at `address` on an event queue and no wire: tests feed it hand-made frames and pull
 * what it sends. A server queue pair on port 99 with a 200-bpage region collects completions.
 */
export function lonelyNic(address: Uint8Array, cfg: Partial<ModelConfig> = {}) {
  const q = new EventQueue();
  const nic = new ModelNic({ ...cfg, address });
  nic.attach({ now: () => q.now, at: (t, fn) => q.at(t, fn), cancel: (h) => q.cancel(h), wake: () => undefined, linkBitsPerSecond: 25e9 });
  const qp = nic.openQueuePair({ port: 99, server: true, bpages: 200 });
  const done: Completion[] = [];
  qp.onCompletion = (c) => done.push(c);
  return { q, nic, qp, done };
}
