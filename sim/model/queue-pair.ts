// sim/model/queue-pair.ts — one socket's view of the NIC (ABI queue pair): its port, the
// server opt-in, its receive region of 64 KiB bpages, send requests/replies, completions,
// bpage returns and aborts. A queue pair only ever sees its own RPCs and its own region.

import { BPAGE_SIZE, BpagePool } from './bpool.ts';
import { gatherBpages } from '../../hw/homa/abi.ts';
import type { ModelNic } from './nic.ts';
import type { Completion, ReplyArgs, RequestArgs } from './types.ts';

export interface QueuePairOptions {
  /** Port to bind (1..65535); 0 or absent: the NIC picks one >= 0x8000 (spec §2). */
  port?: number;
  /** SO_HOMA_SERVER: accept incoming requests (spec §2, §3.5 dispatch). */
  server?: boolean;
  /** Receive region size in bpages (SO_HOMA_RCVBUF, §4). */
  bpages: number;
  /**
   * The region's bytes, if the host has them (`bpages` x 64 KiB of host memory the NIC writes
   * message bytes into as packets arrive, as the engine's DMA does); default: the NIC's own.
   */
  region?: Uint8Array;
}

export class QueuePair {
  readonly nic: ModelNic;
  readonly port: number;
  server: boolean;
  readonly pool: BpagePool;
  /** The region's bytes (null when the NIC runs without payload copies). */
  readonly region: Uint8Array | null;
  /** Completions not yet taken by poll() (when no callback is set). */
  readonly completions: Completion[] = [];
  /** Private responses (§2.2), taken only by waitPrivate(id). */
  readonly privateCompletions = new Map<number, Completion>();
  /** If set, every shared completion is handed here instead of queued. */
  onCompletion: ((c: Completion) => void) | null = null;
  /** Closed (ModelNic.closeQueuePair): nothing is posted any more. */
  closed = false;

  constructor(nic: ModelNic, port: number, opt: QueuePairOptions, copyPayload: boolean) {
    this.nic = nic;
    this.port = port;
    this.server = opt.server ?? false;
    this.pool = new BpagePool(opt.bpages);
    if (opt.region && opt.region.length < opt.bpages * BPAGE_SIZE) {
      throw new RangeError(`region of ${opt.region.length} bytes is smaller than ${opt.bpages} bpages`);
    }
    this.region = copyPayload ? opt.region ?? new Uint8Array(opt.bpages * BPAGE_SIZE) : null;
  }

  /** SO_HOMA_SERVER (§2). */
  setServer(on: boolean): void { this.server = on; }

  /** Send a request; returns the RPC id (even, from the NIC's host-wide counter, §1.2). */
  sendRequest(args: RequestArgs): number { return this.nic.startRequest(this, args); }

  /** Send the response to request `id` (§2.2: silently ignored if the RPC is gone). */
  sendReply(args: ReplyArgs): void { this.nic.startReply(this, args); }

  /** Hand bpages back (each offset from a completion, exactly once; §4). Returns false on a double free. */
  returnBpages(offsets: readonly number[]): boolean {
    let ok = true;
    for (const o of offsets) {
      if (this.pool.release(o)) continue;
      ok = false;
      this.nic.counters['bpage_double_frees']!++;
    }
    this.nic.buffersReturned(this);
    return ok;
  }

  /** HOMAIOCABORT (§2.1): id 0 = every client RPC of this queue pair; error 0 = discard silently. */
  abort(id: number, error: number): void { this.nic.abort(this, id, error); }

  /** Close the socket: unbind the port and end every RPC of this queue pair (ModelNic.closeQueuePair). */
  close(): void { this.nic.closeQueuePair(this); }

  /** Next shared completion, if any. */
  poll(): Completion | undefined { return this.completions.shift(); }

  /** A private response (§2.2), once complete. */
  waitPrivate(id: number): Completion | undefined {
    const c = this.privateCompletions.get(id);
    if (c) this.privateCompletions.delete(id);
    return c;
  }

  /** The bytes of a completed message (copied out of the region, in order). */
  messageBytes(c: Completion): Uint8Array {
    if (!this.region) return new Uint8Array(c.length);
    return gatherBpages(this.region, c.bpageOffsets, c.length);
  }

  /** Internal: the NIC posts a completion. */
  post(c: Completion, isPrivate: boolean): void {
    if (this.closed) return;
    if (isPrivate) this.privateCompletions.set(c.id, c);
    else if (this.onCompletion) this.onCompletion(c);
    else this.completions.push(c);
  }
}
