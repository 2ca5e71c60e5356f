// hw/homa/abi/regmap.ts — the register map as a list of register blocks the driver discovers
// (as Corundum's mqnic does): every block starts with {type, version, next}, `next` being the
// byte offset of the following block (0 ends the list), so the driver walks from offset 0
// instead of hard-coding where things are.
//
// Then, for each queue pair i, two 4 KiB pages: its control page at ctrl_base + i * stride
// (kernel only) and its user page at user_base + i * stride (the one a process maps), both
// bases reported by the queue-pair block (records.ts says what each page holds).

import { byteFields } from '../../hdl/layout.ts';
import { COUNTERS, QP_CONTROL_WRITABLE, QP_USER_WRITABLE, queuePairControl, queuePairUser } from './records.ts';
import { TUNABLES, tunableWords } from './tunables.ts';
import type { TunableSpec } from './tunables.ts';

export const ABI_VERSION_MAJOR = 2;
export const ABI_VERSION_MINOR = 0;
export const ABI_VERSION = (ABI_VERSION_MAJOR << 16) | ABI_VERSION_MINOR;

/** Block type codes: four ASCII letters. */
export const BlockType = {
  IDENTITY: 0x484d4944,   // 'HMID'
  CONFIG: 0x484d4346,     // 'HMCF'
  COUNTERS: 0x484d4354,   // 'HMCT'
  QUEUE_PAIRS: 0x484d5150, // 'HMQP'
} as const;

/** Offsets inside every block header. */
export const BLOCK_HEADER = { type: 0x0, version: 0x4, next: 0x8, size: 0xc } as const;

export interface Register {
  readonly name: string;
  /** Byte offset from the start of its block (queue-pair registers: from the queue pair's page). */
  readonly offset: number;
  /** Number of consecutive 32-bit words (arrays, 64-bit counters = 2). */
  readonly words: number;
  readonly access: 'rw' | 'ro' | 'wo';
  readonly reset: readonly number[];
  readonly doc: string;
}

export interface RegisterBlock {
  readonly name: 'identity' | 'config' | 'counters' | 'queue_pairs';
  readonly type: number;
  readonly version: number;
  /** Byte offset of the block in BAR 0. */
  readonly offset: number;
  readonly registers: readonly Register[];
}

/** What an engine build reports in its identity block (the engine's configuration decides them). */
export interface EngineParams {
  numQueuePairs: number;
  maxRpcs: number;
  maxPeers: number;
  datapathBytes: number;
  /** Largest receive region a queue pair may register, in bpages. */
  maxRegionBpages: number;
  /** Out-of-order gaps tracked per incoming message; 0 = no bound. */
  maxGaps: number;
}
/** The reference model's parameters (what `sim` devices report when they run the model). */
export const DEFAULT_ENGINE_PARAMS: EngineParams = {
  numQueuePairs: 16, maxRpcs: 16384, maxPeers: 4096, datapathBytes: 8, maxRegionBpages: 65536, maxGaps: 0,
};

/** Smallest receive region: two maximum messages plus the page being carved (2 x 16 + 1, spec §4). */
export const MIN_REGION_BPAGES = 33;

/** Feature bits in identity.features. */
export const Feature = { IPV6: 0x1, HIJACK_TCP: 0x2, INCAST: 0x4 } as const;

/** Queue pair i's control page is at QP_CTRL_BASE + i * QP_STRIDE, its user page at QP_USER_BASE + i * QP_STRIDE. */
export const QP_CTRL_BASE = 0x100000;
export const QP_USER_BASE = 0x200000;
export const QP_STRIDE = 0x1000;
/** At most this many queue pairs fit between the bases. */
export const MAX_QUEUE_PAIRS = (QP_USER_BASE - QP_CTRL_BASE) / QP_STRIDE;

function regs(list: [string, number, Register['access'], number[], string][], start: number): Register[] {
  let off = start;
  return list.map(([name, words, access, reset, doc]) => {
    const r = { name, offset: off, words, access, reset, doc };
    off += 4 * words;
    return r;
  });
}

const align = (x: number, a: number): number => Math.ceil(x / a) * a;

/** The register blocks, in discovery order, with their BAR offsets. */
export function registerBlocks(p: EngineParams = DEFAULT_ENGINE_PARAMS): RegisterBlock[] {
  if (p.numQueuePairs < 1 || p.numQueuePairs > MAX_QUEUE_PAIRS) throw new Error(`numQueuePairs ${p.numQueuePairs}: 1..${MAX_QUEUE_PAIRS}`);
  const h = BLOCK_HEADER.size;
  const identity = regs([
    ['abi_version', 1, 'ro', [ABI_VERSION], 'major << 16 | minor'],
    ['num_queue_pairs', 1, 'ro', [p.numQueuePairs], 'queue pairs implemented'],
    ['max_rpcs', 1, 'ro', [p.maxRpcs], 'RPC table entries'],
    ['datapath_bytes', 1, 'ro', [p.datapathBytes], 'MAC datapath width in bytes per beat'],
    ['features', 1, 'ro', [Feature.IPV6 | Feature.HIJACK_TCP | Feature.INCAST], 'Feature bits'],
    ['bpage_shift', 1, 'ro', [16], 'log2 of the bpage size: 64 KiB (spec §2, §4)'],
    ['max_bpages_per_msg', 1, 'ro', [16], 'HOMA_MAX_BPAGES (spec §2)'],
    ['max_message_length', 1, 'ro', [1000000], 'HOMA_MAX_MESSAGE_LENGTH (spec §2)'],
    ['min_region_bpages', 1, 'ro', [MIN_REGION_BPAGES], 'smallest receive region a queue pair may register, in bpages (spec §4)'],
    ['max_region_bpages', 1, 'ro', [p.maxRegionBpages], 'largest receive region a queue pair may register, in bpages'],
    ['max_peers', 1, 'ro', [p.maxPeers], 'peer table entries'],
    ['max_gaps', 1, 'ro', [p.maxGaps], 'out-of-order gaps tracked per incoming message (0 = no bound); a packet that would open one more is dropped and recovered by RESEND (spec §3.5)'],
  ], h);
  const config = regs((Object.entries(TUNABLES) as [string, TunableSpec][]).map(([name, t]) => [
    name, tunableWords(t), t.access, typeof t.def === 'number' ? [t.def] : [...t.def], t.doc,
  ]), h);
  const counters = regs(COUNTERS.map((c) => [c, 2, 'ro', [0, 0], 'event count, 64 bits (lo word first)']), h);
  const qpHeader = regs([
    ['num_queue_pairs', 1, 'ro', [p.numQueuePairs], 'number of queue pairs'],
    ['ctrl_base', 1, 'ro', [QP_CTRL_BASE], 'BAR offset of queue pair 0\'s control page (kernel only)'],
    ['user_base', 1, 'ro', [QP_USER_BASE], 'BAR offset of queue pair 0\'s user page (doorbells)'],
    ['stride', 1, 'ro', [QP_STRIDE], 'bytes between the pages of consecutive queue pairs'],
  ], h);
  const blocks: { name: RegisterBlock['name']; type: number; registers: Register[] }[] = [
    { name: 'identity', type: BlockType.IDENTITY, registers: identity },
    { name: 'config', type: BlockType.CONFIG, registers: config },
    { name: 'counters', type: BlockType.COUNTERS, registers: counters },
    { name: 'queue_pairs', type: BlockType.QUEUE_PAIRS, registers: qpHeader },
  ];
  let off = 0;
  const out: RegisterBlock[] = [];
  for (const b of blocks) {
    out.push({ ...b, version: 1, offset: off });
    const last = b.registers[b.registers.length - 1]!;
    off = align(off + last.offset + 4 * last.words, 0x100);
  }
  if (off > QP_CTRL_BASE) throw new Error(`register blocks (${off} bytes) overlap the queue-pair pages at ${QP_CTRL_BASE}`);
  return out;
}

function pageRegisters(layout: typeof queuePairControl | typeof queuePairUser, writable: readonly string[]): Register[] {
  return byteFields(layout).filter((f) => !f.name.startsWith('reserved')).map((f) => ({
    name: f.name, offset: f.offset, words: f.bytes / 4, access: writable.includes(f.name) ? 'rw' : 'ro',
    reset: [0], doc: writable.includes(f.name) && layout === queuePairUser ? 'doorbell' : '',
  }));
}

/** Registers of a queue pair's control page (kernel only), offsets from the page. */
export function queuePairControlRegisters(): Register[] { return pageRegisters(queuePairControl, QP_CONTROL_WRITABLE); }
/** Registers of a queue pair's user page (what a process maps), offsets from the page. */
export function queuePairUserRegisters(): Register[] { return pageRegisters(queuePairUser, QP_USER_WRITABLE); }

/** Byte offsets of each register in a queue pair's pages, by name. */
export const QP_CTRL_REG: Readonly<Record<string, number>> = Object.fromEntries(byteFields(queuePairControl).map((f) => [f.name, f.offset]));
export const QP_USER_REG: Readonly<Record<string, number>> = Object.fromEntries(byteFields(queuePairUser).map((f) => [f.name, f.offset]));

/** BAR bytes an engine with `p` needs (both page arrays). */
export function barBytes(p: EngineParams = DEFAULT_ENGINE_PARAMS): number {
  return QP_USER_BASE + p.numQueuePairs * QP_STRIDE;
}

/** BAR 0 below the queue-pair pages as the engine presents it after reset (32-bit words), for tests and models. */
export function resetImage(p: EngineParams = DEFAULT_ENGINE_PARAMS): Uint32Array {
  const blocks = registerBlocks(p);
  const bar = new Uint32Array(QP_CTRL_BASE / 4);
  blocks.forEach((b, i) => {
    bar[(b.offset + BLOCK_HEADER.type) / 4] = b.type;
    bar[(b.offset + BLOCK_HEADER.version) / 4] = b.version;
    bar[(b.offset + BLOCK_HEADER.next) / 4] = blocks[i + 1]?.offset ?? 0;
    for (const r of b.registers) {
      if (r.access === 'wo') continue;
      r.reset.forEach((v, k) => { bar[(b.offset + r.offset) / 4 + k] = v >>> 0; });
    }
  });
  return bar;
}

/** Walk the block list the way the driver does, from offset 0. */
export function discoverBlocks(read32: (offset: number) => number): { type: number; version: number; offset: number }[] {
  const out: { type: number; version: number; offset: number }[] = [];
  let off = 0;
  for (let guard = 0; guard < 64; guard++) {
    out.push({ type: read32(off + BLOCK_HEADER.type), version: read32(off + BLOCK_HEADER.version), offset: off });
    const next = read32(off + BLOCK_HEADER.next);
    if (next === 0 || next <= off) break;
    off = next;
  }
  return out;
}

/** Offset of register `name` in block `block` (from the block list, never hand-written). */
export function registerOffset(block: RegisterBlock['name'], name: string, p: EngineParams = DEFAULT_ENGINE_PARAMS): number {
  const b = registerBlocks(p).find((x) => x.name === block)!;
  const r = b.registers.find((x) => x.name === name);
  if (!r) throw new Error(`register block '${block}' has no register '${name}'`);
  return b.offset + r.offset;
}
