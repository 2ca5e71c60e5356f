import { expect, test } from 'vitest';
import { simulate } from '../hdl/sim/index.ts';
import { rankedStore, rankedStoreLatency, type RankedStoreOptions } from './ranked_store.ts';
import { RankedStoreModel, type Best } from './models.ts';
import { engines, Rng } from './testing.ts';

// Reference: a map of present entries; best = lowest rank, then lowest id. The block's `best`
// reflects every update accepted rankedStoreLatency() or more cycles ago.
const cases: RankedStoreOptions[] = [
  { entries: 64, rankWidth: 8, fanout: 4 },
  { entries: 32, rankWidth: 6, fanout: 8 },
];

for (const engine of engines) {
  for (const o of cases) {
    test(`ranked store of ${o.entries} (fan-out ${o.fanout}) tracks the best entry through back-to-back updates (${engine})`, async () => {
      const sim = await simulate(rankedStore(o), { engine });
      sim.reset(2);
      const rng = new Rng(o.entries + (o.fanout ?? 0));
      const lat = rankedStoreLatency(o);
      const model = new RankedStoreModel();
      const snapshots: Best[] = [];
      const p = (n: string) => sim.port(n);
      const [uv, uid, upresent, urank] = [p('update_valid'), p('update_id'), p('update_present'), p('update_rank')];
      const [bv, bid, brank] = [p('best_valid'), p('best_id'), p('best_rank')];
      expect(Number(p('update_ready').get())).toBe(1);
      for (let c = 0; c < 3000; c++) {
        // Bursts on a few hot ids (the same words, back to back) mixed with idle stretches.
        const busy = rng.chance(c % 400 < 300 ? 0.9 : 0.1);
        const id = rng.chance(0.5) ? rng.int(4) * 5 % o.entries : rng.int(o.entries);
        const present = rng.chance(c % 1000 < 600 ? 0.8 : 0.3);
        const rank = rng.int(1 << o.rankWidth);
        uv.set(busy ? 1 : 0); uid.set(id); upresent.set(present ? 1 : 0); urank.set(rank);
        if (busy) model.update(id, present, rank);
        snapshots.push(model.best());
        if (c >= lat) {
          const want = snapshots[c - lat]!;
          const got = { valid: Number(bv.get()), id: Number(bid.get()), rank: Number(brank.get()) };
          expect(want.valid ? got : { ...got, id: 0, rank: 0 }).toEqual(want);
        }
        sim.step();
      }
      sim.dispose();
    });
  }
}
