// sim/model/abi-adapter.ts — the model driven through ABI v1 records: send descriptors read
// from host memory become queue-pair calls, and completions are written as completion-queue
// entries. A driver harness (or host-lib's sim backend) uses this so the bytes it exchanges
// with the model are exactly those it will exchange with the hardware.

import { bpageReturnEntry, completionEntry, readRecord, sendDescriptor, SendFlag, SendOpcode, v4Mapped, writeRecord } from '../../hw/homa/abi.ts';
import type { QueuePair } from './queue-pair.ts';
import type { Completion } from './types.ts';

export const SEND_DESC_BYTES = sendDescriptor.width / 8;
export const COMPLETION_BYTES = completionEntry.width / 8;

/** Host memory as the engine's DMA sees it: read `length` bytes at a 64-bit address. */
export type DmaRead = (address: bigint, length: number) => Uint8Array;

export type DescriptorResult = { ok: true; id: number } | { ok: false; reason: string };

/**
 * Execute one send descriptor at `off` of `ring` for queue pair `qp`. REQUEST returns the id
 * assigned; REPLY and ABORT return the id they named. Malformed descriptors are refused with a
 * reason (the hardware sets QpStatus.BAD_DESCRIPTOR) instead of throwing.
 */
export function executeDescriptor(qp: QueuePair, ring: Uint8Array, off: number, dma: DmaRead): DescriptorResult {
  const d = readRecord(sendDescriptor, ring, off);
  const opcode = d['opcode'] as number;
  const flags = d['flags'] as number;
  const length = d['length'] as number;
  const id = Number(d['id'] as bigint);
  const payload = (): Uint8Array | undefined => (qp.region === null ? undefined : dma(d['buffer'] as bigint, length));
  try {
    switch (opcode) {
      case SendOpcode.REQUEST: {
        if (id !== 0) return { ok: false, reason: 'REQUEST descriptor with a nonzero id' };
        const peer = peerFrom(d['peer_addr'] as Uint8Array, qp.nic.cfg.address.length);
        const newId = qp.sendRequest({
          peer, dport: d['dport'] as number, payload: payload(), length, cookie: Number(d['cookie'] as bigint),
          private: (flags & SendFlag.PRIVATE) !== 0, notifyId: (flags & SendFlag.NOTIFY_ID) !== 0,
        });
        return { ok: true, id: newId };
      }
      case SendOpcode.REPLY:
        if ((d['cookie'] as bigint) !== 0n) return { ok: false, reason: 'REPLY descriptor with a cookie (EINVAL, spec §2.2)' };
        qp.sendReply({ id, peer: peerFrom(d['peer_addr'] as Uint8Array, qp.nic.cfg.address.length), payload: payload(), length });
        return { ok: true, id };
      case SendOpcode.ABORT:
        qp.abort(id, d['error'] as number);
        return { ok: true, id };
      default:
        return { ok: false, reason: `unknown opcode ${opcode}` };
    }
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Write `c` as a completion-queue entry with the ring's current phase bit. */
export function writeCompletion(c: Completion, ring: Uint8Array, off: number, phase: number): void {
  writeRecord(completionEntry, ring, off, {
    type: c.type, phase: phase & 1, peer_port: c.peerPort, length: c.length, id: BigInt(c.id), cookie: BigInt(c.cookie),
    error: c.error, num_bpages: c.bpageOffsets.length, peer_addr: v4Mapped(c.peer), bpage_offsets: c.bpageOffsets,
  });
}

/** Read a completion-queue entry back (what the driver does). */
export function readCompletion(ring: Uint8Array, off: number): Completion & { phase: number } {
  const r = readRecord(completionEntry, ring, off);
  const n = r['num_bpages'] as number;
  const addr = r['peer_addr'] as Uint8Array;
  const isV4 = addr.subarray(0, 10).every((x) => x === 0) && addr[10] === 0xff && addr[11] === 0xff;
  return {
    type: r['type'] as Completion['type'], phase: r['phase'] as number, id: Number(r['id'] as bigint),
    cookie: Number(r['cookie'] as bigint), peer: isV4 ? addr.slice(12) : addr, peerPort: r['peer_port'] as number,
    length: r['length'] as number, error: r['error'] as number, bpageOffsets: (r['bpage_offsets'] as number[]).slice(0, n),
  };
}

export const BPAGE_RETURN_BYTES = bpageReturnEntry.width / 8;

/**
 * Take the bpage-return ring entries from `head` to `tail` (indices modulo `entries`) and give
 * the offsets back to the queue pair's pool; the engine then advances bret_head to `tail`.
 * `doubleFree` reports an offset that held nothing (QpStatus.BPAGE_DOUBLE_FREE, spec §2.2 EINVAL).
 */
export function consumeBpageReturns(qp: QueuePair, ring: Uint8Array, head: number, tail: number, entries: number): { consumed: number; doubleFree: boolean } {
  const offsets: number[] = [];
  for (let i = head; i !== tail; i = (i + 1) % entries) {
    offsets.push(readRecord(bpageReturnEntry, ring, i * BPAGE_RETURN_BYTES)['offset'] as number);
  }
  const ok = qp.returnBpages(offsets);
  return { consumed: offsets.length, doubleFree: !ok };
}

function peerFrom(addr: Uint8Array, family: number): Uint8Array {
  return family === 4 ? addr.slice(12, 16) : addr.slice();
}
