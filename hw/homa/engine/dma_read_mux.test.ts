import { expect, test } from 'vitest';
import type { Beat } from '../../hdl/sim/index.ts';
import { bench, engines, Rng } from '../../lib/testing.ts';
import { ENGINE_CONFIGS } from './config.ts';
import { dmaReadMux } from './dma_read_mux.ts';

// Two readers issue random reads (reader 0 with tags 0..7, reader 1 with tags 8..15); the host
// answers each after a random delay, beats of different reads interleaved. Every request
// reaches the port once, unchanged but for tag bit 3 naming its reader; every beat reaches the
// reader its tag names, in the order the host sent it; under back-pressure on every side.
for (const engine of engines) {
  test(`dma_read_mux: requests of both readers reach the port; each beat returns to its reader (${engine})`, async () => {
    const c = ENGINE_CONFIGS.arty;
    const { sim, tb } = await bench(dmaReadMux(c), engine);
    const rng = new Rng(5);
    const reqs = [tb.driver('req0', { validProbability: 0.6, seed: 1 }), tb.driver('req1', { validProbability: 0.6, seed: 2 })];
    const data = tb.driver('data', { validProbability: 0.8, seed: 3 });
    const got: Beat[][] = [tb.monitor('data0', { readyProbability: 0.6, seed: 4 }).received, tb.monitor('data1', { readyProbability: 0.6, seed: 5 }).received];
    const sent: Beat[][] = [[], []];
    const wantReqs: Record<string, number | bigint>[] = [];
    const N = 300;
    for (let i = 0; i < N; i++) {
      const who = rng.int(2);
      const r = { addr: BigInt(rng.next()) << 8n, len: rng.range(1, 64), tag: rng.int(16), qp: rng.int(c.queuePairs) };
      reqs[who]!.push(r);
      wantReqs.push({ ...r, tag: (r.tag & 7) | (who << 3) });
    }
    const port = tb.monitor('req', {
      readyProbability: 0.5, seed: 6,
      onBeat: (b) => {
        const tag = Number((b as Record<string, number>)['tag']);
        for (let k = rng.range(1, 3); k > 0; k--) {
          const beat = { data: rng.uniformBits(64), last: k === 1 ? 1 : 0, tag };
          data.push(beat);
          sent[tag >> 3]!.push(beat);
        }
      },
    });
    await tb.until(() => reqs.every((d) => d.pending === 0) && data.pending === 0, { timeout: 20_000 });
    await tb.tick(20);
    const key = (r: Record<string, number | bigint>) => `${r['addr']}/${r['len']}/${r['tag']}/${r['qp']}`;
    expect(port.received.map((b) => key(b as Record<string, number | bigint>)).sort()).toEqual(wantReqs.map(key).sort());
    // Each reader's own requests keep their order.
    for (const who of [0, 1]) {
      const mine = port.received.filter((b) => Number((b as Record<string, number>)['tag']) >> 3 === who).map((b) => key(b as Record<string, number | bigint>));
      expect(mine).toEqual(wantReqs.filter((r) => Number(r['tag']) >> 3 === who).map(key));
    }
    expect(got[0]).toEqual(sent[0]);
    expect(got[1]).toEqual(sent[1]);
    expect(sent[0]!.length).toBeGreaterThan(100);
    expect(sent[1]!.length).toBeGreaterThan(100);
    sim.dispose();
  });
}
