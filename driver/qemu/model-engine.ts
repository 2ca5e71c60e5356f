// driver/qemu/model-engine.ts — the reference model NIC (sim/model) as the engine behind a
// DeviceServer, joined by the model's direct wire to a second model NIC on which a host-side
// server answers requests. Model time follows the wall clock, so the protocol's timers mean
// what they say while the guest, slowed by TCG, takes its time.

import { v4Mapped } from '../../hw/homa/abi.ts';
import { DirectWire } from '../../sim/model/harness.ts';
import { ModelNic } from '../../sim/model/nic.ts';
import type { QueuePair } from '../../sim/model/queue-pair.ts';
import { CompletionType } from '../../sim/model/types.ts';
import type { Completion } from '../../sim/model/types.ts';
import type { Engine, EngineCompletion, EngineQueuePair, ReplyRequest, SendRequest } from './device.ts';

export const GUEST_NIC_ADDR = new Uint8Array([10, 0, 0, 1]);
export const SERVER_NIC_ADDR = new Uint8Array([10, 0, 0, 2]);
export const SERVER_PORT = 99;

/** What the test server sends back for a request: every byte XOR 0xa5 (guest/hnic.c resp_byte). */
export function echoResponse(request: Uint8Array): Uint8Array {
  const out = new Uint8Array(request.length);
  for (let i = 0; i < request.length; i++) out[i] = request[i]! ^ 0xa5;
  return out;
}

function fromAbiAddress(a: Uint8Array): Uint8Array {
  const mapped = a.length === 16 && a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;
  return mapped ? a.slice(12) : a;
}

class ModelQueuePair implements EngineQueuePair {
  private readonly done: EngineCompletion[] = [];
  constructor(private readonly qp: QueuePair) {
    qp.onCompletion = (c) => this.done.push(this.convert(c));
  }
  private convert(c: Completion): EngineCompletion {
    const hasBytes = c.type === CompletionType.REQUEST || c.type === CompletionType.RESPONSE;
    return {
      type: c.type, id: c.id, cookie: c.cookie, peer: v4Mapped(c.peer), peerPort: c.peerPort, length: c.length,
      error: c.error, bpageOffsets: c.bpageOffsets, bytes: hasBytes ? this.qp.messageBytes(c) : null,
    };
  }
  request(r: SendRequest): void {
    this.qp.sendRequest({
      peer: fromAbiAddress(r.peer), dport: r.dport, payload: r.payload, cookie: r.cookie, private: r.private, notifyId: r.notifyId,
      notifyTxDone: r.notifyTxDone,
    });
  }
  reply(r: ReplyRequest): void {
    const peer = r.peer.some((b) => b !== 0) ? { peer: fromAbiAddress(r.peer) } : {};
    this.qp.sendReply({ id: r.id, payload: r.payload, dport: r.dport, notifyTxDone: r.notifyTxDone, ...peer });
  }
  abort(id: number, error: number): void { this.qp.abort(id, error); }
  setServer(on: boolean): void { this.qp.setServer(on); }
  returnBpages(offsets: number[]): boolean { return this.qp.returnBpages(offsets); }
  availBytes(): number { return this.qp.pool.availBytes; }
  take(): EngineCompletion[] {
    for (const [, c] of this.qp.privateCompletions) this.done.push(this.convert(c));
    this.qp.privateCompletions.clear();
    return this.done.splice(0);
  }
  close(): void { this.qp.close(); }
}

export interface ModelPairStats { requestsServed: number; bytesServed: number }

/** A guest-facing model NIC wired to a server NIC whose port SERVER_PORT echoes (XOR 0xa5). */
export class ModelPairEngine implements Engine {
  readonly family = GUEST_NIC_ADDR.length;
  readonly guestNic = new ModelNic({ address: GUEST_NIC_ADDR });
  readonly serverNic = new ModelNic({ address: SERVER_NIC_ADDR });
  readonly wire = new DirectWire(this.guestNic, this.serverNic);
  readonly stats: ModelPairStats = { requestsServed: 0, bytesServed: 0 };
  private readonly t0 = performance.now();

  constructor() {
    const server = this.serverNic.openQueuePair({ port: SERVER_PORT, server: true, bpages: 64 });
    server.onCompletion = (c) => {
      if (c.type !== CompletionType.REQUEST) return;
      const bytes = server.messageBytes(c);
      server.returnBpages(c.bpageOffsets);
      server.sendReply({ id: c.id, peer: c.peer, payload: echoResponse(bytes) });
      this.stats.requestsServed++;
      this.stats.bytesServed += bytes.length;
    };
  }

  open(port: number, server: boolean, regionBpages: number): EngineQueuePair | string {
    try {
      return new ModelQueuePair(this.guestNic.openQueuePair({ port, server, bpages: regionBpages }));
    } catch (e) {
      return (e as Error).message;
    }
  }

  advance(): void {
    const nowPs = Math.round((performance.now() - this.t0) * 1e9);
    this.wire.q.run(Math.max(nowPs, this.wire.q.now));
  }

  counters(): Record<string, number> { return this.guestNic.counters; }
}
