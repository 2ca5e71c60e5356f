// hw/homa/abi/regmap.ts — the register map as a list of register blocks the driver discovers
// (as Corundum's mqnic does): every block starts with {type, version, next}, `next` being the
// byte offset of the following block (0 ends the list), so the driver walks from offset 0
// instead of hard-coding where things are.

import { byteFields } from '../../hdl/layout.ts';
import { COUNTERS, queuePairRegisters } from './records.ts';
import { TUNABLES, tunableWords } from './tunables.ts';
import type { TunableSpec } from './tunables.ts';

export const ABI_VERSION_MAJOR = 1;
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

/** Engine parameters the identity block reports; the defaults are the reference build's. */
export interface EngineParams {
  numQueuePairs: number;
  maxRpcs: number;
  datapathBytes: number;
}
export const DEFAULT_ENGINE_PARAMS: EngineParams = { numQueuePairs: 16, maxRpcs: 4096, datapathBytes: 8 };

/** Feature bits in identity.features. */
export const Feature = { IPV6: 0x1, HIJACK_TCP: 0x2, INCAST: 0x4 } as const;

/** Queue pair i's registers live in their own 4 KiB page at QP_BASE + i * QP_STRIDE. */
export const QP_BASE = 0x1000;
export const QP_STRIDE = 0x1000;

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
  ], h);
  const config = regs((Object.entries(TUNABLES) as [string, TunableSpec][]).map(([name, t]) => [
    name, tunableWords(t), t.access, typeof t.def === 'number' ? [t.def] : [...t.def], t.doc,
  ]), h);
  const counters = regs(COUNTERS.map((c) => [c, 2, 'ro', [0, 0], 'event count, 64 bits (lo word first)']), h);
  const qpHeader = regs([
    ['num_queue_pairs', 1, 'ro', [p.numQueuePairs], 'number of queue-pair pages'],
    ['qp_base', 1, 'ro', [QP_BASE], 'BAR offset of queue pair 0'],
    ['qp_stride', 1, 'ro', [QP_STRIDE], 'bytes between queue pairs (one page each)'],
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
  if (off > QP_BASE) throw new Error(`register blocks (${off} bytes) overlap queue pair 0 at ${QP_BASE}`);
  return out;
}

/** Registers of one queue pair, offsets from its page (from the queuePairRegisters record). */
export function queuePairRegisterList(): Register[] {
  const writable = new Set(['ctrl', 'port', 'sq_base_lo', 'sq_base_hi', 'sq_log_size', 'sq_tail', 'cq_base_lo',
    'cq_base_hi', 'cq_log_size', 'cq_head', 'bpool_base_lo', 'bpool_base_hi', 'bpool_num_bpages',
    'bret_base_lo', 'bret_base_hi', 'bret_log_size', 'bret_tail']);
  return byteFields(queuePairRegisters).map((f) => ({
    name: f.name, offset: f.offset, words: f.bytes / 4, access: writable.has(f.name) ? 'rw' : 'ro',
    reset: [0], doc: f.name.endsWith('_tail') || f.name === 'cq_head' ? 'doorbell' : '',
  }));
}

/** BAR 0 as the engine presents it after reset (32-bit words), for tests and the model. */
export function resetImage(p: EngineParams = DEFAULT_ENGINE_PARAMS): Uint32Array {
  const bar = new Uint32Array((QP_BASE + p.numQueuePairs * QP_STRIDE) / 4);
  const blocks = registerBlocks(p);
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
