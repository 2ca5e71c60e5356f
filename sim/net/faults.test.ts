// Fault injection: every injected fault is counted and accounts exactly for what arrives.
import { describe, expect, test } from 'vitest';
import type { Endpoint } from './endpoint.ts';
import type { LinkFaultConfig } from './faults.ts';
import { buildIpFrame } from './frame-builder.ts';
import { BlastEndpoint, type ScheduledFrame } from './test-endpoints.ts';
import { Network, type TopologySpec } from './topology.ts';

const N = 2000;
const spec: TopologySpec = { kind: 'single', hosts: 3, hostBitsPerSecond: 10e9, switchDelayPs: 250_000 };

function tagged(i: number, dst = 1): Uint8Array {
  const payload = new Uint8Array(200);
  payload[0] = i >> 8;
  payload[1] = i & 0xff;
  return buildIpFrame({ src: 0, dst, priority: 0, payload });
}

function popcount(x: number): number { let n = 0; for (; x; x &= x - 1) n++; return n; }

function blast(faults: LinkFaultConfig, seed = 1, frames = N): { net: Network; got: number[]; frames: Uint8Array[] } {
  const plan: ScheduledFrame[] = Array.from({ length: frames }, (_, i) => ({ atPs: 0, frame: tagged(i) }));
  const eps: BlastEndpoint[] = [];
  const net = new Network(spec, (a): Endpoint => (eps[a.index] = new BlastEndpoint(a.index === 0 ? plan : [])), seed);
  net.setLinkFaults(net.hosts[0]!.uplink, faults);
  net.start();
  net.sim.run();
  return { net, got: eps[1]!.received.map((r) => (r.frame[34]! << 8) | r.frame[35]!), frames: eps[1]!.received.map((r) => r.frame) };
}

describe('seeded faults', () => {
  test('drop: arrivals + drops = frames sent, about the configured rate', () => {
    const { net, got } = blast({ drop: 0.1 });
    const c = net.hosts[0]!.uplink.counters;
    expect(got.length + c.droppedByFault).toBe(N);
    expect(c.droppedByFault).toBeGreaterThan(N * 0.1 - 60);
    expect(c.droppedByFault).toBeLessThan(N * 0.1 + 60);
    expect(net.lossCounters().faultDrops).toBe(c.droppedByFault);
  });

  test('duplicate: each duplicated frame arrives twice', () => {
    const { net, got } = blast({ duplicate: 0.05 });
    const c = net.hosts[0]!.uplink.counters;
    expect(c.duplicated).toBeGreaterThan(0);
    expect(got.length).toBe(N + c.duplicated);
    expect(new Set(got).size).toBe(N);
  });

  test('corrupt: flipped bits are caught by the receiving MAC and counted', () => {
    const { net, got } = blast({ corrupt: 0.05, corruptBits: 3 });
    const c = net.hosts[0]!.uplink.counters;
    expect(c.corrupted).toBeGreaterThan(0);
    expect(c.fcsErrors).toBe(c.corrupted);
    expect(got.length).toBe(N - c.corrupted);
    expect(net.lossCounters().fcsErrors).toBe(c.corrupted);
  });

  test('corrupt before the FCS: damaged frames pass the MAC and arrive, each with its bits flipped', () => {
    const { net, frames } = blast({ corrupt: 0.05, corruptBits: 1, corruptBeforeFcs: true });
    const c = net.hosts[0]!.uplink.counters;
    expect(c.corrupted).toBeGreaterThan(0);
    expect(c.fcsErrors).toBe(0);
    // A flip in an address may leave a frame the switch cannot route; every other one arrives.
    const unroutable = net.lossCounters().unroutable;
    expect(frames.length + unroutable).toBe(N);
    // Every frame is one of the N sent, whole or with exactly one bit flipped.
    const sent = Array.from({ length: N }, (_, i) => tagged(i));
    const bitsOff = (a: Uint8Array, b: Uint8Array): number => a.reduce((n, x, i) => n + popcount(x ^ b[i]!), 0);
    const damaged = frames.filter((f) => !sent.some((x) => x.length === f.length && bitsOff(x, f) === 0));
    expect(damaged.length + unroutable).toBe(c.corrupted);
    for (const f of damaged) expect(Math.min(...sent.map((x) => bitsOff(x, f)))).toBe(1);
  });

  test('reorder: held-back frames are overtaken, none lost', () => {
    const { net, got } = blast({ reorder: 0.05, reorderDelayPs: 2_000_000 });
    const c = net.hosts[0]!.uplink.counters;
    expect(c.reordered).toBeGreaterThan(0);
    expect(got.length).toBe(N);
    let inversions = 0;
    for (let i = 1; i < got.length; i++) if (got[i]! < got[i - 1]!) inversions++;
    expect(inversions).toBeGreaterThan(0);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  test('the same seed repeats the same faults; another seed does not', () => {
    const cfg = { drop: 0.05, duplicate: 0.05, reorder: 0.05, corrupt: 0.05 };
    const a = blast(cfg, 11);
    const b = blast(cfg, 11);
    const c = blast(cfg, 12);
    expect(b.got).toEqual(a.got);
    expect(c.got).not.toEqual(a.got);
  });

  test('link down loses frames in flight, sends nothing while down, resumes when up', () => {
    const plan: ScheduledFrame[] = Array.from({ length: 100 }, (_, i) => ({ atPs: 0, frame: tagged(i) }));
    const eps: BlastEndpoint[] = [];
    const net = new Network(spec, (a): Endpoint => (eps[a.index] = new BlastEndpoint(a.index === 0 ? plan : [])), 1);
    net.start();
    // 224 B frame = 248 B on the wire = 198,400 ps; go down mid-frame 10, up 10 us later.
    const down = 10 * 198_400 + 100_000;
    net.scheduleCableDown(net.cable('host0'), down, down + 10_000_000);
    let sentWhileDown = -1;
    net.sim.at(down + 5_000_000, () => (sentWhileDown = net.hosts[0]!.uplink.counters.framesSent));
    net.sim.run();
    const c = net.hosts[0]!.uplink.counters;
    expect(sentWhileDown).toBe(11); // frames 0..10 started before the cable went down
    expect(c.droppedLinkDown).toBe(1); // frame 10 was on the wire
    expect(eps[1]!.received.length).toBe(99);
    expect(c.framesSent).toBe(100); // 0..10 before, 11..99 after the link came up
  });

  test('a crashed host drops what it is sent and restarts with a fresh endpoint', () => {
    const plan: ScheduledFrame[] = Array.from({ length: 30 }, (_, i) => ({ atPs: i * 1_000_000, frame: tagged(i) }));
    const created: number[] = [];
    const sinks: BlastEndpoint[] = [];
    const net = new Network(spec, (a): Endpoint => {
      created.push(a.index);
      const ep = new BlastEndpoint(a.index === 0 ? plan : []);
      if (a.index === 1) sinks.push(ep);
      return ep;
    }, 1);
    net.start();
    net.scheduleHostCrash(1, 9_900_000, 19_900_000); // down for frames sent at 9..18 us
    net.sim.run();
    expect(created.filter((h) => h === 1).length).toBe(2);
    expect(sinks[0]!.received.length + net.hosts[1]!.counters.droppedWhileDown + sinks[1]!.received.length).toBe(30);
    expect(net.hosts[1]!.counters.droppedWhileDown).toBe(10);
    expect(net.lossCounters().hostDownDrops).toBe(10);
  });
});
