import { expect, test } from 'vitest';
import type { Beat } from '../../hdl/sim/index.ts';
import { bench, engines, Rng } from '../../lib/testing.ts';
import { ENGINE_CONFIGS, type EngineConfig } from './config.ts';
import { bretFetch } from './bret_fetch.ts';
import { doorbellKind, qpEventKind, qpUpdateKind } from './types.ts';

// A host in the test: every queue pair has a bpage-return ring in host memory (ABI v2 ring
// rules: free-running counters, slot = counter & (entries - 1)); the host writes offsets, rings
// the bret doorbell with its new tail, and reuses slots once bret_head has passed them. A DMA
// model serves rd_req from that memory: each response after a random delay, beats of different
// tags interleaved at random, and refuses any read outside a ring registered for that queue
// pair. Offsets are unique and name their queue pair, enable and sequence number, so the check
// is exact: per queue pair and enable, the offsets that come out are the ones written, in
// order, each once; after the run every live ring is empty and bret_head equals its tail.
// Midway some queue pairs are disabled and enabled again on a new ring starting from 0 (some
// at once, with reads of the old ring in flight). Once the block has taken a disable, nothing
// of that queue pair may come out (no offset, bret_head or event; no read but the one already
// offered) until it is enabled again, and then only offsets of the new ring.

const kindOf = (k: 'enable' | 'disable' | 'ctrl') => Number(qpEventKind.values[k]);

function qpEvent(kind: 'enable' | 'disable' | 'ctrl', qp: number, base: bigint, log: number): Beat {
  return {
    kind: kindOf(kind), qp, gen: 0, server: 0, irq: 0, port: 1000 + qp,
    sq_base: 0n, sq_log: 4, cq_base: 0n, cq_log: 4, bret_base: base, bret_log: log,
    bpool_base: 0n, bpool_bpages: 0, send_base: 0n, send_size: 0,
  };
}

interface Ring { base: bigint; log: number; slots: Uint32Array }
interface QpHost { epoch: number; enabled: boolean; ring: Ring; rings: Ring[]; tail: number; head: number; written: number[][]; released: number[][] }

const offsetOf = (qp: number, epoch: number, seq: number) => ((qp & 0xff) << 24 | (epoch & 0xff) << 16 | (seq & 0xffff)) >>> 0;

async function ringsDrain(c: EngineConfig, engine: string, seed: number, total: number): Promise<void> {
  const { sim, tb } = await bench(bretFetch(c), engine);
  const rng = new Rng(seed);
  const B = c.beatBytes;
  // A handful of queue pairs spread over the range (all of them on small configurations).
  const qps = [...new Set([0, 1, 2, c.queuePairs >> 1, c.queuePairs - 2, c.queuePairs - 1])].filter((q) => q < c.queuePairs);
  let nextBase = 0x10_0000_0000n;
  const newRing = (): Ring => {
    const log = rng.chance(0.2) ? rng.range(6, 16) : rng.range(2, 5);
    const ring = { base: nextBase, log, slots: new Uint32Array(1 << log) };
    nextBase += BigInt(Math.max(4096, 4 << log)) + 4096n;
    return ring;
  };
  const host = new Map<number, QpHost>();
  // Enables pushed and not yet taken: the host rings none of their doorbells before (in the
  // engine the register block orders them; here they are separate streams).
  const starting = new Set<number>();

  const events = tb.driver('qp_event', { validProbability: 0.5, seed: seed + 1 });
  const bells = tb.driver('doorbell', { validProbability: 0.7, seed: seed + 2 });
  const rdData = tb.driver('rd_data', { validProbability: 0.8, seed: seed + 3 });
  const enable = (qp: number) => {
    const h = host.get(qp);
    const ring = newRing();
    const epoch = h ? h.epoch + 1 : 0;
    host.set(qp, { epoch, enabled: true, ring, rings: [...(h?.rings ?? []), ring], tail: 0, head: 0, written: [...(h?.written ?? []), []], released: [...(h?.released ?? []), []] });
    events.push(qpEvent('enable', qp, ring.base, ring.log));
    starting.add(qp);
  };
  for (const qp of qps) enable(qp);

  // ---- the DMA model ----
  const outstanding = new Map<number, { beats: Beat[]; at: number; order: number }>();
  let reads = 0, outOfOrder = 0;
  // Queue pairs the block has taken a disable for (and no enable since), and reads made since.
  const off = new Map<number, number>();
  // The enable the block took last, per queue pair: only its ring's offsets may come out.
  const hwEpoch = new Map<number, number>();
  const quiet = (qp: number, what: string) => { if (off.has(qp)) throw new Error(`${what} for queue pair ${qp} after its disable was taken`); };
  const rdReq = tb.monitor('rd_req', {
    readyProbability: 0.6, seed: seed + 4,
    onBeat: (b, cycle) => {
      const r = b as Record<string, number | bigint>;
      const addr = BigInt(r['addr']!), len = Number(r['len']), tag = Number(r['tag']), qp = Number(r['qp']);
      const h = host.get(qp);
      if (!h) throw new Error(`read for queue pair ${qp}, which was never enabled`);
      if (tag > 7 || outstanding.has(tag)) throw new Error(`read with tag ${tag}, which is out of range or already in flight`);
      if (len < 4 || len > 64 || len % 4) throw new Error(`read of ${len} bytes (4..64, whole entries)`);
      const ring = h.rings.find((g) => addr >= g.base && addr + BigInt(len) <= g.base + BigInt(4 << g.log));
      if (!ring) throw new Error(`read of ${len} bytes at 0x${addr.toString(16)} is outside every ring queue pair ${qp} registered`);
      // The read waiting in rd_req when the disable was taken may still go; no other.
      if (off.has(qp)) { off.set(qp, off.get(qp)! + 1); if (off.get(qp)! > 1) throw new Error(`a second read for queue pair ${qp} after its disable was taken`); }
      reads++;
      // The response: the entries as memory holds them now, bytes from lane 0, garbage after.
      const bytes: number[] = [];
      for (let i = 0; i < len / 4; i++) {
        const v = ring.slots[Number((addr - ring.base) / 4n) + i]!;
        bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
      }
      const beats: Beat[] = [];
      for (let at = 0; at < bytes.length; at += B) {
        let data = 0n;
        for (let j = B - 1; j >= 0; j--) data = (data << 8n) | BigInt(at + j < bytes.length ? bytes[at + j]! : rng.int(256));
        beats.push({ data: B * 8 <= 32 ? Number(data) : data, last: at + B >= bytes.length ? 1 : 0, tag });
      }
      outstanding.set(tag, { beats, at: cycle + rng.range(1, 40), order: reads });
    },
  });

  // ---- what comes out ----
  tb.monitor('release', {
    readyProbability: 0.7, seed: seed + 5,
    onBeat: (b) => {
      const r = b as Record<string, number>;
      const qp = r['qp']!, offset = r['offset']!;
      const h = host.get(qp);
      if (!h) throw new Error(`release for queue pair ${qp}, which was never enabled`);
      quiet(qp, `release of 0x${offset.toString(16)}`);
      const epoch = (offset >>> 16) & 0xff;
      if (offset >>> 24 !== (qp & 0xff) || !h.released[epoch]) throw new Error(`release of 0x${offset.toString(16)} on queue pair ${qp}: not an offset the host wrote there`);
      if (epoch !== hwEpoch.get(qp)) throw new Error(`release of 0x${offset.toString(16)} on queue pair ${qp}: from a ring before its last enable`);
      h.released[epoch]!.push(offset);
    },
  });
  const updates = tb.monitor('update', {
    readyProbability: 0.6, seed: seed + 6,
    onBeat: (b) => {
      const r = b as Record<string, number>;
      const qp = r['qp']!, value = r['value']!;
      expect(r['kind']).toBe(Number(qpUpdateKind.values.bret_head));
      quiet(qp, `bret_head ${value}`);
      const h = host.get(qp)!;
      // Every entry before the new head has gone to `release` already.
      if (!h.released.some((l) => l.length >= value)) throw new Error(`bret_head ${value} on queue pair ${qp} before its entries were released`);
      if (h.enabled && h.released[h.epoch]!.length >= value && value > h.head) h.head = value;
    },
  });
  const irqs = tb.monitor('event', { readyProbability: 0.5, seed: seed + 7, onBeat: (b) => quiet(Number(b), 'event') });

  // ---- the host ----
  let produced = 0, sentBeats = 0, sentEvents = 0, toggles = 0;
  const stop = sim.onCycle((cycle) => {
    for (; sentEvents < events.sent.length; sentEvents++) {
      const e = events.sent[sentEvents] as Record<string, number>;
      if (e['kind'] === kindOf('disable')) off.set(e['qp']!, 0);
      if (e['kind'] === kindOf('enable')) { off.delete(e['qp']!); starting.delete(e['qp']!); hwEpoch.set(e['qp']!, (hwEpoch.get(e['qp']!) ?? -1) + 1); }
    }
    // Tags whose last beat went in are free.
    for (; sentBeats < rdData.sent.length; sentBeats++) {
      const b = rdData.sent[sentBeats] as Record<string, number>;
      if (b['last']) outstanding.delete(b['tag']!);
    }
    // Responses: a beat of a random tag whose data is due (beats of one tag in order).
    if (rdData.pending === 0) {
      const due = [...outstanding.entries()].filter(([, o]) => o.at <= cycle && o.beats.length);
      if (due.length) {
        const [, o] = rng.pick(due);
        // A beat while an older read still waits for some of its own: out of issue order.
        if ([...outstanding.values()].some((x) => x.order < o.order && x.beats.length)) outOfOrder++;
        rdData.push(o.beats.shift()!);
      }
    }
    if (produced >= total) return;
    // Write entries into a ring with room, then ring its doorbell.
    const ringable = qps.filter((x) => !starting.has(x));
    if (bells.pending < 2 && ringable.length && rng.chance(0.3)) {
      const qp = rng.pick(ringable), h = host.get(qp)!;
      const room = (1 << h.ring.log) - (h.tail - h.head);
      if (!h.enabled) {
        // Once the block has taken the disable, any tail is ignored.
        if (off.has(qp)) bells.push({ kind: Number(doorbellKind.values.bret), qp, value: rng.next() });
      } else if (room > 0) {
        const k = rng.range(1, Math.min(room, rng.chance(0.5) ? 40 : 3));
        for (let i = 0; i < k; i++) {
          const v = offsetOf(qp, h.epoch, h.written[h.epoch]!.length);
          h.ring.slots[(h.tail + i) & ((1 << h.ring.log) - 1)] = v;
          h.written[h.epoch]!.push(v);
        }
        h.tail += k;
        produced += k;
        bells.push({ kind: Number(doorbellKind.values.bret), qp, value: h.tail });
      }
      if (rng.chance(0.1)) bells.push({ kind: Number(doorbellKind.values[rng.chance(0.5) ? 'sq' : 'cq']), qp, value: rng.next() });
    }
    // Now and then a queue pair stops, and later starts again on a new ring.
    if (events.pending === 0 && rng.chance(0.002)) {
      const qp = rng.pick(qps), h = host.get(qp)!;
      // (An enable waits for the doorbells queued while disabled: they must reach the old ring.)
      if (h.enabled) { events.push(qpEvent('disable', qp, 0n, 0)); h.enabled = false; toggles++; } else if (bells.pending === 0) enable(qp);
    }
    // Some come back at once, with reads of the old ring still in flight.
    const stopped = qps.filter((x) => off.has(x) && !host.get(x)!.enabled);
    if (events.pending === 0 && bells.pending === 0 && stopped.length && rng.chance(0.05)) enable(rng.pick(stopped));
    if (events.pending === 0 && rng.chance(0.003)) events.push(qpEvent('ctrl', rng.pick(qps), 0n, 0));
  });

  // Finally every queue pair runs again and drains.
  await tb.until(() => produced >= total, { timeout: 200 * total });
  await tb.until(() => bells.pending === 0);
  for (const qp of qps) if (!host.get(qp)!.enabled) enable(qp);
  const drained = () => events.pending === 0 && bells.pending === 0 && outstanding.size === 0
    && qps.every((qp) => { const h = host.get(qp)!; return h.released[h.epoch]!.length === h.tail && h.head === h.tail; });
  await tb.until(drained, { timeout: 200 * total });
  await tb.tick(100);
  stop();

  for (const qp of qps) {
    const h = host.get(qp)!;
    h.written.forEach((w, epoch) => {
      const got = h.released[epoch]!;
      // In order, each once; a ring that was stopped may stop early, the live one never.
      expect(got).toEqual(epoch === h.epoch ? w : w.slice(0, got.length));
    });
  }
  expect(irqs.received.length).toBe(updates.received.length);
  expect(irqs.received.sort()).toEqual(updates.received.map((u) => (u as Record<string, number>)['qp']).sort());
  expect(rdReq.received.length).toBe(reads);
  // The stimulus reached what it is meant to.
  expect(reads).toBeGreaterThan(50);
  expect(outOfOrder).toBeGreaterThan(10);
  expect(toggles).toBeGreaterThan(0);
  sim.dispose();
}

// Doorbells that must read nothing: a tail more than a ring ahead of the head (the ring rules
// allow at most `entries`), and any doorbell of a queue pair that is not enabled. A sane tail
// afterwards is served from where the head was; a full ring (tail - head == entries) is sane.
async function insaneTailsIgnored(engine: string): Promise<void> {
  const c = ENGINE_CONFIGS.arty;
  const { sim, tb } = await bench(bretFetch(c), engine);
  const base = 0x4000_0000n, log = 2;
  const events = tb.driver('qp_event').push(qpEvent('enable', 3, base, log));
  const bells = tb.driver('doorbell');
  const rdData = tb.driver('rd_data');
  const released: number[] = [];
  const ring = [0x10000, 0x20000, 0x30000, 0x40000, 0x50000, 0x60000, 0x70000, 0x80000];
  const rdReq = tb.monitor('rd_req', {
    onBeat: (b) => {
      const r = b as Record<string, number | bigint>;
      const first = Number((BigInt(r['addr']!) - base) / 4n), n = Number(r['len']) / 4;
      expect(first + n).toBeLessThanOrEqual(1 << log);
      for (let i = 0; i < n; i += 2) {
        const lo = BigInt(ring[released.length + i]!), hi = i + 1 < n ? BigInt(ring[released.length + i + 1]!) : 0n;
        rdData.push({ data: (hi << 32n) | lo, last: i + 2 >= n ? 1 : 0, tag: Number(r['tag']) });
      }
    },
  });
  tb.monitor('release', { onBeat: (b) => released.push(Number((b as Record<string, number>)['offset'])) });
  const heads = tb.monitor('update');
  tb.monitor('event');
  await tb.until(() => events.pending === 0);
  bells.push({ kind: Number(doorbellKind.values.bret), qp: 3, value: 5 });   // 5 > 4 entries: ignored
  bells.push({ kind: Number(doorbellKind.values.bret), qp: 4, value: 2 });   // queue pair 4 is not enabled
  await tb.tick(50);
  expect(rdReq.received).toEqual([]);
  bells.push({ kind: Number(doorbellKind.values.bret), qp: 3, value: 4 });   // full ring: all 4
  await tb.until(() => released.length === 4 && heads.received.length > 0, { timeout: 500 });
  expect(released).toEqual(ring.slice(0, 4));
  await tb.tick(20);
  expect(heads.received.map((b) => (b as Record<string, number>)['value']).at(-1)).toBe(4);
  sim.dispose();
}

for (const engine of engines) {
  test(`bret_fetch ignores a tail past the ring's room and doorbells of disabled queue pairs (${engine})`, async () => {
    await insaneTailsIgnored(engine);
  });
  for (const name of ['ice40', 'arty', 'u250'] as const) {
    const c = ENGINE_CONFIGS[name];
    test(`bret_fetch (${name}: ${c.beatBytes}-byte beats, ${c.queuePairs} queue pairs) hands every returned offset to the pool once, in ring order (${engine})`, async () => {
      await ringsDrain(c, engine, 3 + c.beatBytes, 3000);
    });
  }
}
