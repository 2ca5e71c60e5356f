import { expect, test } from 'vitest';
import { bench, engines, Rng } from '../../lib/testing.ts';
import { ENGINE_CONFIGS, type EngineConfig } from './config.ts';
import { txEntries, txSched } from './tx_sched.ts';

// Reference: the reference model's transmit choice (sim/model/sender.ts Transmitter: pick,
// segmentEnd, grant), stepped with the block: every packet the block hands out must be the
// one the model would pick from the messages and grants the block had taken before the cycle
// it was first offered, with the same boundaries, flags and FIFO turns. Messages arrive at random (up to the
// table's size), GRANTs at random offsets (some past the length, some below what was granted),
// and the MAC side takes packets with random back-pressure.

interface Msg { length: number; next: number; granted: number; unsched: number; maxp: number; birth: number }

class ModelPick {
  readonly msgs = new Map<number, Msg>();
  private credit = 0;
  private births = 0;
  constructor(private readonly fraction: number) {}

  add(msg: number, length: number, unsched: number, maxp: number): void {
    this.msgs.set(msg, { length, next: 0, granted: unsched, unsched, maxp, birth: this.births++ });
  }

  grant(msg: number, offset: number): void {
    const r = this.msgs.get(msg);
    if (!r) return;
    const g = Math.min(offset, r.length);
    if (g > r.granted) r.granted = g;
  }

  /** The next packet, as Transmitter.next() picks new DATA (without the pacer). */
  next(): { msg: number; offset: number; length: number; unscheduled: boolean; incoming: number; last: boolean; fifo: boolean } | null {
    const s = [...this.msgs.entries()].filter(([, r]) => r.next < r.granted);
    if (s.length === 0) return null;
    let best = s[0]!;
    let fifo = false;
    if (s.length > 1) {
      this.credit += this.fraction;
      if (this.credit >= 1000) {
        this.credit -= 1000;
        fifo = true;
        for (const x of s) if (x[1].birth < best[1].birth) best = x;
      } else {
        for (const x of s) {
          const l = x[1].length - x[1].next, bl = best[1].length - best[1].next;
          if (l < bl || (l === bl && x[1].birth < best[1].birth)) best = x;
        }
      }
    }
    const [msg, r] = best;
    const start = r.next;
    const end = start < r.unsched ? Math.min(start + r.maxp, r.unsched) : Math.min(start + r.maxp, r.length);
    r.next = end;
    if (end >= r.length) this.msgs.delete(msg);
    return { msg, offset: start, length: end - start, unscheduled: start < r.unsched, incoming: r.unsched, last: end >= r.length, fifo };
  }
}

async function picksAgree(c: EngineConfig, engine: string, seed: number, messages: number): Promise<void> {
  const { sim, tb } = await bench(txSched(c), engine);
  const rng = new Rng(seed);
  const fraction = [0, 50, 300][seed % 3]!;
  sim.poke('fifo_fraction', fraction);
  const N = txEntries(c);
  const adds = tb.driver('add', { validProbability: 0.3, seed: seed + 1 });
  const grants = tb.driver('grant', { validProbability: 0.5, seed: seed + 2 });
  type Ev = { cycle: number; order: number; run: () => void };
  const events: Ev[] = [];
  const model = new ModelPick(fraction);
  const got: unknown[] = [], want: unknown[] = [];
  let fifoTurns = 0;
  tb.monitor('pkt', { readyProbability: 0.6, seed: seed + 3 });
  // Takes of `add` and `grant`, seen before the edge they happen at.
  const live = new Set<number>();
  const added: number[] = [];
  // A packet is decided the first cycle it is offered (then held until taken).
  let offering = false, offerStart = 0;
  const hook = sim.onCycle((cycle) => {
    if (!offering && Number(sim.peek('pkt.valid'))) { offering = true; offerStart = cycle; }
    if (Number(sim.peek('pkt.valid')) && Number(sim.peek('pkt.ready'))) {
      const f = (n: string) => Number(sim.peek(`pkt.payload.${n}`));
      const mine = { msg: f('msg'), offset: f('offset'), length: f('length'), unscheduled: !!f('unscheduled'), incoming: f('incoming'), last: !!f('last'), fifo: !!f('fifo') };
      events.push({ cycle: offerStart, order: 0, run: () => { got.push(mine); const w = model.next(); want.push(w); if (w?.fifo) fifoTurns++; } });
      offering = false;
    }
    if (Number(sim.peek('add.valid')) && Number(sim.peek('add.ready'))) {
      const a = { msg: Number(sim.peek('add.payload.msg')), length: Number(sim.peek('add.payload.length')), unsched: Number(sim.peek('add.payload.unscheduled')), maxp: Number(sim.peek('add.payload.maxp')) };
      events.push({ cycle, order: 1, run: () => model.add(a.msg, a.length, a.unsched, a.maxp) });
      added.push(a.msg);
    }
    if (Number(sim.peek('grant.valid')) && Number(sim.peek('grant.ready'))) {
      const g = { msg: Number(sim.peek('grant.payload.msg')), offset: Number(sim.peek('grant.payload.offset')) };
      events.push({ cycle, order: 1, run: () => model.grant(g.msg, g.offset) });
    }
  });

  // Stimulus: new messages while the table has room, grants for messages already taken.
  let nextMsg = 1, issued = 0;
  const stim = sim.onCycle(() => {
    if (grants.pending === 0 && added.length && rng.chance(0.1)) {
      const msg = rng.pick(added.slice(-N));
      grants.push({ msg, offset: rng.chance(0.1) ? 0xffff_ffff : rng.range(0, 70000) });
    }
    if (issued < messages && adds.pending === 0 && live.size < N && rng.chance(0.2)) {
      // RPC slots are reused, never while a message of the slot is still being sent.
      const msg = nextMsg++ * 7 % (c.rpcBuckets * c.rpcWays);
      if (live.has(msg) || model.msgs.has(msg)) return;
      const length = rng.chance(0.5) ? rng.range(1, 3000) : rng.range(1, 60000);
      const unsched = Math.min(length, [1000, 9328, 40000][rng.int(3)]!);
      adds.push({ msg, length, unscheduled: unsched, maxp: rng.chance(0.5) ? 1424 : 1404 });
      live.add(msg);
      issued++;
    }
  });
  // The model deletes a message at its last packet: the stimulus frees its place then.
  const freeing = sim.onCycle(() => {
    for (const m of [...live]) if (!model.msgs.has(m) && added.includes(m) && got.length > 0) live.delete(m);
  });

  // Events run in (cycle, packets first) order, up to the cycle a packet still waiting to be
  // taken was decided: what happened from then on comes after it.
  const settle = (limit = Infinity) => {
    events.sort((a, b) => a.cycle - b.cycle || a.order - b.order);
    let n = 0;
    while (n < events.length && events[n]!.cycle < limit) n++;
    for (const ev of events.splice(0, n)) ev.run();
  };
  const tick = sim.onCycle(() => settle(offering ? offerStart : Infinity));
  await tb.until(() => issued >= messages && adds.pending === 0, { timeout: 4000 * messages });
  // Grant every message fully so all of them drain.
  for (const m of new Set(added)) grants.push({ msg: m, offset: 1_000_000 });
  await tb.until(() => grants.pending === 0 && Number(sim.peek('idle')) === 1, { timeout: 400 * messages + 100_000 });
  await tb.tick(5);
  settle();
  hook(); stim(); freeing(); tick();
  const firstDiff = got.findIndex((g, i) => JSON.stringify(g) !== JSON.stringify(want[i]));
  expect(firstDiff, `packet ${firstDiff}: block ${JSON.stringify(got[firstDiff])}, model ${JSON.stringify(want[firstDiff])}; before: ${JSON.stringify(got.slice(Math.max(0, firstDiff - 3), firstDiff))}`).toBe(-1);
  expect(got).toEqual(want);
  expect(model.msgs.size).toBe(0);
  // The stimulus reached what it is meant to.
  expect(got.length).toBeGreaterThan(messages);
  if (fraction > 0) expect(fifoTurns).toBeGreaterThan(0);
  sim.dispose();
}

for (const engine of engines) {
  for (const [name, seed] of [['u250', 3], ['arty', 4], ['ice40', 5], ['u250', 6]] as const) {
    test(`tx_sched ${name} (${engine}, seed ${seed}): every packet is the model's SRPT or FIFO pick, with its boundaries`, async () => {
      await picksAgree(ENGINE_CONFIGS[name], engine, seed, name === 'ice40' ? 40 : 120);
    }, 300_000);
  }
}
