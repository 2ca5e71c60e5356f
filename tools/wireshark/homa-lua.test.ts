// The Wireshark dissector: its field table is the one the wire layouts generate, and tshark
// with it decodes every packet type (IPv4, IPv6, hijacked TCP), malformed packets with expert
// info, and every frame of a network-simulator capture, each field equal to the codec's.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ETH_HLEN, HomaType, IPPROTO_TCP, bareControl, encodeFrame, grantPacket, type IpFields } from '../../hw/homa/wire/index.ts';
import { goldenVectors } from '../../hw/homa/wire/vectors.ts';
import { parseSimArgs } from '../../sim/experiments/cli-args.ts';
import { runSimPlan } from '../../sim/experiments/sim-command.ts';
import { STACKS } from '../../sim/experiments/stacks.ts';
import { PcapWriter, readPcap } from '../../sim/net/pcap.ts';
import { COMPARED_FIELDS, compareFrame } from './codec-fields.ts';
import { HOMA_LUA, tsharkFields, tsharkUnavailable } from './tshark.ts';
import { generatedLua, withGeneratedRegion } from './lua-fields.ts';

const dir = mkdtempSync(join(tmpdir(), 'homa-wireshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const missing = tsharkUnavailable();
const isRoot = process.getuid?.() === 0;
if (missing && !isRoot) console.warn(`tools/wireshark: ${missing}; the tshark decodes are skipped`);
/** Runs with tshark; skipped (with the message above) only when it is absent and we are not root. */
const withTshark = missing && !isRoot ? test.skip : test;

const MAC_A = 0x02000000000a;
const MAC_B = 0x020000000014;

function writePcap(name: string, frames: readonly Uint8Array[]): string {
  const path = join(dir, name);
  const w = new PcapWriter(path);
  frames.forEach((f, i) => w.write(f, i * 1_000_000));
  w.close();
  return path;
}

/** Every frame of `pcap` through tshark and through the codec: no field may differ. */
function expectSameAsCodec(pcap: string): number {
  const frames = readPcap(pcap).records.map((r) => r.data);
  const rows = tsharkFields(pcap, COMPARED_FIELDS);
  expect(rows.length).toBe(frames.length);
  const problems = frames.flatMap((f, i) => compareFrame(f, rows[i]!, `frame ${i + 1}`));
  expect(problems.slice(0, 20)).toEqual([]);
  return frames.length;
}

describe('homa.lua', () => {
  test('its field table is the one hw/homa/wire generates (npx tsx tools/wireshark/gen-lua.ts rewrites it)', () => {
    const text = readFileSync(HOMA_LUA, 'utf8');
    expect(text).toContain(generatedLua());
    expect(withGeneratedRegion(text)).toBe(text);
  });

  withTshark('decodes every packet type on IPv4 and IPv6, hijacked DATA too, as the codec does', () => {
    const vectors = goldenVectors();
    const pcap = writePcap('vectors.pcap', vectors.map((v) => encodeFrame(MAC_B, MAC_A, v.ip, v.packet)));
    expect(expectSameAsCodec(pcap)).toBe(vectors.length);
    const rows = tsharkFields(pcap, ['homa.type', 'ip.proto', 'ipv6.nxt', '_ws.col.Info']);
    const types = new Set(rows.map((r) => Number(r.get('homa.type')![0])));
    expect([...types].sort()).toEqual(Object.values(HomaType).sort());
    const info = rows.map((r) => r.get('_ws.col.Info')![0]);
    expect(info[0]).toBe('40000 > 99 DATA id=1311768467463790320 off=2848 len=64 msg=100000 incoming=40000 ack=1311768467463790318');
    expect(info).toContain('99 > 40000 GRANT id=1311768467463790321 off=150000 prio=2');
    expect(info).toContain('40000 > 99 RESEND id=1311768467463790320 off=0 len=all prio=6');
    // the hijacked frames are IP protocol 6 and still Homa
    const hijacked = vectors.map((v, i) => [v, i] as const).filter(([v]) => v.ip.protocol === IPPROTO_TCP).map(([, i]) => i);
    expect(hijacked.length).toBe(2);
    for (const i of hijacked) expect(rows[i]!.get('homa.type')).toEqual(['0x10']);
  });

  withTshark('leaves TCP without Homa\'s markers to the TCP dissector', () => {
    const ip: IpFields = { version: 4, priority: 0, flow: 1, ttl: 64, protocol: IPPROTO_TCP, saddr: Uint8Array.of(10, 0, 0, 1), daddr: Uint8Array.of(10, 0, 0, 2) };
    const plainTcp = { ...grantPacket(1000, 80, 2n, 0, 0), flags: 0x10, urgent: 0 };
    const rows = tsharkFields(writePcap('tcp.pcap', [encodeFrame(MAC_B, MAC_A, ip, plainTcp)]), ['homa.type', 'tcp.srcport', 'tcp.dstport']);
    expect(rows[0]!.get('homa.type')).toEqual([]);
    expect(rows[0]!.get('tcp.srcport')).toEqual(['1000']);
  });

  withTshark('flags malformed packets with expert info', () => {
    const ip: IpFields = { version: 4, priority: 7, flow: 1, ttl: 64, protocol: 146, saddr: Uint8Array.of(10, 0, 0, 1), daddr: Uint8Array.of(10, 0, 0, 2) };
    const truncate = (f: Uint8Array, ipBytes: number): Uint8Array => {
      const out = f.slice(0, ETH_HLEN + ipBytes);
      out[ETH_HLEN + 2] = ipBytes >> 8; out[ETH_HLEN + 3] = ipBytes & 0xff;   // IPv4 total length
      return out;
    };
    const grant = encodeFrame(MAC_B, MAC_A, ip, grantPacket(99, 100, 3n, 5000, 1));
    const unknown = encodeFrame(MAC_B, MAC_A, ip, bareControl(HomaType.BUSY, 99, 100, 3n));
    unknown[ETH_HLEN + 20 + 11] = 0x20;
    const ackBad = encodeFrame(MAC_B, MAC_A, ip, { ...bareControl(HomaType.BUSY, 99, 100, 3n), type: HomaType.ACK, num_acks: 6, acks: [] });
    const noMarkers = encodeFrame(MAC_B, MAC_A, ip, { ...grantPacket(99, 100, 3n, 5000, 1), flags: 0, urgent: 0 });
    const frames = [truncate(grant, 20 + 20), truncate(grant, 20 + 30), unknown, ackBad, noMarkers];
    const rows = tsharkFields(writePcap('bad.pcap', frames), ['homa.short', 'homa.unknown_type', 'homa.bad_length', 'homa.markers', '_ws.expert.message']);
    const flagged = rows.map((r) => ['homa.short', 'homa.unknown_type', 'homa.bad_length', 'homa.markers'].filter((f) => r.get(f)!.length > 0));
    expect(flagged).toEqual([['homa.short'], ['homa.short'], ['homa.unknown_type'], ['homa.bad_length'], ['homa.markers']]);
    expect(rows[1]!.get('_ws.expert.message')).toEqual(['GRANT needs 33 bytes of header, the packet has 30 (spec 1.3)']);
  });

  // The must-show command, run in process: its capture is small (about 150 KB).
  withTshark('every frame of `homa-nic sim --topology paper --workload w3 --load 0.5 --duration 100us --stack homa --pcap F` decodes, fields equal to the codec\'s', () => {
    const pcap = join(dir, 'paper.pcap');
    const args = ['--topology', 'paper', '--workload', 'w3', '--load', '0.5', '--duration', '100us', '--stack', 'homa', '--pcap', pcap, '--out', join(dir, 'report')];
    runSimPlan(parseSimArgs(args, Object.keys(STACKS)), `homa-nic sim ${args.join(' ')}`, () => {});
    const n = expectSameAsCodec(pcap);
    expect(n).toBeGreaterThan(100);
    const untyped = tsharkFields(pcap, ['frame.number'], '!homa.type');
    expect(untyped).toEqual([]);
  });
});
