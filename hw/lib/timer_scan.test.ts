import { expect, test } from 'vitest';
import { simulate, Testbench } from '../hdl/sim/index.ts';
import { timerScan } from './timer_scan.ts';
import { engines, Rng } from './testing.ts';

// Reference: each arming (index, deadline) replaces the index's previous one; an armed entry
// is raised once, after its deadline, and then disarmed. Checked on every raise (it names a
// live arming that is due) and at the end (every last arming of an index was raised).
const N = 16, TW = 12, MASK = (1 << TW) - 1;

for (const engine of engines) {
  test(`timer scan raises every due entry once, under random arming and back-pressure (${engine})`, async () => {
    const sim = await simulate(timerScan({ entries: N, timeWidth: TW }), { engine });
    sim.reset(2);
    const now = sim.port('now');
    // `now` is driven before the testbench's components run, so they see this cycle's time.
    sim.onCycle((c) => now.set(c & MASK));
    const tb = new Testbench(sim);
    const rng = new Rng(71);
    const arms = Array.from({ length: 400 }, () => ({ index: rng.int(N), armed: rng.chance(0.85) ? 1 : 0 }));
    const arm = tb.driver('arm', { validProbability: 0.3, seed: 4 });
    const expired = tb.monitor('expired', { readyProbability: 0.4, seed: 5 });
    // Every arming of each index, with the cycle it was accepted and the cycle a later arming
    // of the same index replaced it (armed = 0 entries only replace).
    interface Arming { deadline: number; at: number; replacedAt: number | null; raised: boolean }
    const history = new Map<number, Arming[]>();
    const [expValid] = [sim.port('expired_valid')];
    let offered = 0, taken = 0, raised = 0, prevValid = false, prevFired = false, offerStart = 0;
    sim.onCycle((c) => {
      const v = expValid.get() === 1;
      // A beat first offered in cycle s was raised at the edge before s, reading the table then.
      if (v && (!prevValid || prevFired)) offerStart = c;
      prevFired = false;
      while (expired.received.length > raised) {
        const e = expired.received[raised++] as { index: number; deadline: number };
        const match = (history.get(e.index) ?? []).find((a) => !a.raised && a.deadline === e.deadline && a.at < offerStart && (a.replacedAt === null || a.replacedAt >= offerStart));
        expect(match, `raise of ${e.index} @${e.deadline} names no live arming`).toBeDefined();
        expect(((offerStart - 1 - e.deadline) & MASK) < MASK / 2, 'raised before its deadline').toBe(true);
        match!.raised = true;
        prevFired = true;
      }
      prevValid = v;
      while (arm.sent.length > taken) {
        const a = arm.sent[taken++] as { index: number; armed: number; deadline: number };
        const list = history.get(a.index) ?? [];
        for (const old of list) old.replacedAt ??= c;
        if (a.armed) list.push({ deadline: a.deadline, at: c, replacedAt: null, raised: false });
        history.set(a.index, list);
      }
      // Deadlines are set when the arm is offered, relative to the time then.
      if (arm.pending === 0 && offered < arms.length) {
        const a = arms[offered++]!;
        arm.push({ index: a.index, armed: a.armed, deadline: (c + rng.range(-20, 80)) & MASK });
      }
    });
    await tb.until(() => offered === arms.length && arm.pending === 0, { timeout: 50_000 });
    await tb.tick(80 + 4 * N + 50);
    const current = () => [...history.values()].flatMap((l) => l.filter((a) => a.replacedAt === null));
    await tb.until(() => current().every((a) => a.raised), { timeout: 20 * N });
    expect(current().length).toBeGreaterThan(5);
    expect(raised).toBeGreaterThan(150);
    sim.dispose();
  });
}
