import { expect, test } from 'vitest';
import type { Beat } from '../../hdl/sim/index.ts';
import { bench, engines, Rng, randBits } from '../../lib/testing.ts';
import { IPPROTO_HOMA, dataPacket, decodeFrame, encodeFrame } from '../wire/index.ts';
import { defaultTunables } from '../abi.ts';
import { ENGINE_CONFIGS, type EngineConfig } from './config.ts';
import { txBuilder } from './tx_builder.ts';

// Reference: the wire codec's encodeFrame of the DATA packet the model would build (build.ts
// dataPacket) with HomaModule's IP fields (TTL 64, id/flow 0, protocol 146, traffic class
// priority_map[level]), the payload taken from host memory at the request's address. Every
// frame tx_builder sends must equal it byte for byte, checksums included, and decode; payloads
// of every length from 1 byte to the MTU's, odd and even, at odd host addresses; the DMA
// model answers after a random delay, reads in flight interleaved, and refuses reads outside
// the payloads it was given.

const asBig = (a: Uint8Array): bigint => a.reduce((x, b) => (x << 8n) | BigInt(b), 0n);
const mapped = (ip4: Uint8Array): Uint8Array => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip4]);

async function framesAgree(c: EngineConfig, engine: string, seed: number, n: number): Promise<void> {
  const { sim, tb } = await bench(txBuilder(c), engine);
  const rng = new Rng(seed);
  const B = c.beatBytes;
  const smac = 0x02_00_0a_00_00_07;
  const prioMap = Array.from({ length: 8 }, () => rng.range(0, 7));
  const tun = { ...defaultTunables() } as Record<string, number | number[]>;
  tun['mac_addr'] = [smac % 2 ** 32, Math.floor(smac / 2 ** 32)];
  tun['priority_map'] = prioMap;
  for (const [k, v] of Object.entries(tun)) {
    if (!sim.ports.some((p) => p.path.join('.') === `tun.${k}`)) continue;
    const words = Array.isArray(v) ? v : [v];
    tb.set(`tun.${k}`, words.reduceRight((a, x) => (a << 32n) | BigInt(x >>> 0), 0n));
  }
  const reqs = tb.driver('req', { validProbability: 0.6, seed: seed + 1 });
  const rdData = tb.driver('rd_data', { validProbability: 0.8, seed: seed + 2 });
  const mon = tb.monitor('mac', { readyProbability: 0.7, seed: seed + 3 });
  const payloads = new Map<bigint, Uint8Array>();
  let pending: { beats: Beat[]; at: number }[] = [];
  tb.monitor('rd_req', {
    readyProbability: 0.6, seed: seed + 4,
    onBeat: (b, cycle) => {
      const r = b as Record<string, number | bigint>;
      const addr = BigInt(r['addr']!), len = Number(r['len']);
      const p = payloads.get(addr);
      if (!p || p.length !== len) throw new Error(`read of ${len} bytes at 0x${addr.toString(16)}: no payload of that length there`);
      const beats: Beat[] = [];
      for (let i = 0; i < len; i += B) {
        let data = 0n;
        for (let j = B - 1; j >= 0; j--) data = (data << 8n) | BigInt(i + j < len ? p[i + j]! : rng.int(256));
        beats.push({ data: B <= 4 ? Number(data) : data, last: i + B >= len ? 1 : 0, tag: Number(r['tag']) });
      }
      pending.push({ beats, at: cycle + rng.range(1, 20) });
    },
  });
  // Reads in flight answer in any order, their beats interleaved (each read's own in order).
  let interleaved = 0, lastTag = -1;
  const stop = sim.onCycle((cycle) => {
    const due = pending.filter((x) => x.at <= cycle);
    if (rdData.pending === 0 && due.length) {
      const x = rng.pick(due);
      const b = x.beats.shift()!;
      if (lastTag >= 0 && (b as Record<string, number>)['tag'] !== lastTag && pending.some((y) => y !== x && y.beats.length && y.at <= cycle)) interleaved++;
      lastTag = Number((b as Record<string, number>)['last']) ? -1 : Number((b as Record<string, number>)['tag']);
      rdData.push(b);
      if (x.beats.length === 0) pending = pending.filter((y) => y !== x);
    }
  });

  for (const ipv6 of [false, true]) {
    const saddr = ipv6 ? Uint8Array.from({ length: 16 }, () => rng.range(0, 255)) : mapped(Uint8Array.of(10, 0, 0, rng.range(1, 250)));
    tb.set('saddr', asBig(saddr));
    const mtuPayload = ipv6 ? 1500 - 40 - 56 : 1500 - 20 - 56;
    const want: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const daddr = ipv6 ? Uint8Array.from({ length: 16 }, () => rng.range(0, 255)) : mapped(Uint8Array.of(10, 0, 1, rng.range(1, 250)));
      const length = i === 0 ? 1 : i === 1 ? mtuPayload : i === 2 ? mtuPayload - 1 : rng.chance(0.3) ? rng.range(1, 70) : rng.range(1, mtuPayload);
      const messageLength = rng.range(length, 1_000_000), offset = rng.range(0, messageLength - length);
      const addr = (BigInt(rng.next()) << 20n) + BigInt(rng.int(1 << 16)) + BigInt(i) * 0x10_0000_0000n;
      const payload = Uint8Array.from({ length }, () => rng.int(256));
      payloads.set(addr, payload);
      const dmac = Number(randBits(rng, 48));
      const sport = rng.range(1, 65535), dport = rng.range(1, 65535), id = randBits(rng, 64);
      const incoming = rng.range(length, messageLength), version = rng.range(0, 65535), retransmit = rng.int(2), level = rng.int(8);
      const ack = { client_id: rng.chance(0.5) ? randBits(rng, 64) : 0n, server_port: rng.int(65536) };
      reqs.push({
        qp: rng.int(c.queuePairs), ipv6: ipv6 ? 1 : 0, daddr: asBig(daddr), dmac: BigInt(dmac), sport, dport, sender_id: id,
        message_length: messageLength, offset, length, incoming, cutoff_version: version, retransmit, ack_client_id: ack.client_id,
        ack_server_port: ack.server_port, priority: level, addr,
      });
      const pkt = dataPacket(sport, dport, id, { message_length: messageLength, incoming, offset, payload, ack, cutoff_version: version, retransmit });
      const ip = { version: (ipv6 ? 6 : 4) as 4 | 6, priority: prioMap[level]! & 7, flow: 0, ttl: 64, protocol: IPPROTO_HOMA, saddr: ipv6 ? saddr : saddr.subarray(12), daddr: ipv6 ? daddr : daddr.subarray(12) };
      want.push(encodeFrame(dmac, smac, ip, pkt));
    }
    const frames: Uint8Array[] = [];
    let cur: number[] = [];
    let sent = 0;
    const count = sim.onCycle(() => { if (Number(sim.peek('sent'))) sent++; });
    await tb.until(() => {
      while (mon.received.length > 0) {
        const b = mon.received.shift() as Record<string, bigint | number>;
        const keep = BigInt(b.keep as bigint | number), data = BigInt(b.data as bigint | number);
        for (let j = 0; j < B; j++) if ((keep >> BigInt(j)) & 1n) cur.push(Number((data >> BigInt(8 * j)) & 0xffn));
        if (Number(b.last)) { frames.push(Uint8Array.from(cur)); cur = []; }
      }
      return frames.length >= n;
    }, { timeout: 60 * n * (1 + 1600 / B) });
    await tb.tick(50);
    count();
    expect(frames.length).toBe(n);
    expect(sent).toBe(n);
    for (let i = 0; i < n; i++) {
      const d = decodeFrame(frames[i]!);
      expect(d.ok && d.checksumOk, `frame ${i} decodes with a good checksum`).toBe(true);
      expect(Buffer.from(frames[i]!).toString('hex'), `frame ${i} (ipv${ipv6 ? 6 : 4}, ${want[i]!.length} bytes)`).toBe(Buffer.from(want[i]!).toString('hex'));
    }
    expect(tb.get('idle')).toBe(1);
  }
  stop();
  // The stimulus reached what it is meant to: reads of different slots answered interleaved.
  if (c.beatBytes > 1) expect(interleaved).toBeGreaterThan(0);
}

for (const engine of engines) {
  for (const name of ['u250', 'arty', 'ice40'] as const) {
    test(`tx_builder ${name} (${engine}): DATA frames equal the codec's, payload from host memory, IPv4 and IPv6, 1 byte to the MTU`, async () => {
      await framesAgree(ENGINE_CONFIGS[name], engine, 21, name === 'ice40' ? 8 : 30);
    }, 300_000);
  }
}
