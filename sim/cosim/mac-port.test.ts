import { expect, test } from 'vitest';
import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import { DirectWire } from '../model/harness.ts';
import { RtlNic } from './rtl-nic.ts';
import { standInEngine } from './stand-in.ts';
import { engines, standInRig } from './testing.ts';

// Frames through the MAC adapter and the stand-in's loopback (a test double): received
// frames go in one beat per cycle and come back out paced at the link's bit rate, counting
// 24 bytes of preamble, FCS and gap per frame and padding runts to 60 bytes.

const frameOf = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);

/** Picoseconds the line needs for a frame of `bytes` (padded, plus overhead). */
const lineTime = (bytes: number, bps: number): number => (Math.max(bytes, 60) + 24) * 8e12 / bps;

const cases = [
  { config: ENGINE_CONFIGS.u250, bps: 100e9, bytes: 1000 },
  { config: ENGINE_CONFIGS.u250, bps: 100e9, bytes: 42 },           // runts: faster in than the line takes them
  { config: ENGINE_CONFIGS.arty, bps: 1e9, bytes: 300 },
];

for (const engine of engines) {
  for (const { config, bps, bytes } of cases) {
    test(`frames in come back out via pull(), in order, byte-exact, paced at the line rate (${config.name}, ${bytes}-byte frames at ${bps / 1e9} Gb/s, ${engine})`, async () => {
      const { nic, q, port } = await standInRig(engine, config, { linkBitsPerSecond: bps });
      const frames = Array.from({ length: 20 }, (_, i) => frameOf(bytes, i));
      const t0 = 1_000_000;
      q.at(t0, () => { for (const f of frames) nic.receive(f); });
      q.run();
      expect(port.pulled.map((p) => [...p.frame])).toEqual(frames.map((f) => [...f]));
      const T = nic.periodPs;
      const beats = Math.ceil(bytes / config.beatBytes);
      const line = lineTime(bytes, bps);
      // The first frame: all its beats went in (one per cycle) and out no faster than the line.
      const first = port.pulled[0]!.t - t0;
      expect(first).toBeGreaterThanOrEqual((beats - 1) * T);
      expect(first).toBeGreaterThanOrEqual((bytes - config.beatBytes) * 8e12 / bps - T);
      expect(first).toBeLessThanOrEqual(Math.max(beats, bytes * 8e12 / bps / T) * T + 10 * T);
      // Then one frame per line time: each gap within a cycle of it, the average exact to a cycle.
      const gaps = port.pulled.slice(1).map((p, i) => p.t - port.pulled[i]!.t);
      const expected = Math.max(line, beats * T);
      for (const g of gaps) {
        expect(g).toBeGreaterThanOrEqual(expected - T);
        expect(g).toBeLessThanOrEqual(expected + T);
      }
      const average = (port.pulled[19]!.t - port.pulled[1]!.t) / 18;
      expect(Math.abs(average - expected)).toBeLessThanOrEqual(T / 18 + 1);
      expect(nic.counters.framesIn).toBe(20);
      expect(nic.counters.framesOut).toBe(20);
      expect(nic.quiet).toBe(true);
      nic.dispose();
    });
  }

  test(`two stand-ins on the model's DirectWire exchange frames, every hop taking the same time (${engine})`, async () => {
    const config = ENGINE_CONFIGS.u250;
    const make = (i: number) => RtlNic.create({
      config, top: standInEngine(config), engine, ip: Uint8Array.of(10, 0, 0, i), mac: Uint8Array.of(2, 0, 0, 0, 0, i), name: `host ${i}`,
    });
    const [a, b] = [await make(1), await make(2)];
    const sent: { dir: string; t: number; frame: Uint8Array }[] = [];
    const wire = new DirectWire(a, b, { bitsPerSecond: 100e9, delayPs: 1_000_000, onSend: (dir, frame) => sent.push({ dir, t: wire.q.now, frame }) });
    const frame = frameOf(1500, 3);
    wire.q.at(0, () => a.receive(frame));                          // a frame arrives at host 1 from outside
    wire.q.run(12_000_000);
    expect(sent.length).toBeGreaterThanOrEqual(8);
    expect(sent.map((s) => s.dir)).toEqual(sent.map((_, i) => (i % 2 === 0 ? 'ab' : 'ba')));
    for (const s of sent) expect([...s.frame]).toEqual([...frame]);
    const hops = sent.slice(1).map((s, i) => s.t - sent[i]!.t);
    // One hop: wire delay + the link's serialisation + the loopback (in at a beat per cycle, out paced).
    const serialise = lineTime(1500, 100e9);
    for (const h of hops) {
      expect(h).toBe(hops[0]);
      expect(h).toBeGreaterThan(1_000_000 + 2 * serialise - 2 * a.periodPs);
      expect(h).toBeLessThan(1_000_000 + 2 * serialise + 20 * a.periodPs);
    }
    expect(a.counters.framesIn + b.counters.framesIn).toBe(sent.length);
    // Between hops both engines sat quiet: far fewer cycles stepped than passed.
    expect(a.counters.cyclesStepped).toBeLessThan(a.cycle / 2);
    a.dispose();
    b.dispose();
  });
}

test('an engine whose idle is high while it still offers a frame stops the run, naming the stream', async () => {
  const config = ENGINE_CONFIGS.u250;
  const nic = await RtlNic.create({ config, top: standInEngine(config, { dishonestIdle: true }), ip: Uint8Array.of(10, 0, 0, 1), mac: new Uint8Array(6) });
  const wire = new DirectWire(nic, { attach: () => {}, receive: () => {}, pull: () => null });
  wire.q.at(0, () => nic.receive(frameOf(600, 1)));
  expect(() => wire.q.run()).toThrow(/idle output is high while mac_tx offers a beat/);
  expect(nic.failure).not.toBeNull();
});
