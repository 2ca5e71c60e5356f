// hw/lib/models.ts — small TypeScript references of the library's blocks, written from the
// specifications (RFC 1071, IEEE 802.3, the blocks' header comments), not from the hardware.
// The tests run a block and its reference side by side.

/** A packet beat as the simulator's stream driver and monitor see it. */
export type BeatValue = { readonly data: bigint; readonly keep: bigint; readonly last: number };

/** Splits a packet into beats of `bytes` bytes (byte j of a beat in bits 8j+7..8j). */
export function packetBeats(packet: Uint8Array, bytes: number): BeatValue[] {
  const out: BeatValue[] = [];
  const n = Math.max(1, Math.ceil(packet.length / bytes));
  for (let b = 0; b < n; b++) {
    let data = 0n, keep = 0n;
    for (let j = 0; j < bytes; j++) {
      const i = b * bytes + j;
      if (i < packet.length) { data |= BigInt(packet[i]!) << BigInt(8 * j); keep |= 1n << BigInt(j); }
    }
    out.push({ data, keep, last: b === n - 1 ? 1 : 0 });
  }
  return out;
}

/** RFC 1071 section 4.1, in its own words: sum 16-bit words, add the odd byte, fold, invert. */
export function rfc1071(packet: Uint8Array): number {
  let sum = 0;
  let i = 0;
  for (; i + 1 < packet.length; i += 2) sum += (packet[i]! << 8) | packet[i + 1]!;
  if (i < packet.length) sum += packet[i]! << 8;
  while (sum >>> 16) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Ethernet CRC-32, table driven (the zlib formulation). */
export function ethernetCrc32(packet: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of packet) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** beatWiden: narrow beat i of a wide beat in lane i; a last beat closes the wide beat. */
export function widenModel(beats: readonly BeatValue[], narrowBytes: number, ratio: number): BeatValue[] {
  const out: BeatValue[] = [];
  let data = 0n, keep = 0n, lane = 0;
  for (const b of beats) {
    data |= b.data << BigInt(8 * narrowBytes * lane);
    keep |= b.keep << BigInt(narrowBytes * lane);
    lane++;
    if (b.last || lane === ratio) { out.push({ data, keep, last: b.last }); data = 0n; keep = 0n; lane = 0; }
  }
  return out;
}

/** beatNarrow: every lane of a wide beat, but a last beat stops at its highest lane with a keep bit. */
export function narrowModel(beats: readonly BeatValue[], narrowBytes: number, ratio: number): BeatValue[] {
  const out: BeatValue[] = [];
  const dm = (1n << BigInt(8 * narrowBytes)) - 1n, km = (1n << BigInt(narrowBytes)) - 1n;
  for (const b of beats) {
    let end = ratio - 1;
    if (b.last) { end = 0; for (let l = 0; l < ratio; l++) if ((b.keep >> BigInt(narrowBytes * l)) & km) end = l; }
    for (let l = 0; l <= end; l++) {
      out.push({ data: (b.data >> BigInt(8 * narrowBytes * l)) & dm, keep: (b.keep >> BigInt(narrowBytes * l)) & km, last: b.last && l === end ? 1 : 0 });
    }
  }
  return out;
}

export interface Best { readonly valid: number; readonly id: number; readonly rank: number }

/** The exact minimum: valid entries only, lowest rank, then lowest id; {0,0,0} when none. */
export function minimumOf(entries: readonly { valid: boolean; rank: number }[]): Best {
  let best: Best = { valid: 0, id: 0, rank: 0 };
  entries.forEach((e, id) => {
    if (e.valid && (!best.valid || e.rank < best.rank)) best = { valid: 1, id, rank: e.rank };
  });
  return best;
}

/** A ranked store: present entries by id. */
export class RankedStoreModel {
  private readonly ranks = new Map<number, number>();
  update(id: number, present: boolean, rank: number): void {
    if (present) this.ranks.set(id, rank); else this.ranks.delete(id);
  }
  best(): Best {
    let best: Best = { valid: 0, id: 0, rank: 0 };
    for (const [id, rank] of this.ranks) {
      if (!best.valid || rank < best.rank || (rank === best.rank && id < best.id)) best = { valid: 1, id, rank };
    }
    return best;
  }
}

export type HashOpName = 'lookup' | 'insert' | 'remove' | 'find_or_insert' | 'update';
export interface HashResponse {
  readonly op: HashOpName; readonly key: bigint; readonly value: number; readonly found: number; readonly full: number;
  /** bucket * 2^clog2(ways) + way of the entry (0 when absent or full). */
  readonly index: number;
}

/** A bucketed hash table: `ways` slots per bucket, the bucket given by `bucketOf`; inserts take the first free way. */
export class HashTableModel {
  private readonly slots: ({ key: bigint; value: number } | null)[][];
  private readonly wayBits: number;
  constructor(buckets: number, private readonly ways: number, private readonly bucketOf: (key: bigint) => number) {
    this.slots = Array.from({ length: buckets }, () => Array.from({ length: ways }, () => null));
    this.wayBits = Math.max(1, Math.ceil(Math.log2(ways)));
  }
  apply(op: HashOpName, key: bigint, value: number): HashResponse {
    const bucket = this.bucketOf(key);
    const b = this.slots[bucket]!;
    const hit = b.findIndex((e) => e !== null && e.key === key);
    const free = b.findIndex((e) => e === null);
    const at = (way: number): number => bucket * (1 << this.wayBits) + way;
    const had = hit >= 0 ? b[hit]!.value : undefined;
    const found = hit >= 0 ? 1 : 0;
    if (op === 'lookup') return { op, key, value: had ?? 0, found, full: 0, index: hit >= 0 ? at(hit) : 0 };
    if (op === 'remove') {
      if (hit >= 0) b[hit] = null;
      return { op, key, value: had ?? 0, found, full: 0, index: hit >= 0 ? at(hit) : 0 };
    }
    if (op === 'update') {
      if (hit >= 0) b[hit] = { key, value };
      return { op, key, value: had ?? 0, found, full: 0, index: hit >= 0 ? at(hit) : 0 };
    }
    if (op === 'find_or_insert' && hit >= 0) return { op, key, value: had!, found, full: 0, index: at(hit) };
    if (hit < 0 && free < 0) return { op, key, value, found, full: 1, index: 0 };
    const way = hit >= 0 ? hit : free;
    b[way] = { key, value };
    return { op, key, value, found, full: 0, index: at(way) };
  }
}

/** Line levels of one 8N1 frame, one entry per bit time. */
export function uartFrame(byte: number): number[] {
  const bits = [0];
  for (let i = 0; i < 8; i++) bits.push((byte >> i) & 1);
  bits.push(1);
  return bits;
}
