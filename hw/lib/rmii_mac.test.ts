import { expect, test } from 'vitest';
import { rmiiMac } from './rmii_mac.ts';
import { packetBeats } from './models.ts';
import { rmiiDecode, rmiiReceive, withFcs, type RmiiRxCycle } from './rmii_models.ts';
import { bench, engines, Rng } from './testing.ts';

const randomFrame = (rng: Rng, len: number) => Uint8Array.from({ length: len }, () => rng.int(256));

for (const engine of engines) {
  // Every REF_CLK cycle a clock cycle (rmii_en high), then a clock twice as fast (high every
  // other cycle): frames of random bytes and lengths, short ones padded, with a random ready
  // on the stream side; the line decoded as a PHY would.
  for (const every of [1, 2]) {
    test(`RMII MAC sends preamble, bytes, padding and FCS with the gap between frames (rmii_en 1/${every}, ${engine})`, async () => {
      const { sim, tb } = await bench(rmiiMac(), engine);
      const rng = new Rng(300 + every);
      const frames = [1, 14, 59, 60, 61, 64, 200, 1514, ...Array.from({ length: 8 }, () => 1 + rng.int(300))].map((n) => randomFrame(rng, n));
      tb.driver('tx', { validProbability: 1, seed: 1 }).push(...frames.flatMap((f) => packetBeats(f, 1)));
      const txEn: number[] = [], txd: number[] = [];
      const total = frames.reduce((a, f) => a + Math.max(60, f.length) + 24, 0);
      for (let c = 0; c < (total * 4 + 200) * every; c++) {
        const en = c % every === 0 ? 1 : 0;
        sim.poke('rmii_en', en);
        // The PHY samples the pins at REF_CLK edges: the cycles with rmii_en high.
        if (en) { txEn.push(Number(sim.peek('rmii_tx_en'))); txd.push(Number(sim.peek('rmii_txd'))); }
        sim.step();
      }
      const sent = rmiiDecode(txEn, txd);
      expect(sent.map((s) => [...s.bytes])).toEqual(frames.map((f) => [...withFcs(f).subarray(0, Math.max(60, f.length))]));
      expect(sent.every((s) => s.fcsOk && s.preambleOk)).toBe(true);
      // Frames were offered back to back: each waits the inter-frame gap (12 bytes, 48 dibits).
      expect(Math.min(...sent.slice(1).map((s) => s.gapBefore))).toBeGreaterThanOrEqual(48);
      expect(sim.peek('tx_underrun')).toBe(0);
      sim.dispose();
    });
  }

  test(`RMII MAC inverts the FCS of a frame whose bytes came late (${engine})`, async () => {
    const { sim, tb } = await bench(rmiiMac(), engine);
    sim.poke('rmii_en', 1);
    const rng = new Rng(310);
    const frame = randomFrame(rng, 100);
    // A slow source: one beat offered in eight cycles, the MAC wants one in four.
    tb.driver('tx', { validProbability: 0.1, seed: 2 }).push(...packetBeats(frame, 1));
    const txEn: number[] = [], txd: number[] = [];
    let underruns = 0;
    const stop = sim.onCycle(() => {
      txEn.push(Number(sim.peek('rmii_tx_en'))); txd.push(Number(sim.peek('rmii_txd')));
      underruns += Number(sim.peek('tx_underrun'));
    });
    await tb.tick(20_000);
    stop();
    const sent = rmiiDecode(txEn, txd);
    expect(sent.length).toBe(1);
    expect(sent[0]!.fcsOk).toBe(false);
    expect(underruns).toBeGreaterThan(0);
    sim.dispose();
  });

  test(`RMII MAC receives frames back to back, strips the FCS, flags bad FCS, runts and mid-byte ends (${engine})`, async () => {
    const { sim, tb } = await bench(rmiiMac(), engine);
    const rng = new Rng(320);
    type Case = { frame: Uint8Array; wire: Uint8Array; bad: boolean; opts: Parameters<typeof rmiiReceive>[1] };
    const cases: Case[] = [];
    for (let i = 0; i < 24; i++) {
      const frame = randomFrame(rng, 60 + rng.int(i === 5 ? 1455 : 200));
      const corrupt = rng.int(4) === 0;
      const wire = withFcs(frame, corrupt);
      // Back to back at the minimum gap, some with the PHY's lead-in and CRS_DV drain toggling.
      cases.push({ frame, wire, bad: corrupt, opts: { lead: rng.int(2) * rng.int(10), drain: rng.int(3) * rng.int(4), gap: 48 } });
    }
    // A runt (40 bytes with a correct FCS), a frame with one flipped bit, one cut mid-byte.
    const runt = randomFrame(rng, 40);
    const runtWire = new Uint8Array([...runt, ...withFcs(runt).subarray(60)]);
    runtWire.set(withFcs(runt).subarray(0, 40));
    cases.push({ frame: runt, wire: runtWire, bad: true, opts: { gap: 48 } });
    const flipped = randomFrame(rng, 80);
    const flippedWire = withFcs(flipped);
    flippedWire[30] ^= 0x10;
    cases.push({ frame: flippedWire.subarray(0, 80), wire: flippedWire, bad: true, opts: { gap: 48 } });
    const good = randomFrame(rng, 70);
    cases.push({ frame: good, wire: withFcs(good), bad: false, opts: { gap: 48 } });
    const cycles: RmiiRxCycle[] = [];
    for (const c of cases) cycles.push(...rmiiReceive(c.wire, c.opts));
    // Cut mid-byte: the last dibit of a frame's FCS missing.
    const cut = randomFrame(rng, 90);
    const cutCycles = rmiiReceive(withFcs(cut), { gap: 0 });
    cycles.push(...cutCycles.slice(0, cutCycles.length - 2), { crsDv: 0, rxd: 0 }, { crsDv: 0, rxd: 0 }, ...Array(48).fill({ crsDv: 0, rxd: 0 }));
    // Garbage on the line (no SFD) and a 3-byte burst: nothing comes out.
    cycles.push(...[2, 0, 2, 1, 1, 0].map((rxd) => ({ crsDv: 1, rxd })), ...Array(10).fill({ crsDv: 0, rxd: 0 }));
    cycles.push(...rmiiReceive(new Uint8Array([1, 2, 3])));
    // The engine takes a beat every cycle (a MAC cannot be paused); overruns have their own test.
    const out = tb.monitor('rx', { readyProbability: 1, seed: 5 });
    sim.poke('rmii_en', 1);
    for (const c of cycles) { sim.poke('rmii_crs_dv', c.crsDv); sim.poke('rmii_rxd', c.rxd); sim.step(); }
    await tb.tick(100);
    // Beats back to frames.
    const got: { bytes: number[]; error: number }[] = [];
    let cur: number[] = [];
    for (const b of out.received as { data: number; last: number; error: number }[]) {
      cur.push(b.data);
      if (b.last) { got.push({ bytes: cur, error: b.error }); cur = []; }
      else expect(b.error).toBe(0);
    }
    const want = [...cases.map((c) => ({ bytes: [...c.wire.subarray(0, c.wire.length - 4)], error: c.bad ? 1 : 0 })),
      // the cut frame: its incomplete last byte never arrives, so one byte fewer comes out
      { bytes: [...withFcs(cut).subarray(0, withFcs(cut).length - 5)], error: 1 }];
    expect(got.map((g) => g.error)).toEqual(want.map((w) => w.error));
    expect(got).toEqual(want);
    expect(sim.peek('rx_overrun')).toBe(0);
    sim.dispose();
  });

  test(`RMII MAC loses bytes its consumer does not take, ends that frame with error, keeps the next intact (${engine})`, async () => {
    const { sim } = await bench(rmiiMac(), engine);
    const rng = new Rng(330);
    const a = randomFrame(rng, 100), b = randomFrame(rng, 100);
    sim.poke('rmii_en', 1);
    const beats: { data: number; last: number; error: number }[] = [];
    let overruns = 0, cycle = 0;
    const cycles = [...rmiiReceive(withFcs(a)), ...rmiiReceive(withFcs(b))];
    for (const c of cycles) {
      // The consumer stalls for 40 cycles in the middle of the first frame.
      const ready = cycle < 200 || cycle > 240 ? 1 : 0;
      sim.poke('rx_ready', ready);
      if (ready && sim.peek('rx_valid')) beats.push({ data: Number(sim.peek('rx_data')), last: Number(sim.peek('rx_last')), error: Number(sim.peek('rx_error')) });
      sim.poke('rmii_crs_dv', c.crsDv); sim.poke('rmii_rxd', c.rxd);
      sim.step();
      overruns += Number(sim.peek('rx_overrun'));
      cycle++;
    }
    const ends = beats.flatMap((x, i) => (x.last ? [i] : []));
    expect(ends.length).toBe(2);
    expect(beats[ends[0]!]!.error).toBe(1);
    expect(ends[0]! + 1).toBeLessThan(a.length);
    expect(overruns).toBeGreaterThan(0);
    expect(beats.slice(ends[0]! + 1).map((x) => x.data)).toEqual([...b]);
    expect(beats[ends[1]!]!.error).toBe(0);
    sim.dispose();
  });
}
