// hw/homa/engine/engine.test.ts — the engine top receives messages: frames in at the MAC,
// payload in the bpages the reference pool would choose, a completion per message, every drop
// counted by reason. The mixed-NIC and conformance tests (sim/cosim, sim/conformance) hold it
// to the reference model through the Device seam; these look at the engine alone.
import { beforeAll, describe, expect, test } from 'vitest';
import { simulate } from '../../hdl/sim/index.ts';
import { completionContinuation, completionEntry, COMPLETION_INLINE_BPAGES, CompletionType, readRecord, v4Mapped } from '../abi.ts';
import { BpagePool } from '../bpages.ts';
import { dataPacket, encodeFrame } from '../wire/index.ts';
import type { IpFields } from '../wire/index.ts';
import { engines } from '../../lib/testing.ts';
import { ENGINE_CONFIGS, type EngineConfig } from './config.ts';
import { homaEngine } from './engine.ts';
import { EngineHarness, type QpLayout } from './harness.ts';

const NIC_V4 = Uint8Array.from([10, 0, 0, 1]);
const CLIENT = (i: number): Uint8Array => Uint8Array.from([10, 0, 1, i]);

/** Deterministic message bytes. */
function bytesOf(seed: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

/** The DATA frames of one message from `client` (id even, its port), MTU 1500. */
function messageFrames(client: Uint8Array, dst: Uint8Array, sport: number, dport: number, id: bigint, msg: Uint8Array): Uint8Array[] {
  const v6 = client.length === 16;
  const max = 1500 - (v6 ? 40 : 20) - 56;
  const ip: IpFields = { version: v6 ? 6 : 4, priority: 0, flow: 0, ttl: 64, protocol: 146, saddr: client, daddr: dst };
  const out: Uint8Array[] = [];
  for (let off = 0; off < msg.length; off += max) {
    const payload = msg.subarray(off, Math.min(msg.length, off + max));
    out.push(encodeFrame(0x020000000001, 0x020000000002, ip, dataPacket(sport, dport, id, { message_length: msg.length, incoming: msg.length, offset: off, payload })));
  }
  return out;
}

interface Got { type: number; id: bigint; length: number; offsets: number[]; peerPort: number; peer: Uint8Array; bytes: Uint8Array }

/** Completions in queue pair `l`'s ring from entry `from`, with their messages' bytes. */
function completions(hx: EngineHarness, l: QpLayout, from = 0): Got[] {
  const tail = hx.userRead(l.qp, 'cq_tail');
  const out: Got[] = [];
  const size = 1 << l.cqLog;
  for (let i = from; i < tail; i++) {
    const rec = readRecord(completionEntry, hx.memory.read(l.cqBase + 64 * (i % size), 64), 0);
    expect(rec['phase'], `phase of entry ${i}`).toBe(((i >> l.cqLog) & 1) ^ 1);
    const n = rec['num_bpages'] as number;
    let offsets = (rec['bpage_offsets'] as number[]).slice(0, Math.min(n, COMPLETION_INLINE_BPAGES));
    if (n > COMPLETION_INLINE_BPAGES) {
      i++;
      const cont = readRecord(completionContinuation, hx.memory.read(l.cqBase + 64 * (i % size), 64), 0);
      expect(cont['type']).toBe(CompletionType.CONTINUATION);
      expect(cont['phase'], `phase of entry ${i}`).toBe(((i >> l.cqLog) & 1) ^ 1);
      offsets = [...offsets, ...(cont['bpage_offsets'] as number[]).slice(0, n - COMPLETION_INLINE_BPAGES)];
    }
    const length = rec['length'] as number;
    const bytes = new Uint8Array(length);
    let done = 0;
    for (const o of offsets) {
      const k = Math.min(65536, length - done);
      bytes.set(hx.memory.read(l.regionBase + o, k), done);
      done += k;
    }
    out.push({ type: rec['type'] as number, id: rec['id'] as bigint, length, offsets, peerPort: rec['peer_port'] as number, peer: rec['peer_addr'] as Uint8Array, bytes });
  }
  return out;
}

async function rig(c: EngineConfig, engine: string): Promise<EngineHarness> {
  const sim = await simulate(homaEngine(c), { engine });
  sim.reset(2);
  const hx = new EngineHarness(sim, c);
  hx.rxBytesPerCycle = c.lineGbps * 1e9 / 8 / (c.clockMhz * 1e6);
  hx.setAddress(NIC_V4);
  return hx;
}

// Test configurations: the real widths, smaller tables where a test does not need them.
const CONFIGS: EngineConfig[] = [
  ENGINE_CONFIGS.u250,
  // arty's datapath and tables at a faster line than its own 100 Mb/s (tests stay short).
  { ...ENGINE_CONFIGS.arty, name: 'arty_t', lineGbps: 6.4 },
];

for (const c of CONFIGS) {
  describe(`engine receive (${c.name})`, () => {
    // The whole engine's model is built (or found in the cache) before the tests: a cold build
    // under a loaded machine can take minutes, which is not the tests' own time.
    beforeAll(async () => { for (const engine of engines) (await simulate(homaEngine(c), { engine })).dispose(); }, 900_000);
    for (const engine of engines) {
      test(`requests of 1 B to 200 KB from several clients land in the pool's bpages with one completion each (${engine})`, async () => {
        const hx = await rig(c, engine);
        const l = hx.openQueuePair(0, 99, { bpages: 40 });
        const pool = new BpagePool(40);
        const sizes = [1, 100, 1423, 1424, 1425, 4000, 39999, 65536, 70000, 200000];
        const want: { id: bigint; msg: Uint8Array; client: Uint8Array; offsets: number[] }[] = [];
        sizes.forEach((n, i) => {
          const client = CLIENT(1 + (i % 3));
          const msg = bytesOf(i, n);
          const id = BigInt(2 + 2 * i);
          for (const f of messageFrames(client, NIC_V4, 40000 + i, 99, id, msg)) hx.receive(f);
          want.push({ id: id + 1n, msg, client, offsets: pool.allocate(n)! });
        });
        hx.runUntilIdle();
        const got = completions(hx, l);
        expect(got.map((g) => g.id)).toEqual(want.map((w) => w.id));
        got.forEach((g, i) => {
          const w = want[i]!;
          expect(g.type).toBe(CompletionType.REQUEST);
          expect(g.length).toBe(w.msg.length);
          expect(g.offsets, `bpages of message ${i}`).toEqual(w.offsets);
          expect(Array.from(g.peer)).toEqual(Array.from(v4Mapped(w.client)));
          expect(g.peerPort).toBe(40000 + i);
          expect(Buffer.from(g.bytes).equals(Buffer.from(w.msg)), `bytes of message ${i} (${w.msg.length} B)`).toBe(true);
        });
        expect(hx.counter('server_requests_done')).toBe(sizes.length);
        expect(hx.counter('packets_rcvd_DATA')).toBeGreaterThan(sizes.length);
        expect(hx.userRead(0, 'bpool_avail_bytes')).toBe(pool.availBytes);
        expect(hx.irqs.filter((x) => x.qp === 0).length).toBeGreaterThanOrEqual(sizes.length);
        hx.sim.dispose();
      });

      test(`out-of-order and duplicated packets still give each message once, byte for byte (${engine})`, async () => {
        const hx = await rig(c, engine);
        const l = hx.openQueuePair(1, 7);
        const msg = bytesOf(7, 30000);
        const frames = messageFrames(CLIENT(9), NIC_V4, 5000, 7, 100n, msg);
        // Last first, then the rest with a duplicate in the middle: at most a few gaps open.
        const order = [frames.length - 1, 0, 2, 1, 1, ...frames.slice(3, -1).map((_, i) => i + 3)];
        for (const k of order) hx.receive(frames[k]!);
        hx.runUntilIdle();
        const got = completions(hx, l);
        expect(got.length).toBe(1);
        expect(Buffer.from(got[0]!.bytes).equals(Buffer.from(msg))).toBe(true);
        expect(hx.counter('packet_discards')).toBe(1);
        hx.sim.dispose();
      });

      test(`bad frames are dropped and counted by reason, and nothing is written (${engine})`, async () => {
        const hx = await rig(c, engine);
        hx.openQueuePair(0, 99);
        const ok = messageFrames(CLIENT(1), NIC_V4, 1, 99, 2n, bytesOf(1, 50))[0]!;
        const corrupt = ok.slice(); corrupt[ok.length - 1]! ^= 1;                       // payload byte: checksum
        const short = ok.slice(0, 30);                                                  // no whole IPv4 header
        const truncated = ok.slice(0, 80);                                              // IP total length past the frame
        const other = messageFrames(CLIENT(1), Uint8Array.from([10, 0, 0, 9]), 1, 99, 2n, bytesOf(1, 50))[0]!;
        const noPort = messageFrames(CLIENT(1), NIC_V4, 1, 98, 4n, bytesOf(1, 50))[0]!;
        const response = messageFrames(CLIENT(1), NIC_V4, 1, 99, 5n, bytesOf(1, 50))[0]!; // an odd sender id: a response to no RPC of ours
        for (const f of [corrupt, short, truncated, other, noPort, response]) hx.receive(f);
        hx.receive(ok, true);                                                           // bad FCS
        hx.runUntilIdle();
        expect(hx.writes).toEqual([]);
        expect(hx.counter('bad_checksums')).toBe(1);
        expect(hx.counter('short_packets')).toBe(1);
        expect(hx.counter('bad_ip_headers')).toBe(1);
        expect(hx.counter('not_for_this_host')).toBe(1);
        expect(hx.counter('requests_to_non_server')).toBe(1);
        expect(hx.counter('unknown_rpcs')).toBe(1);
        expect(hx.counter('rx_frame_errors')).toBe(1);
        // And the engine still works.
        hx.receive(ok);
        hx.runUntilIdle();
        expect(hx.counter('server_requests_done')).toBe(1);
        hx.sim.dispose();
      });
    }
  });
}

