import { expect, test } from 'vitest';
import { bench, engines, Rng, randBits } from '../../lib/testing.ts';
import {
  HomaType, ackPacket, bareControl, cutoffsPacket, decodeFrame, encodeFrame, grantPacket, resendPacket, IPPROTO_HOMA, type HomaPacket,
} from '../wire/index.ts';
import { defaultTunables } from '../abi.ts';
import { ENGINE_CONFIGS, type EngineConfig } from './config.ts';
import { ctlTx } from './ctl_tx.ts';

// Reference: the wire codec's encodeFrame of the packet the model would build (build.ts) with
// HomaModule's IP fields (TTL 64, id/flow 0, protocol 146, traffic class priority_map[7]).
// Every frame ctl_tx sends must equal it byte for byte, checksums included, and decode.

const v4 = (a: Uint8Array): Uint8Array => a.subarray(12);
const asBig = (a: Uint8Array): bigint => a.reduce((x, b) => (x << 8n) | BigInt(b), 0n);
const mapped = (ip4: Uint8Array): Uint8Array => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip4]);

function tunWords(over: Record<string, number[]>): Record<string, bigint> {
  const t = { ...defaultTunables() } as Record<string, number | number[]>;
  const words = (n: string): number[] => (over[n] ?? (Array.isArray(t[n]) ? t[n] as number[] : [t[n] as number]));
  const vecOf = (n: string): bigint => words(n).reduceRight((a, w) => (a << 32n) | BigInt(w >>> 0), 0n);
  const names = ['ip_addr', 'mac_addr', 'max_incoming', 'max_overcommit', 'window', 'unsched_cutoffs', 'cutoff_version', 'max_sched_prio',
    'priority_map', 'num_priorities', 'grant_fifo_fraction', 'fifo_grant_increment', 'link_mbps'];
  return Object.fromEntries(names.map((n) => [n, vecOf(n)]));
}

async function framesAgree(c: EngineConfig, engine: string, seed: number, n: number): Promise<void> {
  const { sim, tb } = await bench(ctlTx(c), engine);
  const rng = new Rng(seed);
  const smac = 0x02_00_0a_00_00_01;
  const prioMap = [0, 1, 2, 3, 4, 5, 6, rng.range(0, 7)];
  const cutoffs = [0, 0, 0, 0, 1_000_000, rng.range(1000, 20000), 2800, 200];
  const version = rng.range(1, 60000);
  const reqs = tb.driver('req', { validProbability: 0.5, seed: seed + 1 });
  const mon = tb.monitor('mac', { readyProbability: 0.6, seed: seed + 2 });
  for (const ipv6 of [false, true]) {
    const saddr = ipv6 ? Uint8Array.from({ length: 16 }, () => rng.range(0, 255)) : mapped(Uint8Array.of(10, 0, 0, rng.range(1, 250)));
    const tun = tunWords({ mac_addr: [smac % 2 ** 32, Math.floor(smac / 2 ** 32)], priority_map: prioMap, unsched_cutoffs: cutoffs, cutoff_version: [version] });
    for (const [k, v] of Object.entries(tun)) tb.set(`tun.${k}`, v);
    tb.set('saddr', asBig(saddr));
    const want: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const type = [HomaType.GRANT, HomaType.RESEND, HomaType.CUTOFFS, HomaType.ACK, HomaType.BUSY, HomaType.RPC_UNKNOWN, HomaType.NEED_ACK][rng.range(0, 6)]!;
      const daddr = ipv6 ? Uint8Array.from({ length: 16 }, () => rng.range(0, 255)) : mapped(Uint8Array.of(10, 0, 1, rng.range(1, 250)));
      const dmac = Number(randBits(rng, 48));
      const sport = rng.range(1, 65535), dport = rng.range(1, 65535);
      const id = randBits(rng, 64);
      const offset = rng.range(0, 1_000_000), length = rng.chance(0.2) ? 0xffffffff : rng.range(0, 1_000_000), priority = rng.range(0, 7);
      reqs.push({ type, ipv6: ipv6 ? 1 : 0, daddr: asBig(daddr), dmac: BigInt(dmac), sport, dport, sender_id: id, offset, length: length >>> 0, priority });
      const cut = cutoffs.map((x, j) => (j === 0 ? 0x7fffffff : x));
      const pkt: HomaPacket = type === HomaType.GRANT ? grantPacket(sport, dport, id, offset, priority)
        : type === HomaType.RESEND ? resendPacket(sport, dport, id, offset, length >>> 0, priority)
          : type === HomaType.ACK ? ackPacket(sport, dport, id, [])
            : type === HomaType.BUSY || type === HomaType.RPC_UNKNOWN || type === HomaType.NEED_ACK ? bareControl(type, sport, dport, id)
            : cutoffsPacket(sport, dport, id, cut, version);
      const ip = { version: (ipv6 ? 6 : 4) as 4 | 6, priority: prioMap[7]! & 7, flow: 0, ttl: 64, protocol: IPPROTO_HOMA, saddr: ipv6 ? saddr : v4(saddr), daddr: ipv6 ? daddr : v4(daddr) };
      want.push(encodeFrame(dmac, smac, ip, pkt));
    }
    const frames: Uint8Array[] = [];
    let cur: number[] = [];
    await tb.until(() => {
      while (mon.received.length > 0) {
        const b = mon.received.shift() as Record<string, bigint | number>;
        const keep = BigInt(b.keep as bigint | number), data = BigInt(b.data as bigint | number);
        for (let j = 0; j < c.beatBytes; j++) if ((keep >> BigInt(j)) & 1n) cur.push(Number((data >> BigInt(8 * j)) & 0xffn));
        if (Number(b.last)) { frames.push(Uint8Array.from(cur)); cur = []; }
      }
      return frames.length >= n;
    }, { timeout: 200 * n * (1 + 136 / c.beatBytes) });
    await tb.tick(50);
    expect(frames.length).toBe(n);
    for (let i = 0; i < n; i++) {
      const d = decodeFrame(frames[i]!);
      expect(d.ok && d.checksumOk, `frame ${i} decodes with a good checksum`).toBe(true);
      expect(Buffer.from(frames[i]!).toString('hex'), `frame ${i} (ipv${ipv6 ? 6 : 4})`).toBe(Buffer.from(want[i]!).toString('hex'));
    }
    expect(tb.get('idle')).toBe(1);
  }
  void sim;
}

for (const engine of engines) {
  for (const name of ['u250', 'arty', 'ice40'] as const) {
    test(`ctl_tx ${name} (${engine}): GRANT, RESEND, CUTOFFS, ACK, BUSY, RPC_UNKNOWN and NEED_ACK frames equal the codec's, IPv4 and IPv6`, async () => {
      await framesAgree(ENGINE_CONFIGS[name], engine, 11, name === 'ice40' ? 12 : 40);
    }, 120_000);
  }
}
