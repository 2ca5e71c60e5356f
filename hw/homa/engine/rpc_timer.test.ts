import { expect, test } from 'vitest';
import { bench, engines, Rng } from '../../lib/testing.ts';
import { ENGINE_CONFIGS, rpcSlots, type EngineConfig } from './config.ts';
import { rpcTimer } from './rpc_timer.ts';

// Reference: a set of live slots. A walk started with no change pending visits every live slot
// exactly once; changes taken during a walk never make it visit a slot twice or one that was
// never live, and a walk with only adds during it still visits every slot live at its start.

type Ev = { add: number; slot: number };

async function walks(c: EngineConfig, engine: string, seed: number, rounds: number): Promise<void> {
  const { tb } = await bench(rpcTimer(c), engine);
  const rng = new Rng(seed);
  const slots = rpcSlots(c);
  const maxLive = Math.min(slots, 48);
  const ev = tb.driver('ev', { validProbability: 0.7, seed: seed + 1 });
  const scans = tb.monitor('scan', { readyProbability: 0.6, seed: seed + 2 });
  tb.set('tick', 0);
  const live = new Set<number>();
  const randomEvents = (n: number): Ev[] => {
    const out: Ev[] = [];
    for (let i = 0; i < n; i++) {
      if (live.size > 0 && (live.size >= maxLive || rng.chance(0.4))) {
        const s = [...live][rng.range(0, live.size - 1)]!;
        live.delete(s);
        out.push({ add: 0, slot: s });
      } else {
        let s: number;
        do s = rng.range(0, slots - 1); while (live.has(s));
        live.add(s);
        out.push({ add: 1, slot: s });
      }
    }
    return out;
  };
  const pulseTick = async (): Promise<void> => { tb.set('tick', 1); await tb.tick(1); tb.set('tick', 0); };
  const taken = (): number[] => scans.received.splice(0).map((b) => {
    const r = b as Record<string, bigint | number>;
    expect(Number(r.scan), 'a timer item is marked scan').toBe(1);
    return Number(r.slot);
  });
  const quiet = async (): Promise<void> => {
    await tb.until(() => ev.pending === 0 && Number(tb.get('idle')) === 1, { timeout: 20 * slots + 10_000 });
  };
  const exactWalk = async (what: string): Promise<void> => {
    await quiet();
    expect(Number(tb.get('armed')), `${what}: armed with ${live.size} live`).toBe(live.size > 0 ? 1 : 0);
    await pulseTick();
    await quiet();
    const seen = taken();
    expect([...seen].sort((a, b) => a - b), `${what}: one visit per live slot`).toEqual([...live].sort((a, b) => a - b));
  };

  for (let r = 0; r < rounds; r++) {
    // Changes with no walk going on, then a walk: exact.
    ev.push(...randomEvents(rng.range(0, 12)));
    await exactWalk(`round ${r}, quiet changes`);
    // Changes taken while a walk goes on.
    const before = new Set(live);
    await pulseTick();
    const batch = randomEvents(rng.range(1, 10));
    ev.push(...batch);
    await quiet();
    const seen = taken();
    const everLive = new Set([...before, ...batch.filter((e) => e.add).map((e) => e.slot)]);
    expect(new Set(seen).size, `round ${r}: no slot visited twice`).toBe(seen.length);
    for (const s of seen) expect(everLive.has(s), `round ${r}: slot ${s} visited was live`).toBe(true);
    if (batch.every((e) => e.add)) {
      for (const s of before) expect(seen.includes(s), `round ${r}: slot ${s} live before the walk is visited`).toBe(true);
    }
  }
  // Everything ends: nothing armed, a tick walks nothing.
  ev.push(...[...live].map((slot) => ({ add: 0, slot })));
  live.clear();
  await exactWalk('all removed');
  expect(Number(tb.get('armed'))).toBe(0);
}

for (const engine of engines) {
  for (const name of ['u250', 'arty', 'ice40'] as const) {
    test(`rpc_timer ${name} (${engine}): a tick visits every live RPC once; changes during a walk lose none`, async () => {
      await walks(ENGINE_CONFIGS[name], engine, 5, name === 'ice40' ? 30 : 20);
    }, 120_000);
  }
}
