// Link serialisation, queueing and strict priority, checked against hand-computed times.
import { describe, expect, test } from 'vitest';
import type { Endpoint } from './endpoint.ts';
import { buildIpFrame } from './frame-builder.ts';
import { framePriority, frameDestinationHost, frameSourceHost } from './frame.ts';
import { BlastEndpoint, type ScheduledFrame } from './test-endpoints.ts';
import { Network, paperTopology, type TopologySpec } from './topology.ts';

const NS = 1000;
/** 1514-byte frame: 1500 B IP packet + 14 B Ethernet header = 1538 B on the wire. */
const FULL_PAYLOAD = 1500 - 20;
/** 10 Gbps: 800 ps per byte. */
const FULL_SER_10G = 1538 * 800;

function frame(src: number, dst: number, priority = 0, payloadBytes = FULL_PAYLOAD, tag = 0): Uint8Array {
  const payload = new Uint8Array(payloadBytes);
  payload[0] = tag;
  return buildIpFrame({ src, dst, priority, payload });
}

function build(spec: TopologySpec, plans: Map<number, ScheduledFrame[]>): { net: Network; eps: BlastEndpoint[] } {
  const eps: BlastEndpoint[] = [];
  const net = new Network(spec, (addr): Endpoint => {
    const ep = new BlastEndpoint(plans.get(addr.index) ?? []);
    eps[addr.index] = ep;
    return ep;
  }, 1);
  net.start();
  return { net, eps };
}

const single = (hosts: number, extra: Partial<TopologySpec> = {}): TopologySpec =>
  ({ kind: 'single', hosts, hostBitsPerSecond: 10e9, switchDelayPs: 250 * NS, ...extra }) as TopologySpec;

describe('frames', () => {
  test('priority, source and destination read from fixed offsets, IPv4 and IPv6', () => {
    for (const ipv6 of [false, true]) {
      for (let p = 0; p < 8; p++) {
        const f = buildIpFrame({ src: 300, dst: 5, priority: p, payload: new Uint8Array(10), ipv6 });
        expect(framePriority(f)).toBe(p);
        expect(frameDestinationHost(f)).toBe(5);
        expect(frameSourceHost(f)).toBe(300);
      }
    }
  });
});

describe('links and a single switch', () => {
  test('one full frame: serialisation + switch delay + serialisation', () => {
    const { net, eps } = build(single(2), new Map([[0, [{ atPs: 0, frame: frame(0, 1) }]]]));
    net.sim.run();
    // 1,230,400 ps on host0's link, 250,000 ps in the switch, 1,230,400 ps on the way down.
    expect(eps[1]!.received.map((r) => r.atPs)).toEqual([FULL_SER_10G + 250 * NS + FULL_SER_10G]);
    expect(FULL_SER_10G + 250 * NS + FULL_SER_10G).toBe(2_710_800);
  });

  test('short frames are padded to 60 B: a grant-sized frame takes 84 B on the wire', () => {
    const f = frame(0, 1, 7, 33 + 20 - 20); // 14 + 20 + 33 = 67 B frame -> 91 B wire
    const tiny = frame(0, 1, 7, 6); // 40 B frame -> padded to 60 -> 84 B wire
    const { net, eps } = build(single(2, { switchDelayPs: 0 }), new Map([[0, [{ atPs: 0, frame: tiny }, { atPs: 0, frame: f }]]]));
    net.sim.run();
    const t = eps[1]!.received.map((r) => r.atPs);
    // tiny: 84*800 up, 84*800 down; f leaves host0 at 67,200, takes 72,800, then 72,800 down
    // (the down link is idle again by the time it arrives).
    expect(t).toEqual([2 * 84 * 800, 84 * 800 + 91 * 800 + 91 * 800]);
    expect(net.hosts[0]!.uplink.counters.wireBytesSent).toBe(84 + 91);
  });

  test('back-to-back frames and a queue at a shared output', () => {
    const plans = new Map<number, ScheduledFrame[]>([
      [0, [{ atPs: 0, frame: frame(0, 2, 0, FULL_PAYLOAD, 1) }, { atPs: 0, frame: frame(0, 2, 0, FULL_PAYLOAD, 2) }]],
      [1, [{ atPs: 0, frame: frame(1, 2, 0, FULL_PAYLOAD, 3) }]],
    ]);
    const { net, eps } = build(single(3, { propagationDelayPs: 100 * NS }), plans);
    net.sim.run();
    const s = FULL_SER_10G;
    const enter = s + 100 * NS + 250 * NS; // both first frames reach the output queue here
    // Output serves frame 1 then frame 3 (same arrival instant, host0 sent first), then frame 2
    // which arrived at enter + s, while frame 3 was on the wire.
    const recv = eps[2]!.received;
    expect(recv.map((r) => r.frame[34])).toEqual([1, 3, 2]);
    expect(recv.map((r) => r.atPs)).toEqual([enter + s + 100 * NS, enter + 2 * s + 100 * NS, enter + 3 * s + 100 * NS]);
    expect(net.switches[0]!.ports[2]!.counters.peakBytes).toBe(2 * 1514);
  });

  test('strict priority: a high-priority frame overtakes queued low-priority ones', () => {
    const run = (hiPriority: number): number[] => {
      const low = (src: number, tag: number): ScheduledFrame => ({ atPs: 0, frame: frame(src, 3, 0, FULL_PAYLOAD, tag) });
      const plans = new Map<number, ScheduledFrame[]>([
        [0, [low(0, 1), low(0, 2), low(0, 3)]],
        [1, [low(1, 4), low(1, 5), low(1, 6)]],
        // 134 B frame (126,400 ps) reaches the queue at 4,998,000 ps, while frame 2 is on
        // the wire (3,941,200..5,171,600) and 5, 3, 6 wait.
        [2, [{ atPs: 4 * FULL_SER_10G - 300 * NS, frame: frame(2, 3, hiPriority, 100, 9) }]],
      ]);
      const { net, eps } = build(single(4), plans);
      net.sim.run();
      return eps[3]!.received.map((r) => r.frame[34]!);
    };
    expect(run(7)).toEqual([1, 4, 2, 9, 5, 3, 6]);
    expect(run(0)).toEqual([1, 4, 2, 5, 3, 6, 9]);
  });

  test('a full port buffer drops and counts, per priority', () => {
    const plans = new Map<number, ScheduledFrame[]>();
    for (let h = 0; h < 4; h++) plans.set(h, [0, 1, 2].map((i) => ({ atPs: 0, frame: frame(h, 4, h % 2 === 0 ? 1 : 5, FULL_PAYLOAD, h * 10 + i) })));
    const { net, eps } = build(single(5, { bufferBytes: 3 * 1514 }), plans);
    net.sim.run();
    const port = net.switches[0]!.ports[4]!;
    const drops = port.counters.bufferDrops.reduce((a, b) => a + b, 0);
    expect(eps[4]!.received.length + drops).toBe(12);
    expect(drops).toBeGreaterThan(0);
    expect(net.lossCounters().bufferDrops).toBe(drops);
    expect(port.counters.peakBytes).toBeLessThanOrEqual(3 * 1514);
  });
});

describe('the paper topology', () => {
  test('144 hosts, 13 switches; cross-rack frame crosses 3 switches at 10/40/40/10 Gbps', () => {
    const { net, eps } = build(paperTopology(), new Map([[0, [{ atPs: 0, frame: frame(0, 143) }, { atPs: 0, frame: frame(0, 5) }]]]));
    expect(net.hosts.length).toBe(144);
    expect(net.switches.length).toBe(13);
    expect(net.switchHops(0, 143)).toBe(3);
    expect(net.switchHops(0, 15)).toBe(1);
    net.sim.run();
    const s10 = 1538 * 800;
    const s40 = 1538 * 200;
    expect(eps[143]!.received[0]!.atPs).toBe(s10 + 250 * NS + s40 + 250 * NS + s40 + 250 * NS + s10);
    expect(eps[5]!.received[0]!.atPs).toBe(2 * s10 + 250 * NS + s10);
  });

  test('spraying spreads one flow over all 4 uplinks; hashing keeps it on one', () => {
    const frames = Array.from({ length: 200 }, (_, i) => ({ atPs: 0, frame: frame(0, 20, 0, 200, i & 0xff) }));
    for (const selection of ['spray', 'hash'] as const) {
      const { net, eps } = build(paperTopology({ uplinkSelection: selection }), new Map([[0, frames]]));
      net.sim.run();
      expect(eps[20]!.received.length).toBe(200);
      const used = net.cables.filter((c) => c.name.startsWith('tor0-agg') && c.forward.counters.framesSent > 0).length;
      expect(used).toBe(selection === 'spray' ? 4 : 1);
    }
  });

  test('25 and 100 Gbps rates serialise at 320 and 80 ps per byte', () => {
    const { net, eps } = build(paperTopology({ hostBitsPerSecond: 25e9, coreBitsPerSecond: 100e9, switchDelayPs: 0 }), new Map([[0, [{ atPs: 0, frame: frame(0, 1) }]]]));
    net.sim.run();
    expect(eps[1]!.received[0]!.atPs).toBe(2 * 1538 * 320);
    expect(net.cables.find((c) => c.name === 'tor0-agg0')!.forward.serialisationPs(1514)).toBe(1538 * 80);
  });
});
