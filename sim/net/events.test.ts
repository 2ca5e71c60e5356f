import { describe, expect, test } from 'vitest';
import { Simulator, type EventHandler } from './events.ts';
import { Rng } from './rng.ts';

describe('event core', () => {
  test('runs events in time order, ties in scheduling order', () => {
    const sim = new Simulator(4); // small capacity forces the slot arrays to grow
    const log: string[] = [];
    sim.at(30, () => log.push('c30'));
    sim.at(10, () => log.push('a10'));
    sim.at(20, () => log.push('b20-1'));
    sim.at(20, () => log.push('b20-2'));
    sim.at(10, () => {
      log.push('a10-2');
      sim.at(10, () => log.push('a10-nested')); // same time, scheduled later: runs after
      sim.at(15, () => log.push('x15'));
    });
    sim.run();
    expect(log).toEqual(['a10', 'a10-2', 'a10-nested', 'x15', 'b20-1', 'b20-2', 'c30']);
    expect(sim.now()).toBe(30);
    expect(sim.eventsProcessed).toBe(7);
  });

  test('events at the current time keep (time, seq) order against the heap, through growth and run(until)', () => {
    // A reference order: sort every scheduled event by (time, seq) and compare.
    const sim = new Simulator(2);
    const rng = new Rng(7, 1);
    const ran: number[] = [];
    const made: [number, number][] = [];
    let seq = 0;
    const add = (t: number): void => {
      const id = seq++;
      made.push([t, id]);
      sim.at(t, () => {
        ran.push(id);
        if (id < 3000) for (let k = 1 + rng.int(2); k > 0; k--) add(sim.now() + (rng.int(2) === 0 ? 0 : rng.int(5)));
      });
    };
    for (let i = 0; i < 20; i++) add(rng.int(4));
    for (let until = 0; sim.pending > 0; until += 3) sim.run(until);
    const expected = [...made].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((e) => e[1]);
    expect(ran).toEqual(expected);
    expect(ran.length).toBeGreaterThan(3000);
  });

  test('typed events pass frame and args to their handler', () => {
    const sim = new Simulator();
    const seen: [number, number, number, number][] = [];
    const h: EventHandler = {
      handleEvent(kind, frame, arg, arg2) {
        seen.push([sim.now(), kind, frame?.length ?? -1, arg + arg2]);
      },
    };
    sim.schedule(5, h, 2, new Uint8Array(3), 1, 2);
    sim.schedule(1, h, 7);
    sim.run();
    expect(seen).toEqual([
      [1, 7, -1, 0],
      [5, 2, 3, 3],
    ]);
  });

  test('cancelled timers do not run; cancelling twice or after firing is harmless', () => {
    const sim = new Simulator();
    const log: number[] = [];
    const t1 = sim.at(5, () => log.push(5));
    const t2 = sim.at(6, () => log.push(6));
    sim.cancel(t1);
    sim.cancel(t1);
    sim.run();
    sim.cancel(t2);
    expect(log).toEqual([6]);
    expect(sim.eventsProcessed).toBe(1);
  });

  test('run(until) stops before later events and advances time to until', () => {
    const sim = new Simulator();
    const log: number[] = [];
    sim.at(100, () => log.push(100));
    sim.at(300, () => log.push(300));
    sim.run(200);
    expect(log).toEqual([100]);
    expect(sim.now()).toBe(200);
    sim.run();
    expect(log).toEqual([100, 300]);
  });

  test('rejects events in the past and non-integer times', () => {
    const sim = new Simulator();
    sim.at(10, () => {
      expect(() => sim.at(9, () => {})).toThrow(/>= now/);
    });
    sim.run();
    expect(() => sim.at(10.5, () => {})).toThrow(/integer/);
  });

  test('a large random schedule pops in (time, seq) order', () => {
    const sim = new Simulator(8);
    const rng = new Rng(42);
    const order: [number, number][] = [];
    for (let i = 0; i < 20000; i++) {
      const t = rng.int(1000);
      const seq = i;
      sim.at(t, () => order.push([t, seq]));
    }
    sim.run();
    let misordered = 0;
    for (let i = 1; i < order.length; i++) {
      const [ta, sa] = order[i - 1]!;
      const [tb, sb] = order[i]!;
      if (!(ta < tb || (ta === tb && sa < sb))) misordered++;
    }
    expect(misordered).toBe(0);
    expect(order.length).toBe(20000);
  });

  test('the same seed gives the same random sequence; different seeds differ', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xa = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(xa);
    const r = new Rng(1);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100000; i++) {
      const f = r.float();
      if (!(f >= 0 && f < 1)) outside++;
      sum += f;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / 100000 - 0.5)).toBeLessThan(0.01);
  });
});
