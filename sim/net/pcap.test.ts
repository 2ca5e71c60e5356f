// Capture a cable to pcap, read it back, and (where installed) have tshark decode it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Endpoint } from './endpoint.ts';
import { buildIpFrame } from './frame-builder.ts';
import { PcapWriter, readPcap } from './pcap.ts';
import { BlastEndpoint, type ScheduledFrame } from './test-endpoints.ts';
import { Network } from './topology.ts';

const dir = mkdtempSync(join(tmpdir(), 'netsim-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { path: string; sent: Uint8Array[]; times: number[] } {
  const path = join(dir, 'host0.pcap');
  const to1 = (i: number, ipv6 = false): ScheduledFrame => ({ atPs: i * 3_000_000, frame: buildIpFrame({ src: 0, dst: 1, priority: i % 8, payload: new Uint8Array(50 + i), ipv6 }) });
  const from1: ScheduledFrame = { atPs: 1_000_000, frame: buildIpFrame({ src: 1, dst: 0, priority: 7, payload: new Uint8Array(40) }) };
  const plans = new Map<number, ScheduledFrame[]>([[0, [to1(0), to1(1), to1(2, true)]], [1, [from1]]]);
  const net = new Network({ kind: 'single', hosts: 2, hostBitsPerSecond: 10e9, switchDelayPs: 250_000 }, (a): Endpoint => new BlastEndpoint(plans.get(a.index) ?? []), 1);
  const pcap = new PcapWriter(path);
  pcap.attach(net.cable('host0'));
  net.start();
  net.sim.run();
  pcap.close();
  const downTx = 1_000_000 + (74 + 24) * 800 + 250_000; // host1's frame leaves the switch
  return {
    path,
    sent: [plans.get(0)![0]!.frame, from1.frame, plans.get(0)![1]!.frame, plans.get(0)![2]!.frame],
    times: [0, downTx, 3_000_000, 6_000_000].map((ps) => Math.floor(ps / 1000)), // pcap keeps ns
  };
}

describe('pcap capture', () => {
  test('records both directions of a cable, in time order, byte for byte', () => {
    const { path, sent, times } = capture();
    const file = readPcap(path);
    expect(file.linkType).toBe(1);
    expect(file.nanosecond).toBe(true);
    expect(file.records.map((r) => r.timeNs)).toEqual(times);
    expect(file.records.map((r) => Array.from(r.data))).toEqual(sent.map((f) => Array.from(f)));
  });

  test('tshark decodes the capture (Ethernet, IPv4/IPv6, protocol 146, DSCP priority)', () => {
    const { path } = capture();
    let out: string;
    try {
      out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.len', '-e', 'ip.proto', '-e', 'ipv6.nxt', '-e', 'ip.dsfield.dscp', '-e', 'ipv6.tclass.dscp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') {
        console.warn('tshark is not installed: skipping the tshark read-back (apt-get install tshark to run it)');
        return;
      }
      throw e;
    }
    const rows = out.trim().split('\n').map((l) => l.split(','));
    expect(rows.length).toBe(4);
    // frame 1: 14+20+50 = 84 B, proto 146, priority 0 -> DSCP 0
    expect(rows[0]).toEqual(['84', '146', '', '0', '']);
    // host1's reply, priority 7 -> DSCP 56
    expect(rows[1]).toEqual(['74', '146', '', '56', '']);
    expect(rows[2]).toEqual(['85', '146', '', '8', '']);
    // IPv6 frame: priority 2 -> traffic class 64 -> DSCP 16
    expect(rows[3]).toEqual(['106', '', '146', '', '16']);
  });
});
