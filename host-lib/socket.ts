// host-lib/socket.ts — a Homa socket over one ABI v2 queue pair (homa-protocol.md §2): send a
// request, reply to one, call (send and await the response), receive any shared message or
// one private RPC, iterate incoming requests, abort, info (HOMAIOCINFO), close.
//
// Everything goes through the Device: messages staged in the queue pair's send region,
// descriptors naming them by offset into the send ring plus a doorbell, completions out of
// the completion ring, bpage offsets into the return ring. The NIC's completion cookie
// carries a per-socket handle for each request, so responses, errors and the ACCEPTED id find
// their RPC whatever order they come in; the application's own cookie stays in host memory
// and is handed back with the response.
//
// Staged bytes stay put while the engine may read them (outgoing.ts): a request's until its
// RPC ends, a reply's until its TX_DONE. When the send region is full, senders wait.

import { CompletionType, QpStatus, SendFlag, SendOpcode, v4Mapped } from '../hw/homa/abi.ts';
import type { MemRecord } from '../hw/homa/abi.ts';
import { checkCookie, checkOptions, destinationAddress, messageBytes } from './arguments.ts';
import type { Destination, Payload } from './arguments.ts';
import type { Device } from './device.ts';
import {
  AbortError, DeviceLostError, ERRNO, HomaError, InvalidArgumentError, RpcError, SimulationIdleError, SocketClosedError, errnoName,
} from './errors.ts';
import type { ErrorCode } from './errors.ts';
import { Message, addressText } from './message.ts';
import type { Peer } from './message.ts';
import { Outgoing } from './outgoing.ts';
import type { Staged } from './outgoing.ts';
import type { HostCompletion, HostQueuePair } from './queue-pair.ts';
import { hostRpcs, rpcInfos } from './socket-info.ts';
import type { SocketInfo } from './socket-info.ts';
import { Waiters } from './waiters.ts';
import { CALL_OPTIONS, RECEIVE_OPTIONS, REQUESTS_OPTIONS, SEND_OPTIONS } from './socket-options.ts';
import type { CallOptions, ReceiveOptions, RequestsOptions, SendOptions } from './socket-options.ts';

export type { Destination, Payload } from './arguments.ts';
export type { CallOptions, ReceiveOptions, RequestsOptions, SendOptions } from './socket-options.ts';
export { RpcFlag, type RpcInfo, type RpcState, type SocketInfo } from './socket-info.ts';

export const HOMA_MAX_MESSAGE_LENGTH = 1_000_000;

interface ClientRpc {
  handle: number;
  id: bigint;
  cookie: bigint;
  private: boolean;
  peer: Peer;
  tx: Staged;
  /** The NIC refused the descriptor (an ERROR before any ACCEPTED). */
  rejected?: RpcError;
}

/** A request being served. Server ids are unique per client host only (§1.2), so the key is (peer address, id). */
interface ServerRpc { id: bigint; peer: Peer; addr: Uint8Array; replied: boolean }

const serverKey = (address: string, id: bigint): string => `${address}/${id}`;

type Outcome = Message | RpcError;

export class HomaSocket {
  readonly device: Device;
  readonly port: number;
  private serverOn: boolean;
  private readonly qp: HostQueuePair;
  private readonly onClose: () => void;
  private readonly maxLength: number;
  private nextHandle = 1;
  private readonly byHandle = new Map<number, ClientRpc>();
  private readonly byId = new Map<bigint, ClientRpc>();
  private readonly serverRpcs = new Map<string, ServerRpc>();
  /** Shared messages and errors in arrival order (§2.2). */
  private readonly inbox: Outcome[] = [];
  /** Finished private RPCs, taken only by receive({ id }). */
  private readonly privateDone = new Map<bigint, Outcome>();
  /** Outgoing messages in the queue pair's send region, while the NIC may read them. */
  private readonly outgoing: Outgoing;
  private sqPosted = 0;
  private readonly returns: number[] = [];
  private held = 0;
  private lastError = '';
  private lastStatus = QpStatus.ACTIVE as number;
  private closed = false;
  /** Calls blocked on this socket (close() ends them with ESHUTDOWN). */
  private readonly waiters: Waiters;

  /** @internal Made by HomaDevice.socket(). */
  constructor(device: Device, qp: HostQueuePair, port: number, server: boolean, maxLength: number, onClose: () => void) {
    this.device = device;
    this.qp = qp;
    this.port = port;
    this.serverOn = server;
    this.maxLength = Math.min(maxLength || HOMA_MAX_MESSAGE_LENGTH, HOMA_MAX_MESSAGE_LENGTH);
    this.onClose = onClose;
    this.waiters = new Waiters(device, () => this.service());
    this.outgoing = new Outgoing(qp.send.bytes, (what, ready) => this.waitUntil(what, ready));
  }

  get server(): boolean { return this.serverOn; }
  get isClosed(): boolean { return this.closed; }

  /** SO_HOMA_SERVER: accept incoming requests (or stop accepting them). */
  setServer(on: boolean): void {
    this.checkOpen('setServer');
    this.qp.setServer(on);
    this.serverOn = on;
  }

  /** Send a request (§2.2 sendmsg with id 0); resolves to its RPC id once the NIC accepted it. */
  async send(dest: Destination, payload: Payload, opt: SendOptions = {}): Promise<bigint> {
    this.checked(() => checkOptions('send', opt, SEND_OPTIONS));
    const rpc = await this.startRequest('send', dest, payload, opt);
    return rpc.id;
  }

  /**
   * Send a request and await its response (a private RPC, §2.1). Failures throw RpcError; an
   * aborted `signal` throws AbortError and aborts the RPC (HOMAIOCABORT, silently).
   */
  async call(dest: Destination, payload: Payload, opt: CallOptions = {}): Promise<Message> {
    this.checked(() => checkOptions('call', opt, CALL_OPTIONS));
    const signal = opt.signal;
    if (signal?.aborted) throw new AbortError('call', signal.reason);
    const rpc = await this.startRequest('call', dest, payload, { cookie: opt.cookie ?? 0n, private: true });
    try {
      return unwrap(await this.waitUntil(`call(${rpc.id})`, () => this.take(rpc.id), undefined, signal));
    } catch (e) {
      if (e instanceof AbortError && this.byId.get(rpc.id) === rpc) await this.discard(rpc);
      throw e;
    }
  }

  /** Reply to a request this socket received (§2.2). The request needn't be released first. */
  async reply(request: Message, payload: Payload): Promise<void> {
    this.checkOpen('reply');
    const rpc = this.serverRpcs.get(serverKey(request.peer.address, request.id));
    if (request.kind !== 'request' || !rpc || rpc.peer.port !== request.peer.port) {
      this.fail(new InvalidArgumentError('request', `message ${request.id} is not a request received on port ${this.port}`));
    }
    if (rpc.replied) this.fail(new InvalidArgumentError('request', `request ${request.id} was already answered (each request gets one reply, spec §2.2)`));
    const bytes = this.checked(() => messageBytes(payload, this.maxLength));
    rpc.replied = true;
    const tx = this.outgoing.stageNow(bytes) ?? await this.outgoing.stage('reply', bytes);
    this.outgoing.replySent(request.id, request.peer.address, tx);
    // The client's address and port go with the id: server ids are unique per client only.
    await this.post('reply', {
      opcode: SendOpcode.REPLY, flags: SendFlag.NOTIFY_TX_DONE, id: request.id, send_offset: tx.offset, length: bytes.length,
      peer_addr: v4Mapped(rpc.addr), dport: rpc.peer.port,
    });
    this.serverRpcs.delete(serverKey(request.peer.address, request.id));
  }

  /**
   * The next shared message (a request, or the response to a non-private request), or with
   * `id` that private RPC's response. A failed RPC throws RpcError carrying its id and cookie.
   */
  async receive(opt: ReceiveOptions = {}): Promise<Message> {
    this.checked(() => checkOptions('receive', opt, RECEIVE_OPTIONS));
    const id = opt.id;
    const deadline = opt.timeoutNs === undefined ? undefined : this.device.now() + opt.timeoutNs;
    if (id !== undefined) {
      const rpc = this.byId.get(id);
      if (!this.privateDone.has(id) && (!rpc || !rpc.private)) {
        this.fail(new InvalidArgumentError('id', `${id} is not a private RPC of this socket awaiting its response (receive() without id takes shared messages)`));
      }
      return unwrap(await this.waitUntil(`receive(${id})`, () => this.take(id), deadline, opt.signal));
    }
    return unwrap(await this.waitUntil('receive()', () => this.inbox.shift(), deadline, opt.signal));
  }

  /**
   * Incoming requests, in arrival order; ends when the socket closes, its host crashes, the
   * `signal` aborts (or a simulation goes idle).
   */
  async *requests(opt: RequestsOptions = {}): AsyncGenerator<Message, void, undefined> {
    this.checked(() => checkOptions('requests', opt, REQUESTS_OPTIONS));
    for (;;) {
      let msg: Message;
      try {
        msg = await this.waitUntil('requests()', () => this.nextRequest(), undefined, opt.signal);
      } catch (e) {
        if (e instanceof SocketClosedError || e instanceof SimulationIdleError || e instanceof AbortError || e instanceof DeviceLostError) return;
        throw e;
      }
      yield msg;
    }
  }

  /**
   * HOMAIOCABORT (§2.1): end client RPC `id` (every client RPC of the socket when omitted or
   * 0n). With `error` the RPC completes with that errno (as RpcError); without, it is
   * discarded silently, and a receive({ id }) waiting on it fails with ECANCELED. An id that
   * names no RPC in progress (one already finished, say) is left alone, as homa.7 says.
   * Nobody has to await it: a failure (a closed socket, an unknown errno) rejects only the
   * promise, never the process.
   */
  abort(id = 0n, error?: ErrorCode | number): Promise<void> {
    const p = this.abortNow(id, error);
    p.catch(() => undefined);
    return p;
  }

  private async abortNow(id: bigint, error: ErrorCode | number | undefined): Promise<void> {
    this.checkOpen('abort');
    const errno = error === undefined ? 0 : typeof error === 'number' ? error : ERRNO[error];
    if (errno === undefined || !Number.isInteger(errno) || errno < 0) this.fail(new InvalidArgumentError('error', `unknown errno ${String(error)}`));
    if (typeof id !== 'bigint') this.fail(new InvalidArgumentError('id', `must be a bigint RPC id, got ${String(id)}`));
    if (id !== 0n && !this.byId.has(id)) return;
    await this.post('abort', { opcode: SendOpcode.ABORT, id, error: errno });
    if (errno !== 0) return;
    // Every client RPC includes requests whose send() is still waiting for the NIC's id.
    const victims = id === 0n ? [...this.byHandle.values()] : [this.byId.get(id)].filter((r) => r !== undefined);
    for (const rpc of victims) {
      this.forget(rpc, false);
      const cancelled = new RpcError(ERRNO.ECANCELED, rpc.id, rpc.cookie);
      if (rpc.id === 0n) rpc.rejected = cancelled;
      else if (rpc.private) this.privateDone.set(rpc.id, cancelled);
    }
  }

  /** A call() given up by its AbortSignal: the RPC is aborted silently and nobody waits for it. */
  private async discard(rpc: ClientRpc): Promise<void> {
    try {
      await this.post('abort', { opcode: SendOpcode.ABORT, id: rpc.id, error: 0 });
    } catch {
      return;                                       // closed meanwhile: nothing left to abort
    }
    // Its bytes go back once the NIC has taken the ABORT (the position just posted); a
    // response that came in meanwhile is nobody's: its bpages go straight back.
    if (this.byId.get(rpc.id) === rpc) this.forget(rpc, false);
    const late = this.take(rpc.id);
    if (late instanceof Message) late.release();
  }

  /** HOMAIOCINFO (§2.1), from what the NIC reports and what the socket knows. */
  info(): SocketInfo {
    this.checkOpen('info');
    this.service();
    const host = hostRpcs(
      [...this.byId.values()].map((r) => ({ id: r.id, peer: r.peer, cookie: r.cookie, private: r.private, txLength: r.tx.length })),
      this.inbox.filter((o): o is Message => o instanceof Message), this.privateDone, this.serverRpcs.values(),
    );
    const nic = this.device.rpcInfo?.(this.qp.index) ?? null;
    const rpcs = rpcInfos(host, nic);
    return {
      port: this.port, server: this.serverOn, bpoolAvailBytes: this.qp.availBytes(), sendBytesInUse: this.outgoing.usedBytes,
      numRpcs: rpcs.length, heldMessages: this.held, pendingReturns: this.returns.length, errorMessage: this.lastError,
      nicDetail: nic !== null, rpcs,
    };
  }

  /**
   * Close: the NIC forgets the queue pair (its port at once), pending calls fail with
   * ESHUTDOWN. The queue pair's memory goes back once the engine reports it inactive.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.qp.disable();
    this.byHandle.clear();
    this.byId.clear();
    this.outgoing.clear();
    this.waiters.close();
    this.onClose();
  }

  // ---- internals ----

  private async startRequest(what: string, dest: Destination, payload: Payload, opt: SendOptions): Promise<ClientRpc> {
    this.checkOpen(what);
    const cookie = opt.cookie ?? 0n;
    const [addr, bytes] = this.checked(() => {
      checkCookie(cookie);
      return [destinationAddress(dest, this.device.address), messageBytes(payload, this.maxLength)] as const;
    });
    const tx = this.outgoing.stageNow(bytes) ?? await this.outgoing.stage(what, bytes);
    const handle = this.nextHandle++;
    const rpc: ClientRpc = { handle, id: 0n, cookie, private: opt.private ?? false, peer: { address: addressText(addr), port: dest.port }, tx };
    this.byHandle.set(handle, rpc);
    const flags = SendFlag.NOTIFY_ID;      // private is host-side: every completion comes through the one ring
    await this.post(what, { opcode: SendOpcode.REQUEST, flags, dport: dest.port, length: bytes.length, cookie: BigInt(handle), send_offset: tx.offset, peer_addr: v4Mapped(addr) });
    await this.waitUntil(`${what}: NIC accepting the request`, () => (rpc.id !== 0n || rpc.rejected ? true : undefined));
    if (rpc.rejected) this.fail(rpc.rejected);
    return rpc;
  }

  /** Post one descriptor, waiting for send-ring space (back-pressure, never loss). */
  private async post(what: string, desc: Partial<MemRecord>): Promise<void> {
    // Re-check after every wake-up: other callers woken by the same event may have taken the slot.
    for (;;) {
      this.checkOpen(what);
      if (this.qp.sqSpace() > 0) break;
      await this.waitUntil(`${what}: send ring space`, () => (this.qp.sqSpace() > 0 ? true : undefined));
    }
    this.flushReturns();
    this.qp.postSend(desc);
    this.sqPosted++;
  }

  /** Post released bpages, drain completions, release aborted requests the NIC has taken the ABORT of. */
  private service(): void {
    this.flushReturns();
    const status = this.qp.status();
    if (status !== this.lastStatus) {
      if (status & ~this.lastStatus & QpStatus.BPAGE_DOUBLE_FREE) this.lastError = 'the NIC saw a bpage returned twice (spec §4)';
      if (status & ~this.lastStatus & QpStatus.BAD_DESCRIPTOR) this.lastError = 'the NIC rejected a send descriptor';
      this.lastStatus = status;
    }
    for (let c = this.qp.pollCompletion(); c; c = this.qp.pollCompletion()) this.complete(c);
    // Descriptors the NIC has taken from the send ring: an ABORT taken ends its RPCs.
    if (this.outgoing.retiring) this.outgoing.consumed(this.sqPosted - (this.qp.sqEntries - this.qp.sqSpace()));
  }

  private complete(c: HostCompletion): void {
    const { type, id } = c;
    const peer: Peer = { address: addressText(c.peerAddr), port: c.peerPort };
    if (type === CompletionType.REQUEST) {
      this.serverRpcs.set(serverKey(peer.address, id), { id, peer, addr: c.peerAddr, replied: false });
      this.inbox.push(this.message(c, 'request', 0n, peer));
      return;
    }
    // Replies carry no cookie (§2.2): their TX_DONE, or their refusal, names them by id and peer.
    if (c.cookie === 0n && (type === CompletionType.TX_DONE || type === CompletionType.ERROR)) {
      if (this.outgoing.replyDone(id, peer.address) && type === CompletionType.ERROR) this.lastError = `the NIC refused the reply to request ${id} (${errnoName(c.error)})`;
      return;
    }
    const rpc = this.byHandle.get(Number(c.cookie));
    if (type === CompletionType.ACCEPTED) {
      if (rpc) { rpc.id = id; this.byId.set(id, rpc); }
      return;
    }
    if (type === CompletionType.TX_DONE) return;                   // requests are released when their RPC ends
    if (!rpc) {
      // Discarded by a silent abort before the NIC saw the abort: hand the bpages straight back.
      if (type === CompletionType.RESPONSE) this.returns.push(...c.bpageOffsets);
      return;
    }
    this.forget(rpc);
    if (rpc.id === 0n) {
      // Refused descriptors touch nothing: an ERROR (EINVAL) comes before any ACCEPTED.
      rpc.rejected = new RpcError(c.error, 0n, rpc.cookie);
      this.lastError = rpc.rejected.message;
      return;
    }
    const out: Outcome = type === CompletionType.RESPONSE ? this.message(c, 'response', rpc.cookie, peer) : new RpcError(c.error, id, rpc.cookie);
    if (out instanceof RpcError) this.lastError = out.message;
    if (rpc.private) this.privateDone.set(id, out);
    else this.inbox.push(out);
  }

  private message(c: HostCompletion, kind: 'request' | 'response', cookie: bigint, peer: Peer): Message {
    this.held++;
    return new Message({ id: c.id, cookie, kind, peer, length: c.length, bpageOffsets: c.bpageOffsets }, this.qp.region.bytes, (o) => {
      this.held--;
      if (this.closed) return;
      // At once, not with the next call: the socket's only caller may be blocked in receive()
      // waiting for a message that needs these very bpages (§4).
      this.returns.push(...o);
      this.flushReturns();
    });
  }

  /**
   * The RPC is over for the host. Its bytes go back now if the engine is done with them (its
   * RPC ended: records.ts TX_DONE), else once the engine has taken the ABORT that ends it.
   */
  private forget(rpc: ClientRpc, nicDone = true): void {
    this.byHandle.delete(rpc.handle);
    this.byId.delete(rpc.id);
    if (nicDone) this.outgoing.release(rpc.tx);
    else this.outgoing.retire(this.sqPosted, rpc.tx);
  }

  private nextRequest(): Message | undefined {
    const i = this.inbox.findIndex((m) => m instanceof Message && m.kind === 'request');
    return i < 0 ? undefined : this.inbox.splice(i, 1)[0] as Message;
  }

  private take(id: bigint): Outcome | undefined {
    const o = this.privateDone.get(id);
    if (o) this.privateDone.delete(id);
    return o;
  }

  private flushReturns(): void {
    if (this.returns.length === 0) return;
    const n = this.qp.postReturns(this.returns);
    this.returns.splice(0, n);
  }

  /** Service the rings until `ready` yields a value, waiting on the device between looks. */
  private waitUntil<T>(what: string, ready: () => T | undefined, deadlineNs?: number, signal?: AbortSignal): Promise<T> {
    this.checkOpen(what);
    return this.waiters.until(what, ready, deadlineNs, signal);
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new SocketClosedError(what);
  }

  /** Run argument checks, remembering a failure as the socket's last error. */
  private checked<T>(f: () => T): T {
    try { return f(); } catch (e) {
      if (e instanceof HomaError) this.lastError = e.message;
      throw e;
    }
  }

  private fail(e: HomaError): never {
    this.lastError = e.message;
    throw e;
  }
}

function unwrap(o: Outcome): Message {
  if (o instanceof RpcError) throw o;
  return o;
}
