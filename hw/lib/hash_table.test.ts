import { expect, test } from 'vitest';
import { hashBucket, hashTable, type HashTableOptions } from './hash_table.ts';
import { HashTableModel, type HashOpName } from './models.ts';
import { bench, engines, Rng } from './testing.ts';

// A small table (8 buckets x 2 ways) and a key pool twice its size, so collisions, full
// buckets, repeated keys and back-to-back requests on one bucket (the forwarded write) are
// all common. Reference: a map per bucket, at most `ways` keys each.
const o: HashTableOptions = { buckets: 8, ways: 2, keyWidth: 20, valueWidth: 8 };
const OPS: HashOpName[] = ['lookup', 'insert', 'remove', 'find_or_insert', 'update'];

test('the hash spreads keys over every bucket', () => {
  const seen = new Set<number>();
  for (let k = 0n; k < 200n; k++) seen.add(hashBucket(k * 7919n, o));
  expect(seen.size).toBe(o.buckets);
});

for (const engine of engines) {
  test(`hash table answers as its reference under random ops, valid and back-pressure (${engine})`, async () => {
    const { sim, tb } = await bench(hashTable(o), engine);
    const rng = new Rng(61);
    const model = new HashTableModel(o.buckets, o.ways, (k) => hashBucket(k, o));
    const pool = Array.from({ length: 32 }, () => BigInt(rng.int(1 << o.keyWidth)));
    const reqs = Array.from({ length: 3000 }, (_, i) => {
      const op = OPS[rng.chance(0.3) ? 1 : rng.chance(0.3) ? 3 : rng.chance(0.2) ? 4 : rng.chance(0.5) ? 0 : 2]!;
      // Runs of requests on one key exercise the read-after-write forwarding.
      const key = i % 7 < 2 ? pool[i % 3]! : rng.pick(pool);
      return { op: OPS.indexOf(op), key: Number(key), value: rng.int(256) };
    });
    const want = reqs.map((r) => model.apply(OPS[r.op]!, BigInt(r.key), r.value));
    tb.driver('req', { validProbability: 0.9, seed: 2 }).push(...reqs);
    const resp = tb.monitor('resp', { readyProbability: 0.7, seed: 3 });
    await tb.until(() => resp.received.length === reqs.length, { timeout: 20_000 });
    expect(resp.received).toEqual(want.map((w) => ({ op: OPS.indexOf(w.op), key: Number(w.key), value: w.value, found: w.found, full: w.full, index: w.index })));
    // The stimulus did reach the interesting cases.
    expect(want.filter((w) => w.full).length).toBeGreaterThan(20);
    expect(want.filter((w) => w.op === 'lookup' && w.found).length).toBeGreaterThan(100);
    expect(want.filter((w) => w.op === 'remove' && w.found).length).toBeGreaterThan(50);
    expect(want.filter((w) => w.op === 'find_or_insert' && w.found).length).toBeGreaterThan(50);
    expect(want.filter((w) => w.op === 'find_or_insert' && !w.found && !w.full).length).toBeGreaterThan(20);
    expect(want.filter((w) => w.op === 'update' && w.found).length).toBeGreaterThan(20);
    expect(want.filter((w) => w.op === 'update' && !w.found).length).toBeGreaterThan(20);
    sim.dispose();
  });

  test(`hash table takes one request per cycle with no back-pressure (${engine})`, async () => {
    const { sim, tb } = await bench(hashTable(o), engine);
    const reqs = Array.from({ length: 200 }, (_, i) => ({ op: i % 2, key: i % 5, value: i & 255 }));
    tb.driver('req').push(...reqs);
    const resp = tb.monitor('resp');
    const cycles = await tb.until(() => resp.received.length === reqs.length, { timeout: 1000 });
    expect(cycles).toBeLessThanOrEqual(reqs.length + 3);
    sim.dispose();
  });
}
