// host-lib/waiters.ts — the calls blocked on one socket. Each names what would end its wait
// (`ready` returns a value); a single poller per socket services the rings, hands results to
// the calls whose condition now holds, in the order they started, and otherwise waits on the
// device. So an event wakes one task per socket, not every blocked call.

import type { Device, WaitResult } from './device.ts';
import { AbortError, ERRNO, HomaError, SimulationIdleError, SocketClosedError } from './errors.ts';

interface Entry {
  what: string;
  ready: () => unknown;
  deadlineNs: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** Stop listening to the caller's AbortSignal (the wait ended some other way). */
  unlisten?: () => void;
}

function timedOut(what: string): HomaError {
  return new HomaError('EAGAIN', ERRNO.EAGAIN, `${what}: nothing arrived within the timeout`);
}

export class Waiters {
  private list: Entry[] = [];
  private polling = false;
  private closed = false;
  /** Deadline of the device wait in progress, and how to cut it short. */
  private waitingUntil = Infinity;
  private kick: (() => void) | null = null;

  constructor(private readonly device: Device, private readonly service: () => void) {}

  /**
   * Resolve with ready()'s first defined value; EAGAIN at `deadlineNs` (device time); an
   * AbortError (ECANCELED) once `signal` aborts.
   */
  until<T>(what: string, ready: () => T | undefined, deadlineNs?: number, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new SocketClosedError(what));
    if (signal?.aborted) return Promise.reject(new AbortError(what, signal.reason));
    this.service();
    const v = ready();
    if (v !== undefined) return Promise.resolve(v);
    const deadline = deadlineNs ?? Infinity;
    if (this.device.now() >= deadline) return Promise.reject(timedOut(what));
    return new Promise<T>((resolve, reject) => {
      const e: Entry = { what, ready, deadlineNs: deadline, resolve: resolve as (v: unknown) => void, reject };
      if (signal) {
        const onAbort = (): void => {
          const i = this.list.indexOf(e);
          if (i < 0) return;
          this.list.splice(i, 1);
          if (this.list.length === 0) this.kick?.();
          reject(new AbortError(what, signal.reason));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        e.unlisten = () => signal.removeEventListener('abort', onAbort);
        e.resolve = (x) => { e.unlisten!(); resolve(x as T); };
        e.reject = (x) => { e.unlisten!(); reject(x); };
      }
      this.list.push(e);
      if (!this.polling) void this.poll();
      else if (deadline < this.waitingUntil) this.kick?.();
    });
  }

  /** The socket closed: every blocked call fails with ESHUTDOWN. */
  close(): void {
    this.closed = true;
    const all = this.list;
    this.list = [];
    for (const e of all) e.reject(new SocketClosedError(e.what));
    this.kick?.();
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      while (this.list.length > 0 && !this.closed) {
        const seen = this.device.eventCount();
        this.service();
        this.settle(null);
        if (this.list.length === 0) break;
        let until = Infinity;
        for (const e of this.list) if (e.deadlineNs < until) until = e.deadlineNs;
        this.waitingUntil = until;
        let r: WaitResult | 'kicked';
        try {
          r = await new Promise<WaitResult | 'kicked'>((resolve, reject) => {
            this.kick = () => resolve('kicked');
            this.device.waitEvent(seen, this.waitingUntil === Infinity ? undefined : this.waitingUntil).then(resolve, reject);
          });
        } catch (e) {
          const all = this.list;
          this.list = [];
          for (const w of all) w.reject(e);
          break;
        } finally {
          this.kick = null;
          this.waitingUntil = Infinity;
        }
        if (r === 'idle') {
          this.service();
          this.settle(this.device.idleReason?.() ?? '');
        }
      }
    } finally {
      this.polling = false;
    }
  }

  /**
   * Hand out results, in arrival order; past deadlines fail with EAGAIN, and if the device
   * went idle (`idle` says why), all others with EDEADLK.
   */
  private settle(idle: string | null): void {
    const now = this.device.now();
    const keep: Entry[] = [];
    for (const e of this.list) {
      let v: unknown;
      try { v = e.ready(); } catch (err) { e.reject(err); continue; }
      if (v !== undefined) e.resolve(v);
      else if (now >= e.deadlineNs) e.reject(timedOut(e.what));
      else if (idle !== null) e.reject(new SimulationIdleError(e.what, idle || undefined));
      else keep.push(e);
    }
    this.list = keep;
  }
}
