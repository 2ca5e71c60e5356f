import { expect, test } from 'vitest';
import type { Beat } from '../../hdl/sim/index.ts';
import { bench, engines, Rng } from '../../lib/testing.ts';
import { CompletionType, QpStatus, SendOpcode, descriptorFault, sendDescriptor } from '../abi.ts';
import { readRecord, writeRecord, type MemRecord } from '../abi/memory.ts';
import { ENGINE_CONFIGS, type EngineConfig } from './config.ts';
import { SQ_READ_DESCRIPTORS, SQ_READ_TAG, sqFetch } from './sq_fetch.ts';
import { doorbellKind, qpEventKind, qpUpdateKind } from './types.ts';

// A host in the test: every queue pair has a send ring in host memory (ABI v2 ring rules) and
// a send region of a random size. The host writes descriptors (good and bad of every kind
// descriptorFault knows), rings the sq doorbell with its new tail, and reuses slots once
// sq_head has passed them. A DMA model serves reads from that memory after a random delay and
// refuses any read outside the ring of the queue pair it names. The check is exact, per queue
// pair: the descriptors that come out on `desc` are the ones descriptorFault (hw/homa/abi, the
// reference model's own check) accepts, in ring order, REQUESTs with the engine's ids (even, each once) and the rest
// unchanged; the refused ones come out on `cq` as ERROR completions with EINVAL and the
// descriptor's id, cookie, address and port, in order, each with status BAD_DESCRIPTOR and a
// `bad` pulse; sq_head only moves forward, never past what was copied out, and ends at the tail.
// Midway some queue pairs are disabled and enabled again on a new ring.

const kindOf = (k: 'enable' | 'disable' | 'ctrl') => Number(qpEventKind.values[k]);

function qpEvent(kind: 'enable' | 'disable' | 'ctrl', qp: number, base: bigint, log: number, sendSize: number, gen: number): Beat {
  return {
    kind: kindOf(kind), qp, gen, server: 0, irq: 0, port: 1000 + qp,
    sq_base: base, sq_log: log, cq_base: 0n, cq_log: 4, bret_base: 0n, bret_log: 4,
    bpool_base: 0n, bpool_bpages: 0, send_base: 0n, send_size: sendSize,
  };
}

const v4 = (a: number) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, a);
const v6 = (a: number) => Uint8Array.of(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a);

/** A descriptor: mostly good, else one of the faults descriptorFault names. */
function randomDescriptor(rng: Rng, sendSize: number, ipv4: boolean, seq: number): MemRecord {
  const addr = ipv4 ? v4(rng.range(1, 200)) : v6(rng.range(1, 200));
  const length = rng.range(1, Math.min(sendSize, 1_000_000));
  const base: MemRecord = {
    opcode: SendOpcode.REQUEST, flags: rng.int(8), dport: rng.range(1, 65535), length, error: 0,
    send_offset: rng.range(0, sendSize - length), id: 0n, cookie: BigInt(seq) * 0x1_0000_0001n, peer_addr: addr, reserved: new Uint8Array(16),
  };
  const kind = rng.int(14);
  switch (kind) {
    case 0: return { ...base, opcode: SendOpcode.REPLY, id: BigInt(2 * rng.range(1, 1000) + 1), cookie: 0n };
    case 1: return { ...base, opcode: SendOpcode.REPLY, id: BigInt(2 * rng.range(1, 1000) + 1), cookie: 0n, peer_addr: new Uint8Array(16) };
    case 2: return { ...base, opcode: SendOpcode.ABORT, id: BigInt(rng.int(100)), error: rng.int(120), length: rng.int(3_000_000) };
    case 3: return { ...base, opcode: [0, 4, 7, 255][rng.int(4)]! };                          // unknown opcode
    case 4: return { ...base, length: 0 };
    case 5: return { ...base, length: 1_000_001 + rng.int(1000), send_offset: 0 };            // too long
    case 6: return { ...base, send_offset: sendSize - length + rng.range(1, 100) };          // leaves the region
    case 7: return { ...base, send_offset: 0xffff_ff00 + rng.int(256) };                     // wraps 32 bits
    case 8: return { ...base, id: BigInt(rng.range(1, 1 << 30)) };                           // REQUEST with an id
    case 9: return { ...base, dport: 0 };
    case 10: return { ...base, opcode: SendOpcode.REPLY, id: 7n, cookie: 5n };              // REPLY with a cookie
    case 11: return { ...base, peer_addr: ipv4 ? v6(9) : v4(9) };                            // the other family (bad on IPv4 only)
    default: return base;
  }
}

interface QpHost {
  epoch: number; enabled: boolean; base: bigint; log: number; sendSize: number; ring: Uint8Array;
  tail: number; head: number; sizes: number[]; written: MemRecord[][]; accepted: Beat[][]; refused: Beat[][];
}

async function descriptorsFlow(c: EngineConfig, engine: string, seed: number, total: number, ipv4: boolean): Promise<void> {
  const { sim, tb } = await bench(sqFetch(c), engine);
  sim.poke('ipv4', ipv4 ? 1 : 0);
  const rng = new Rng(seed);
  const B = c.beatBytes;
  // Stops and restarts now and then (a stopped ring loses what it had not handed on).
  const toggleChance = 0.0003 * B ** 0.5;
  const qps = [...new Set([0, 1, c.queuePairs >> 1, c.queuePairs - 1])];
  let nextBase = 0x20_0000_0000n;
  const host = new Map<number, QpHost>();
  const starting = new Set<number>();
  const events = tb.driver('qp_event', { validProbability: 0.5, seed: seed + 1 });
  const bells = tb.driver('doorbell', { validProbability: 0.7, seed: seed + 2 });
  const rdData = tb.driver('rd_data', { validProbability: 0.8, seed: seed + 3 });
  const enable = (qp: number) => {
    const h = host.get(qp);
    const log = rng.range(1, 5);
    const epoch = h ? h.epoch + 1 : 0;
    const sendSize = rng.chance(0.3) ? rng.range(64, 5000) : rng.range(1 << 20, 1 << 30);
    const ring = new Uint8Array(64 << log);
    host.set(qp, {
      epoch, enabled: true, base: nextBase, log, sendSize, ring, tail: 0, head: 0, sizes: [...(h?.sizes ?? []), sendSize],
      written: [...(h?.written ?? []), []], accepted: [...(h?.accepted ?? []), []], refused: [...(h?.refused ?? []), []],
    });
    events.push(qpEvent('enable', qp, nextBase, log, sendSize, epoch & 0xff));
    nextBase += 0x1_0000_0000n;
    starting.add(qp);
  };
  for (const qp of qps) enable(qp);

  // ---- the DMA model ----
  let reading: { beats: Beat[]; at: number } | null = null;
  let reads = 0;
  const off = new Set<number>();
  const rdReq = tb.monitor('rd_req', {
    readyProbability: 0.6, seed: seed + 4,
    onBeat: (b, cycle) => {
      const r = b as Record<string, number | bigint>;
      const addr = BigInt(r['addr']!), len = Number(r['len']), tag = Number(r['tag']), qp = Number(r['qp']);
      const h = host.get(qp);
      if (!h) throw new Error(`read for queue pair ${qp}, which was never enabled`);
      if (tag !== SQ_READ_TAG) throw new Error(`read with tag ${tag}, not ${SQ_READ_TAG}`);
      if (reading) throw new Error(`a second read while one is in flight`);
      if (len < 64 || len > 64 * SQ_READ_DESCRIPTORS || len % 64) throw new Error(`read of ${len} bytes (whole descriptors, at most ${SQ_READ_DESCRIPTORS})`);
      if (addr < h.base || addr + BigInt(len) > h.base + BigInt(h.ring.length)) throw new Error(`read of ${len} bytes at 0x${addr.toString(16)} outside queue pair ${qp}'s send ring`);
      reads++;
      const at = Number(addr - h.base);
      const bytes = h.ring.slice(at, at + len);
      const beats: Beat[] = [];
      for (let i = 0; i < len; i += B) {
        let data = 0n;
        for (let j = B - 1; j >= 0; j--) data = (data << 8n) | BigInt(bytes[i + j]!);
        beats.push({ data: B <= 4 ? Number(data) : data, last: i + B >= len ? 1 : 0, tag });
      }
      reading = { beats, at: cycle + rng.range(1, 30) };
    },
  });

  // ---- what comes out ----
  const fieldsOf = (b: Beat) => b as Record<string, number | bigint>;
  tb.monitor('desc', {
    readyProbability: 0.6, seed: seed + 5,
    onBeat: (b) => {
      const qp = Number(fieldsOf(b)['qp']);
      if (off.has(qp)) throw new Error(`descriptor for queue pair ${qp} after its disable was taken`);
      host.get(qp)!.accepted.at(-1)!.push(b);
    },
  });
  tb.monitor('cq', {
    readyProbability: 0.6, seed: seed + 6,
    onBeat: (b) => {
      const qp = Number(fieldsOf(b)['qp']);
      if (off.has(qp)) throw new Error(`refusal for queue pair ${qp} after its disable was taken`);
      host.get(qp)!.refused.at(-1)!.push(b);
    },
  });
  let badPulses = 0, statusSets = 0;
  const unsub = sim.onCycle(() => { if (Number(sim.peek('bad'))) badPulses++; });
  tb.monitor('update', {
    readyProbability: 0.6, seed: seed + 7,
    onBeat: (b) => {
      const r = fieldsOf(b);
      const qp = Number(r['qp']), value = Number(r['value']);
      if (off.has(qp)) throw new Error(`update for queue pair ${qp} after its disable was taken`);
      const h = host.get(qp)!;
      if (Number(r['kind']) === Number(qpUpdateKind.values.status_set)) {
        expect(value).toBe(QpStatus.BAD_DESCRIPTOR);
        statusSets++;
        return;
      }
      expect(Number(r['kind'])).toBe(Number(qpUpdateKind.values.sq_head));
      const out = h.accepted.at(-1)!.length + h.refused.at(-1)!.length;
      // The last one or two may still wait in `desc` and `cq`: copied out of the ring, so the slots are free.
      if (value > out + 2) throw new Error(`sq_head ${value} on queue pair ${qp} with ${out} descriptors handed on`);
      if (value < h.head || value > h.tail) throw new Error(`sq_head ${value} on queue pair ${qp} outside [${h.head}, ${h.tail}]`);
      h.head = value;
    },
  });

  // ---- the host ----
  let produced = 0, sentEvents = 0, toggles = 0, seq = 0;
  const stop = sim.onCycle((cycle) => {
    for (; sentEvents < events.sent.length; sentEvents++) {
      const e = events.sent[sentEvents] as Record<string, number>;
      if (e['kind'] === kindOf('disable')) off.add(e['qp']!);
      if (e['kind'] === kindOf('enable')) { off.delete(e['qp']!); starting.delete(e['qp']!); }
    }
    if (reading && reading.at <= cycle && rdData.pending === 0) {
      rdData.push(reading.beats.shift()!);
      if (reading.beats.length === 0) reading = null;
    }
    if (produced >= total) return;
    const ringable = qps.filter((x) => !starting.has(x));
    if (bells.pending < 2 && ringable.length && rng.chance(0.2)) {
      const qp = rng.pick(ringable), h = host.get(qp)!;
      const room = (1 << h.log) - (h.tail - h.head);
      if (h.enabled && room > 0) {
        const k = rng.range(1, Math.min(room, 6));
        for (let i = 0; i < k; i++) {
          const d = randomDescriptor(rng, h.sendSize, ipv4, seq++);
          writeRecord(sendDescriptor, h.ring, ((h.tail + i) & ((1 << h.log) - 1)) * 64, d);
          h.written.at(-1)!.push(readRecord(sendDescriptor, h.ring, ((h.tail + i) & ((1 << h.log) - 1)) * 64));
        }
        h.tail += k;
        produced += k;
        bells.push({ kind: Number(doorbellKind.values.sq), qp, value: h.tail });
      }
      if (rng.chance(0.05)) bells.push({ kind: Number(doorbellKind.values[rng.chance(0.5) ? 'bret' : 'cq']), qp, value: rng.next() });
    }
    if (events.pending === 0 && bells.pending === 0 && rng.chance(toggleChance)) {
      const qp = rng.pick(qps), h = host.get(qp)!;
      if (h.enabled) { events.push(qpEvent('disable', qp, 0n, 0, 0, 0)); h.enabled = false; toggles++; } else enable(qp);
    }
  });

  await tb.until(() => produced >= total, { timeout: 400 * total });
  await tb.until(() => bells.pending === 0 && events.pending === 0);
  for (const qp of qps) if (!host.get(qp)!.enabled) enable(qp);
  const drained = () => events.pending === 0 && bells.pending === 0 && reading === null
    && qps.every((qp) => { const h = host.get(qp)!; return h.head === h.tail; });
  await tb.until(drained, { timeout: 400 * total });
  await tb.tick(100);
  stop();
  unsub();

  // The reference: descriptorFault decides; REQUESTs take ids from one counter for the whole
  // engine (2, 4, ...): even, each used once, rising in each ring's order (ids a stopped ring's
  // dropped descriptors took are skipped).
  const family = ipv4 ? 4 : 16;
  let refusedTotal = 0, acceptedTotal = 0;
  const requestIds: bigint[] = [];
  for (const qp of qps) {
    const h = host.get(qp)!;
    h.written.forEach((list, epoch) => {
      const wantAccepted: Record<string, unknown>[] = [], wantRefused: Record<string, unknown>[] = [];
      const isRequest: boolean[] = [];
      for (const d of list) {
        if (descriptorFault(d, h.sizes[epoch]!, family) !== null) {
          wantRefused.push({
            qp, type: CompletionType.ERROR, error: 22, id: d['id'], cookie: d['cookie'], peer_port: d['dport'], length: 0, num_bpages: 0,
            peer_addr: bytesToBig(d['peer_addr'] as Uint8Array),
          });
        } else {
          const isReq = d['opcode'] === SendOpcode.REQUEST;
          wantAccepted.push({
            qp, opcode: d['opcode'], flags: d['flags'], dport: d['dport'], length: Number(d['length']) & 0xfffff, send_offset: d['send_offset'],
            error: d['error'], id: d['id'], cookie: d['cookie'], peer_addr: bytesToBig(d['peer_addr'] as Uint8Array),
          });
          isRequest.push(isReq);
        }
      }
      const pick = (b: Beat, keys: string[]) => Object.fromEntries(keys.map((k) => {
        const v = fieldsOf(b)[k]!;
        return [k, typeof v === 'bigint' || ['id', 'cookie', 'peer_addr'].includes(k) ? BigInt(v) : Number(v)];
      }));
      const gotA = h.accepted[epoch]!.map((b) => pick(b, Object.keys(wantAccepted[0] ?? { qp: 0 })));
      const gotR = h.refused[epoch]!.map((b) => pick(b, Object.keys(wantRefused[0] ?? { qp: 0 })));
      // A REQUEST's id is the engine's: taken from what it handed on, checked below.
      const epochIds: bigint[] = [];
      gotA.forEach((g, i) => { if (isRequest[i] && wantAccepted[i]) { wantAccepted[i]!['id'] = g['id']; epochIds.push(g['id'] as bigint); } });
      epochIds.forEach((id, i) => { if (i > 0) expect(id).toBeGreaterThan(epochIds[i - 1]!); });
      requestIds.push(...epochIds);
      const norm = (l: Record<string, unknown>[]) => l.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, ['id', 'cookie', 'peer_addr'].includes(k) ? BigInt(v as bigint) : Number(v)])));
      // A ring that was stopped may stop early; the live one never.
      const live = epoch === h.epoch;
      expect(gotA).toEqual(live ? norm(wantAccepted) : norm(wantAccepted).slice(0, gotA.length));
      expect(gotR).toEqual(live ? norm(wantRefused) : norm(wantRefused).slice(0, gotR.length));
      refusedTotal += gotR.length;
      acceptedTotal += gotA.length;
    });
  }
  expect(requestIds.every((id) => id >= 2n && id % 2n === 0n)).toBe(true);
  expect(new Set(requestIds).size).toBe(requestIds.length);
  expect(badPulses).toBe(refusedTotal);
  expect(statusSets).toBe(refusedTotal);
  expect(rdReq.received.length).toBe(reads);
  // The stimulus reached what it is meant to.
  expect(refusedTotal).toBeGreaterThan(total / 4);
  expect(acceptedTotal).toBeGreaterThan(total / 8);
  expect(toggles).toBeGreaterThan(0);
  sim.dispose();
}

function bytesToBig(a: Uint8Array): bigint {
  let v = 0n;
  for (const x of a) v = (v << 8n) | BigInt(x);
  return v;
}

for (const engine of engines) {
  for (const [name, ipv4] of [['ice40', true], ['arty', false], ['u250', true]] as const) {
    const c = ENGINE_CONFIGS[name];
    test(`sq_fetch (${name}: ${c.beatBytes}-byte beats, ${ipv4 ? 'IPv4' : 'IPv6'}) hands on the descriptors descriptorFault accepts, refuses the rest, in ring order (${engine})`, async () => {
      await descriptorsFlow(c, engine, 11 + c.beatBytes, 600, ipv4);
    });
  }
}
