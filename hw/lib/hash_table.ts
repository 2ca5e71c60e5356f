// hw/lib/hash_table.ts — a hash table (exact-match CAM) in block RAM: insert, lookup and
// remove, one request per cycle, the answer 2 cycles later.
//
// Layout: `buckets` x `ways` entries; a key hashes (H3: each index bit is the parity of the
// key under a fixed random mask) to one bucket, and may sit in any of its ways. The ways are
// separate RAMs read in parallel, so one read cycle fetches the whole bucket. Collisions up
// to `ways` keys per bucket are absorbed; an insert into a full bucket is refused and says so
// (`full`), never overwriting. Pipeline: cycle 0 accepts and reads the bucket; cycle 1
// compares every way, decides and writes; the response register holds the answer. A request
// reads its bucket at the same edge the previous request writes, so that one write is
// forwarded from a register; every earlier write is already in the RAM.
//
// Responses: lookup          found = present, value = its value;
//            insert          found = was present (value replaced), full = absent and no free way;
//            remove          found = was present (removed), value = the removed value;
//            find_or_insert  found = was present (value = its value, nothing written); else
//                            inserted with the request's value, or full when no way is free;
//            update          found = was present (value = its old value, the request's written
//                            in its place); absent: nothing written (a flag on a live entry).
// Every response names the entry's position, `index` = bucket * 2^clog2(ways) + way (the hit,
// the way written, or 0 when absent/full), so a table of records indexed by it can sit beside
// the hash table: an entry's position never changes while the key is present.
// The table is empty at power-up (RAM initial contents); reset does not clear it.

import { bool, clog2, enumType, lit, module, mux, record, stream, u, when, type Bool, type UInt } from '../hdl/index.ts';
import { isPow2, requireParam } from './beat.ts';

export const hashOp = enumType('hash_op', ['lookup', 'insert', 'remove', 'find_or_insert', 'update']);

export interface HashTableOptions {
  readonly buckets: number;
  readonly ways: number;
  readonly keyWidth: number;
  readonly valueWidth: number;
}

/** The H3 masks: one per index bit, from a fixed seed so hardware and models agree. */
export function hashMasks(o: HashTableOptions): bigint[] {
  let x = 0x9e3779b97f4a7c15n;
  const next = () => { x ^= x << 13n; x &= (1n << 64n) - 1n; x ^= x >> 7n; x ^= x << 17n; x &= (1n << 64n) - 1n; return x; };
  const masks: bigint[] = [];
  for (let b = 0; b < clog2(o.buckets); b++) {
    let mask = 0n;
    for (let w = 0; w < o.keyWidth; w += 64) mask |= next() << BigInt(w);
    masks.push(mask & ((1n << BigInt(o.keyWidth)) - 1n));
  }
  return masks;
}

/** Bits of a response's `index`: the bucket, then the way. */
export function hashIndexWidth(o: HashTableOptions): number { return clog2(o.buckets) + clog2(o.ways); }

/** The bucket a key hashes to (the same function as the hardware). */
export function hashBucket(key: bigint, o: HashTableOptions): number {
  let idx = 0;
  hashMasks(o).forEach((mask, b) => {
    let v = key & mask, p = 0;
    while (v) { p ^= Number(v & 1n); v >>= 1n; }
    idx |= p << b;
  });
  return idx;
}

export function hashTable(o: HashTableOptions) {
  const { buckets, ways, keyWidth: kw, valueWidth: vw } = o;
  requireParam(isPow2(buckets) && buckets >= 2, `hashTable: buckets must be a power of two >= 2 (got ${buckets})`);
  requireParam(Number.isInteger(ways) && ways >= 1, `hashTable: ways must be >= 1 (got ${ways})`);
  const bw = clog2(buckets);
  const entry = record({ used: bool, key: u(kw), value: u(vw) });
  return module(`hash_table${buckets * ways}`, {
    req: stream.sink(record({ op: hashOp, key: u(kw), value: u(vw) })),
    resp: stream.source(record({ op: hashOp, key: u(kw), value: u(vw), found: bool, full: bool, index: u(bw + clog2(ways)) })),
  }, (m, io) => {
    const masks = hashMasks(o);
    let bucketIn: UInt<number> | null = null;
    for (let b = bw - 1; b >= 0; b--) {
      const bit = io.req.payload.key.and(masks[b]!).xorR();
      bucketIn = bucketIn ? bucketIn.cat(bit) as UInt<number> : bit.asUInt();
    }
    const bucket = m.let('bucket_in', bucketIn!);
    const rams = Array.from({ length: ways }, (_, w) => m.memory(`way${w}`, { layout: entry, depth: buckets, ports: ['w', 'r'] }));
    const s1 = m.reg('s1', record({ valid: bool, op: hashOp, key: u(kw), value: u(vw), bucket: u(bw) }));
    const s2 = m.reg('s2', record({ valid: bool, op: hashOp, key: u(kw), value: u(vw), found: bool, full: bool, index: u(bw + clog2(ways)) }));
    const fwd = m.reg('fwd', record({ valid: bool, bucket: u(bw), way: u(clog2(ways)), used: bool, key: u(kw), value: u(vw) }));
    const advance = m.let('advance', s1.valid.and(s2.valid.not().or(io.resp.ready)));
    io.req.ready.set(s1.valid.not().or(advance));

    // Cycle 1: the bucket's ways, with the previous request's write forwarded.
    const fwdHere = m.let('fwd_here', fwd.valid.and(fwd.bucket.eq(s1.bucket)));
    const seen = rams.map((ram, w) => {
      const d = ram.ports[1]!.data;
      const f = fwdHere.and(fwd.way.eq(w));
      return {
        used: m.let(`way${w}_used`, mux(f, fwd.used, d.used)),
        key: m.let(`way${w}_key`, mux(f, fwd.key, d.key)),
        value: m.let(`way${w}_value`, mux(f, fwd.value, d.value)),
      };
    });
    const match = seen.map((e, w) => m.let(`match${w}`, e.used.and(e.key.eq(s1.key))));
    const found = m.let('found', match.reduce((a, b) => a.or(b)));
    const free = seen.map((e) => e.used.not());
    const hasFree = m.let('has_free', free.reduce((a, b) => a.or(b)));
    const hitWay = m.let('hit_way', firstOf(match, ways));
    const freeWay = m.let('free_way', firstOf(free, ways));
    let oldValue: UInt<number> = seen[0]!.value;
    for (let w = 1; w < ways; w++) oldValue = mux(match[w]!, seen[w]!.value, oldValue);
    const isInsert = s1.op.is('insert'), isRemove = s1.op.is('remove'), isFindOrInsert = s1.op.is('find_or_insert'), isUpdate = s1.op.is('update');
    const adds = m.let('adds', isFindOrInsert.and(found.not()).and(hasFree));
    const writes = m.let('writes', advance.and(isInsert.and(found.or(hasFree)).or(isRemove.or(isUpdate).and(found)).or(adds)));
    const way = m.let('write_way', mux(found, hitWay, freeWay));
    const stores = isInsert.or(adds).or(isUpdate);
    const newEntry = { used: isInsert.or(isFindOrInsert).or(isUpdate), key: s1.key, value: mux(stores, s1.value, oldValue) };
    const present = m.let('present', found.or(isInsert.and(hasFree)).or(adds));

    io.resp.valid.set(s2.valid);
    io.resp.payload.op.set(s2.op);
    io.resp.payload.key.set(s2.key);
    io.resp.payload.value.set(s2.value);
    io.resp.payload.found.set(s2.found);
    io.resp.payload.full.set(s2.full);
    io.resp.payload.index.set(s2.index);

    m.seq(() => {
      when(io.req.fire(), () => {
        for (const ram of rams) ram.ports[1]!.read(bucket);
        s1.op.set(io.req.payload.op);
        s1.key.set(io.req.payload.key);
        s1.value.set(io.req.payload.value);
        s1.bucket.set(bucket);
        // This read misses only the write made at this same edge: keep it for the next cycle.
        fwd.valid.set(writes);
        fwd.bucket.set(s1.bucket);
        fwd.way.set(way);
        fwd.used.set(newEntry.used);
        fwd.key.set(newEntry.key);
        fwd.value.set(newEntry.value);
      });
      s1.valid.set(io.req.fire().or(s1.valid.and(advance.not())));
      rams.forEach((ram, w) => when(writes.and(way.eq(w)), () => ram.ports[0]!.write(s1.bucket, newEntry)));
      when(advance, () => {
        s2.valid.set(true);
        s2.op.set(s1.op);
        s2.key.set(s1.key);
        s2.value.set(mux(isInsert.or(isFindOrInsert.and(found.not())), s1.value, mux(found, oldValue, lit(vw, 0))));
        s2.found.set(found);
        s2.full.set(isInsert.or(isFindOrInsert).and(found.not()).and(hasFree.not()));
        s2.index.set(mux(present, s1.bucket.cat(way) as UInt<number>, lit(bw + clog2(ways), 0)));
      }).elsewhen(io.resp.ready, () => s2.valid.set(false));
    });
  }, { buckets, ways, keyWidth: kw, valueWidth: vw });
}

/** Index of the first true flag (0 when none). */
function firstOf(flags: readonly Bool[], n: number): UInt<number> {
  const k = clog2(n);
  let idx: UInt<number> = lit(k, n - 1);
  for (let i = n - 2; i >= 0; i--) idx = mux(flags[i]!, lit(k, i), idx);
  return idx;
}
