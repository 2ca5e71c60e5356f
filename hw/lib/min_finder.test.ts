import { expect, test } from 'vitest';
import { simulate } from '../hdl/sim/index.ts';
import { minFinder, minFinderLatency, type MinFinderOptions } from './min_finder.ts';
import { minimumOf } from './models.ts';
import { engines, Rng } from './testing.ts';

// Reference: the exact minimum of the entries (lowest rank among valid entries, lowest id on
// a tie); the block gives it for the inputs of each cycle, minFinderLatency() cycles later.
const cases: MinFinderOptions[] = [
  { entries: 13, rankWidth: 5 },
  { entries: 64, rankWidth: 16, levelsPerStage: 2 },
];

for (const engine of engines) {
  for (const o of cases) {
    test(`minimum finder over ${o.entries} entries gives the exact minimum every cycle (${engine})`, async () => {
      const sim = await simulate(minFinder(o), { engine });
      sim.reset(2);
      const rng = new Rng(o.entries);
      const lat = minFinderLatency(o);
      const history: ReturnType<typeof minimumOf>[] = [];
      const [valid, rank] = [sim.port('valid'), sim.port('rank')];
      const [bv, bid, brank] = [sim.port('best_valid'), sim.port('best_id'), sim.port('best_rank')];
      let ties = 0;
      for (let c = 0; c < 1500; c++) {
        // Few distinct ranks, so ties are common; sometimes no entry is valid.
        const density = rng.pick([0, 0.05, 0.5, 1]);
        const entries = Array.from({ length: o.entries }, () => ({ valid: rng.chance(density), rank: rng.int(c % 3 === 0 ? 4 : 1 << o.rankWidth) }));
        let vb = 0n, rb = 0n;
        entries.forEach((e, i) => { if (e.valid) vb |= 1n << BigInt(i); rb |= BigInt(e.rank) << BigInt(i * o.rankWidth); });
        valid.set(o.entries > 32 ? vb : Number(vb));
        rank.set(o.entries * o.rankWidth > 32 ? rb : Number(rb));
        const best = minimumOf(entries);
        if (best.valid && entries.filter((e) => e.valid && e.rank === best.rank).length > 1) ties++;
        history.push(best);
        if (c >= lat) {
          const want = history[c - lat]!;
          expect({ valid: Number(bv.get()), id: Number(bid.get()), rank: Number(brank.get()) }).toEqual(want.valid ? want : { valid: 0, id: Number(bid.get()), rank: Number(brank.get()) });
        }
        sim.step();
      }
      expect(ties).toBeGreaterThan(50);
      sim.dispose();
    });
  }
}
