import { expect, test } from 'vitest';
import { u } from '../hdl/index.ts';
import { Testbench, simulate } from '../hdl/sim/index.ts';
import { arbiter, type ArbiterPolicy } from './arbiter.ts';
import { engines, Rng } from './testing.ts';

/**
 * Reference, cycle by cycle: an offered beat stays offered until taken; otherwise strict
 * priority grants the lowest valid input and round robin the first valid input after the
 * last one granted (wrapping).
 */
class ArbiterModel {
  private locked: number | null = null;
  private last = -1;
  constructor(private readonly n: number, private readonly policy: ArbiterPolicy) {}
  grant(valid: readonly boolean[]): number | null {
    if (this.locked !== null) return this.locked;
    const start = this.policy === 'priority' ? 0 : this.last + 1;
    for (let k = 0; k < this.n; k++) {
      const i = (start + k) % this.n;
      if (valid[i]) return i;
    }
    return null;
  }
  edge(granted: number | null, ready: boolean): void {
    this.locked = granted !== null && !ready ? granted : null;
    if (granted !== null && ready) this.last = granted;
  }
}

for (const engine of engines) {
  for (const policy of ['priority', 'round-robin'] as const) {
    test(`${policy} arbiter grants as its reference does and keeps each input's order (${engine})`, async () => {
      const n = 4;
      const sim = await simulate(arbiter(u(16), n, policy), { engine });
      sim.reset(2);
      const model = new ArbiterModel(n, policy);
      const valid = Array.from({ length: n }, (_, i) => sim.port(`in_${i}_valid`));
      const [outValid, outReady, outIndex] = [sim.port('out_valid'), sim.port('out_ready'), sim.port('out_index')];
      let checked = 0;
      // Added after the testbench's hook, so it runs after the drivers and monitor have poked
      // this cycle's valid and ready: it sees what the design sees at the edge.
      const tb = new Testbench(sim);
      sim.onCycle(() => {
        const g = model.grant(valid.map((v) => v.get() === 1));
        expect(outValid.get() === 1 ? Number(outIndex.get()) : null).toBe(g);
        model.edge(g, outReady.get() === 1);
        checked++;
      });
      const rng = new Rng(41);
      const beats = Array.from({ length: n }, (_, i) => Array.from({ length: 150 }, (_, k) => i * 1000 + k));
      beats.forEach((b, i) => tb.driver(`in.${i}`, { validProbability: 0.2 + 0.2 * i, seed: rng.next() }).push(...b));
      const out = tb.monitor('out', { readyProbability: 0.6, seed: 7 });
      await tb.until(() => out.received.length === n * 150, { timeout: 20_000 });
      for (let i = 0; i < n; i++) {
        const mine = out.received.filter((b) => (b as { index: number }).index === i).map((b) => (b as { data: number }).data);
        expect(mine).toEqual(beats[i]);
      }
      expect(checked).toBeGreaterThan(n * 150);
      sim.dispose();
    });
  }
}
