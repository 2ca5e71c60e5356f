// tools/stats/counters.ts — the engine's 64-bit counters read from any Device through the
// register map (ABI v2: the counters block, found by walking the block list as a driver does),
// under HomaModule's metric names (spec §5; hw/homa/abi COUNTERS), and printed the way
// /proc/net/homa_metrics reads: one "name value comment" line per counter.

import { BLOCK_HEADER, BlockType, COUNTERS, COUNTER_DOCS, discoverBlocks } from '../../hw/homa/abi.ts';
import type { Device } from '../../host-lib/device.ts';

/** Counter values by name, in the ABI's order. */
export type CounterSnapshot = ReadonlyMap<string, bigint>;

/** Reads every counter the device's counters block holds (lo word, then hi word). */
export function readCounters(device: Pick<Device, 'url' | 'read32'>): CounterSnapshot {
  const blocks = discoverBlocks((off) => device.read32(off));
  const i = blocks.findIndex((b) => b.type === BlockType.COUNTERS);
  if (i < 0) throw new Error(`${device.url}: its register map has no counters block (type 'HMCT'); is it a homa-nic?`);
  const start = blocks[i]!.offset + BLOCK_HEADER.size;
  const next = blocks[i + 1]?.offset;
  // A device with fewer counters (an older engine) holds a prefix of the list.
  const n = next === undefined ? COUNTERS.length : Math.min(COUNTERS.length, Math.floor((next - start) / 8));
  const out = new Map<string, bigint>();
  for (let k = 0; k < n; k++) {
    const lo = device.read32(start + 8 * k) >>> 0;
    const hi = device.read32(start + 8 * k + 4) >>> 0;
    out.set(COUNTERS[k]!, (BigInt(hi) << 32n) | BigInt(lo));
  }
  return out;
}

/** `after - before` per counter (a counter that went backwards, a reset, shows its new value). */
export function counterDeltas(before: CounterSnapshot, after: CounterSnapshot): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [name, v] of after) {
    const old = before.get(name) ?? 0n;
    out.set(name, v >= old ? v - old : v);
  }
  return out;
}

export interface FormatOptions {
  /** Show counters that are zero too (default: only the others). */
  readonly all?: boolean;
  /** Values are deltas: printed with a sign, and a rate when `seconds` is given. */
  readonly delta?: boolean;
  /** The interval the deltas cover, for a per-second rate. */
  readonly seconds?: number;
}

/** One line per counter: name, value, and what the engine's own counters count. */
export function formatCounters(values: CounterSnapshot, opt: FormatOptions = {}): string {
  const rows = [...values].filter(([, v]) => opt.all || v !== 0n);
  if (rows.length === 0) return opt.delta ? '(no counter moved)\n' : '(every counter is zero)\n';
  const width = Math.max(...rows.map(([n]) => n.length));
  const valueWidth = Math.max(...rows.map(([, v]) => String(v).length)) + (opt.delta ? 1 : 0);
  return rows.map(([name, v]) => {
    const value = opt.delta ? `+${v}` : String(v);
    const rate = opt.delta && opt.seconds ? `  ${(Number(v) / opt.seconds).toFixed(1)}/s` : '';
    const doc = COUNTER_DOCS[name] ? `  ${COUNTER_DOCS[name]}` : '';
    return `${name.padEnd(width)}  ${value.padStart(valueWidth)}${rate}${doc}`.trimEnd();
  }).join('\n') + '\n';
}
