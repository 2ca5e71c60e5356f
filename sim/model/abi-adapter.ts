// sim/model/abi-adapter.ts — the model driven through ABI v2 records (hw/homa/abi/records.ts):
// send descriptors read from host memory become queue-pair calls, their bytes named by an
// offset into the queue pair's send region; refused descriptors become ERROR completions; and
// completions are written as 64-byte completion-queue entries (plus a CONTINUATION entry past
// COMPLETION_INLINE_BPAGES bpages). Host-lib's sim backend and the QEMU device server use it,
// so the bytes they exchange with the model are exactly those the hardware exchanges.

import {
  bpageReturnEntry, COMPLETION_INLINE_BPAGES, completionContinuation, completionEntry, CompletionType, MAX_RING_LOG, MIN_RING_LOG,
  readRecord, sendDescriptor, SendFlag, SendOpcode, v4Mapped, writeRecord,
} from '../../hw/homa/abi.ts';
import type { MemRecord } from '../../hw/homa/abi.ts';
import { HOMA_MAX_MESSAGE_LENGTH } from '../../hw/homa/wire/index.ts';
import type { QueuePair } from './queue-pair.ts';
import { EINVAL } from './types.ts';
import { allZero, descriptorFault, isV4Mapped } from '../../hw/homa/abi/descriptor.ts';

export { descriptorFault };
import type { Completion } from './types.ts';

export const SEND_DESC_BYTES = sendDescriptor.width / 8;
export const COMPLETION_BYTES = completionEntry.width / 8;
export const BPAGE_RETURN_BYTES = bpageReturnEntry.width / 8;

/** A queue pair's registered send region (control page send_base / send_size) as the engine's DMA reads it. */
export interface SendRegion {
  readonly size: number;
  /** The bytes at [offset, offset + length); the caller has checked they lie inside the region. */
  read(offset: number, length: number): Uint8Array;
}

/**
 * A send region over host memory. Reads are views, not copies: the model reads a message's
 * bytes as its packets go out, as the engine does, so a host that reuses them before TX_DONE
 * (or before its RPC ended) sends the wrong bytes.
 */
export function sendRegionOver(bytes: Uint8Array): SendRegion {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

export type DescriptorResult = { ok: true; id: number } | { ok: false; reason: string };

/**
 * Why the engine refuses a queue pair's control page at ENABLE (status BAD_CONFIG,
 * records.ts queuePairControl), or null. `reg` reads a control-page register by name.
 */
export function controlPageFault(reg: (name: string) => number, minRegionBpages: number, maxRegionBpages: number): string | null {
  const port = reg('port');
  if (port < 1 || port > 0xffff) return `port ${port} (1..65535)`;
  for (const r of ['sq', 'cq', 'bret']) {
    const log = reg(`${r}_log_size`);
    if (log < MIN_RING_LOG || log > MAX_RING_LOG) return `${r}_log_size ${log} (${MIN_RING_LOG}..${MAX_RING_LOG})`;
  }
  const bpages = reg('bpool_num_bpages');
  if (bpages < minRegionBpages || bpages > maxRegionBpages) return `a region of ${bpages} bpages (${minRegionBpages}..${maxRegionBpages})`;
  for (const r of ['sq', 'cq', 'bret', 'bpool', 'send']) {
    if (reg(`${r}_base_lo`) % 4096) return `${r} base 0x${(reg(`${r}_base_hi`) * 2 ** 32 + reg(`${r}_base_lo`)).toString(16)} not 4 KiB aligned`;
  }
  return null;
}

/** The ERROR completion a refused descriptor gets: EINVAL, with the descriptor's id and cookie. */
export function refusalCompletion(d: MemRecord): Completion {
  return {
    type: CompletionType.ERROR, id: Number(d['id'] as bigint), cookie: Number(d['cookie'] as bigint),
    peer: (d['peer_addr'] as Uint8Array).slice(), peerPort: d['dport'] as number, length: 0, error: EINVAL, bpageOffsets: [],
  };
}

/**
 * Execute one send descriptor at `off` of `ring` for queue pair `qp`, its bytes in `send`.
 * REQUEST returns the id assigned; REPLY and ABORT the id they named. A refused descriptor
 * (descriptorFault, or one the model rejects) touches no memory: it posts an ERROR completion
 * with EINVAL and counts bad_descriptors; the caller sets status BAD_DESCRIPTOR.
 */
export function executeDescriptor(qp: QueuePair, ring: Uint8Array, off: number, send: SendRegion): DescriptorResult {
  const d = readRecord(sendDescriptor, ring, off);
  const family = qp.nic.cfg.address.length;
  const fault = descriptorFault(d, send.size, family);
  if (fault) return refuse(qp, d, fault);
  const flags = d['flags'] as number;
  const length = d['length'] as number;
  const id = Number(d['id'] as bigint);
  // Without payload copies (copyPayload false) the model needs only the length.
  const payload = qp.region === null || d['opcode'] === SendOpcode.ABORT ? undefined : send.read(d['send_offset'] as number, length);
  const notifyTxDone = (flags & SendFlag.NOTIFY_TX_DONE) !== 0;
  try {
    switch (d['opcode']) {
      case SendOpcode.REQUEST: {
        const newId = qp.sendRequest({
          peer: peerFrom(d['peer_addr'] as Uint8Array, family), dport: d['dport'] as number, payload, length,
          cookie: Number(d['cookie'] as bigint), private: (flags & SendFlag.PRIVATE) !== 0,
          notifyId: (flags & SendFlag.NOTIFY_ID) !== 0, notifyTxDone,
        });
        return { ok: true, id: newId };
      }
      case SendOpcode.REPLY: {
        const addr = d['peer_addr'] as Uint8Array;
        const peer = allZero(addr) ? undefined : peerFrom(addr, family);
        qp.sendReply({ id, peer, dport: d['dport'] as number, payload, length, notifyTxDone });
        return { ok: true, id };
      }
      default:
        qp.abort(id, d['error'] as number);
        return { ok: true, id };
    }
  } catch (e) {
    return refuse(qp, d, e instanceof Error ? e.message : String(e));
  }
}

function refuse(qp: QueuePair, d: MemRecord, reason: string): DescriptorResult {
  qp.nic.counters['bad_descriptors']!++;
  qp.post(refusalCompletion(d), false);
  return { ok: false, reason };
}

/** Completion-queue entries `c` takes: 1, or 2 with its CONTINUATION. */
export function completionEntries(c: Completion): 1 | 2 {
  return c.bpageOffsets.length > COMPLETION_INLINE_BPAGES ? 2 : 1;
}

const phaseOf = (index: number, log: number): number => ((index >>> log) & 1) ^ 1;

/** The first entry's fields (everything but the phase) of completion `c`. */
function entryFields(c: Completion, phase: number): Partial<MemRecord> {
  return {
    type: c.type, phase, peer_port: c.peerPort, length: c.length, id: BigInt(c.id), cookie: BigInt(c.cookie),
    error: c.error, num_bpages: c.bpageOffsets.length, peer_addr: v4Mapped(c.peer),
    bpage_offsets: c.bpageOffsets.length > COMPLETION_INLINE_BPAGES ? c.bpageOffsets.slice(0, COMPLETION_INLINE_BPAGES) : c.bpageOffsets as number[],
  };
}

function continuationFields(c: Completion, phase: number): Partial<MemRecord> {
  return { type: CompletionType.CONTINUATION, phase, bpage_offsets: c.bpageOffsets.slice(COMPLETION_INLINE_BPAGES) };
}

/** The entries (64 bytes each) of `c` written at free-running counter `index` of a ring of 2^log entries, phases set. */
export function encodeCompletion(c: Completion, index: number, log: number): Uint8Array[] {
  const first = new Uint8Array(COMPLETION_BYTES);
  writeRecord(completionEntry, first, 0, entryFields(c, phaseOf(index, log)));
  if (completionEntries(c) === 1) return [first];
  const cont = new Uint8Array(COMPLETION_BYTES);
  writeRecord(completionContinuation, cont, 0, continuationFields(c, phaseOf(index + 1, log)));
  return [first, cont];
}

/**
 * Write `c` into `ring` (2^log entries) at free-running counter `index`; returns the entries
 * used. The continuation goes first and the first entry's phase byte last, so a host polling
 * that byte never sees half a completion (records.ts: the phase is what marks an entry valid).
 */
export function writeCompletion(c: Completion, ring: Uint8Array, index: number, log: number): number {
  const mask = (1 << log) - 1;
  const n = completionEntries(c);
  if (n === 2) writeRecord(completionContinuation, ring, ((index + 1) & mask) * COMPLETION_BYTES, continuationFields(c, phaseOf(index + 1, log)));
  // Written in place with the phase still saying "not valid", then the phase byte alone.
  const at = (index & mask) * COMPLETION_BYTES;
  const phase = phaseOf(index, log);
  writeRecord(completionEntry, ring, at, entryFields(c, phase ^ 1));
  ring[at + 1] = phase;
  return n;
}

/**
 * The completion at free-running counter `index` of `ring` (2^log entries) with its
 * continuation merged, or null while it (or its continuation) is not yet valid.
 */
export function readCompletion(ring: Uint8Array, index: number, log: number): { completion: Completion; entries: 1 | 2 } | null {
  const mask = (1 << log) - 1;
  const off = (index & mask) * COMPLETION_BYTES;
  if (ring[off + 1] !== phaseOf(index, log)) return null;
  const r = readRecord(completionEntry, ring, off);
  if (r['type'] === CompletionType.CONTINUATION) throw new Error(`completion ring entry ${index}: a CONTINUATION with no completion before it`);
  const n = r['num_bpages'] as number;
  let offsets = (r['bpage_offsets'] as number[]).slice(0, Math.min(n, COMPLETION_INLINE_BPAGES));
  let entries: 1 | 2 = 1;
  if (n > COMPLETION_INLINE_BPAGES) {
    const coff = ((index + 1) & mask) * COMPLETION_BYTES;
    if (ring[coff + 1] !== phaseOf(index + 1, log)) return null;
    const cont = readRecord(completionContinuation, ring, coff);
    if (cont['type'] !== CompletionType.CONTINUATION) throw new Error(`completion ring entry ${index + 1}: type ${String(cont['type'])}, expected the CONTINUATION of entry ${index}`);
    offsets = offsets.concat((cont['bpage_offsets'] as number[]).slice(0, n - COMPLETION_INLINE_BPAGES));
    entries = 2;
  }
  const addr = r['peer_addr'] as Uint8Array;
  const completion: Completion = {
    type: r['type'] as Completion['type'], id: Number(r['id'] as bigint), cookie: Number(r['cookie'] as bigint),
    peer: isV4Mapped(addr) ? addr.slice(12) : addr, peerPort: r['peer_port'] as number, length: r['length'] as number,
    error: r['error'] as number, bpageOffsets: offsets,
  };
  return { completion, entries };
}

/**
 * Take the bpage-return ring entries (2^log of them) from free-running counter `head` to
 * `tail` and give the offsets back to the queue pair's pool; the engine then advances
 * bret_head to `tail`. `doubleFree` reports an offset that held nothing (status
 * BPAGE_DOUBLE_FREE; HomaModule's EINVAL, spec §4).
 */
export function consumeBpageReturns(qp: QueuePair, ring: Uint8Array, head: number, tail: number, log: number): { consumed: number; doubleFree: boolean } {
  const offsets: number[] = [];
  const mask = (1 << log) - 1;
  for (let i = head; i !== tail; i = (i + 1) >>> 0) {
    offsets.push(readRecord(bpageReturnEntry, ring, (i & mask) * BPAGE_RETURN_BYTES)['offset'] as number);
  }
  const ok = qp.returnBpages(offsets);
  return { consumed: offsets.length, doubleFree: !ok };
}

function peerFrom(addr: Uint8Array, family: number): Uint8Array {
  return family === 4 ? addr.slice(12, 16) : addr.slice();
}
