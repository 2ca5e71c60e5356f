// host-lib/outgoing.ts — the bytes of a socket's outgoing messages while the NIC may still read
// them (hw/homa/abi/records.ts TX_DONE). Each message is staged in the queue pair's send
// region (ABI v2 descriptors name bytes by offset there) and stays put: a request's until its
// RPC ends (RESPONSE or ERROR; for a silent abort, once the NIC has taken the ABORT), a
// reply's until its TX_DONE. When the region is full, senders wait in arrival order:
// back-pressure, never loss, as a full wmem_max blocks sendmsg (spec §2.2).

import { SendSpace } from './send-space.ts';
import type { Staged } from './send-space.ts';

export type { Staged } from './send-space.ts';

/** Wait until `ready` yields a value (the socket's waiters: rings serviced between looks). */
export type WaitUntil = <T>(what: string, ready: () => T | undefined) => Promise<T>;

/** A reply the NIC may still read. Server ids are unique per client host only (§1.2). */
interface SentReply { address: string; tx: Staged }

export class Outgoing {
  private readonly space: SendSpace;
  /** Callers waiting for room, served in order (a big message is not overtaken forever). */
  private readonly queue: symbol[] = [];
  /** Replies waiting for their TX_DONE, by server id. */
  private readonly replies = new Map<bigint, SentReply[]>();
  /** Silently aborted requests: released once the send ring has consumed position `sqPos`. */
  private readonly retired: { sqPos: number; tx: Staged }[] = [];

  /** `region` is the send region's bytes as the host writes them. */
  constructor(private readonly region: Uint8Array, private readonly waitUntil: WaitUntil) {
    this.space = new SendSpace(region.length);
  }

  /** Bytes the NIC may still read. */
  get usedBytes(): number { return this.space.usedBytes; }

  /**
   * Copy `bytes` into the send region if there is room and nobody waits ahead: then the
   * caller goes on without yielding, as a sendmsg that does not block returns with its RPC
   * already known to the socket.
   */
  stageNow(bytes: Uint8Array): Staged | null {
    const tx = this.queue.length === 0 ? this.space.allocate(bytes.length) : null;
    if (tx) this.region.set(bytes, tx.offset);
    return tx;
  }

  /** stageNow, after waiting in arrival order while the region is full. */
  async stage(what: string, bytes: Uint8Array): Promise<Staged> {
    const now = this.stageNow(bytes);
    if (now) return now;
    const me = Symbol(what);
    this.queue.push(me);
    let tx: Staged;
    try {
      tx = await this.waitUntil(`${what}: send region space for ${bytes.length} bytes`, () => {
        if (this.queue[0] !== me) return undefined;
        return this.space.allocate(bytes.length) ?? undefined;
      });
    } finally {
      this.queue.splice(this.queue.indexOf(me), 1);
    }
    this.region.set(bytes, tx.offset);
    return tx;
  }

  /** The NIC is done with these bytes (a request's RPC ended, or the NIC refused its descriptor). */
  release(tx: Staged): void { this.space.release(tx); }

  /** A reply to request `id` from `address` went out: held until its TX_DONE. */
  replySent(id: bigint, address: string, tx: Staged): void {
    const list = this.replies.get(id) ?? [];
    list.push({ address, tx });
    this.replies.set(id, list);
  }

  /** TX_DONE (or a refusal) for the reply to request `id` from `address`; false if there is none. */
  replyDone(id: bigint, address: string): boolean {
    const list = this.replies.get(id);
    if (!list) return false;
    // The peer picks one; an engine that left it out gets the oldest.
    let i = list.findIndex((r) => r.address === address);
    if (i < 0) i = 0;
    this.space.release(list[i]!.tx);
    list.splice(i, 1);
    if (list.length === 0) this.replies.delete(id);
    return true;
  }

  /** A request silently aborted with the ABORT at send-ring position `sqPos`. */
  retire(sqPos: number, tx: Staged): void { this.retired.push({ sqPos, tx }); }

  /** The NIC has taken the send ring up to position `consumed`: the ABORTs there ended their RPCs. */
  consumed(consumed: number): void {
    while (this.retired.length > 0 && this.retired[0]!.sqPos <= consumed) this.space.release(this.retired.shift()!.tx);
  }

  get retiring(): boolean { return this.retired.length > 0; }

  /** The socket closed: the queue pair's memory goes back whole. */
  clear(): void {
    this.retired.length = 0;
    this.replies.clear();
  }
}
