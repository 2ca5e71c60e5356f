// sim/experiments/homa-stack.ts — the Homa reference model NIC (sim/model) as an experiment
// stack. Each host is a ModelNic with one server queue pair; every message is a Homa RPC.
//
// One-way messages (the paper's traffic): Homa only has RPCs, so a one-way message is sent as
// a request and counts as delivered when the server's REQUEST completion appears. The RPC's
// state is then dropped at both ends out of band, without the response, NEED_ACK or ACK
// packets a real RPC would send: the wire carries the message's DATA and GRANTs only, as in
// the paper's simulator. In RPC mode the server answers with a real response.
// Peers start with each other's CUTOFFS, as in a cluster that has exchanged them.
//
// Where the sender sits (HomaStackOptions.sender):
//  - 'nic' (stack homa): the model as it is, NIC-resident SRPT. The link pulls a frame only
//    when it is idle, so the transmit scheduler picks the best packet at the last moment.
//  - 'software' (stack homa-sw): HomaModule's sender in Linux. Host software takes packets
//    from the same scheduler as soon as it has them and pushes them into the NIC's transmit
//    queue, a FIFO the link drains; it stops only where HomaModule's pacer stops it (§3.4):
//    new DATA of a message with more than defer_min_bytes left waits while the estimated NIC
//    backlog exceeds max_nic_est_backlog_usecs (5 us) of link time, and the pacer then picks
//    among the waiting messages by SRPT. Control packets and short messages are never held
//    back, so they queue behind whatever DATA is already in the NIC (up to ~5 us of it):
//    the head-of-line wait a NIC-resident sender avoids. Each packet costs the host
//    `softwarePacketPs` of CPU before it reaches the NIC queue (one core per host sends).

import { hostAddress, hostIndexOfAddress, wireBytes, type HostAddress } from '../net/frame.ts';
import type { Endpoint, EndpointPort } from '../net/endpoint.ts';
import { ModelNic } from '../model/nic.ts';
import { releaseFrame } from '../model/packet-cache.ts';
import type { QueuePair } from '../model/queue-pair.ts';
import { CompletionType, type Completion } from '../model/types.ts';
import type { HomaTuning } from './homa-config.ts';
import type { MessageRole, Stack, StackEvents, StackHost, StackInstance } from './stack.ts';

const SERVER_PORT = 100;
const CLIENT_PORT = 101;
/** Receive region: room for many 1 MB messages in flight (no payload is copied). */
const REGION_BPAGES = 16 * 1024;
const IP_HEADER = 20;
const DATA_HEADER = 56;
const GRANT_FRAME = 14 + IP_HEADER + 33;
const HOMA_DATA = 0x10;

export interface HomaStackOptions {
  readonly name: string;
  readonly description: string;
  readonly tuning: HomaTuning;
  /** Where the transmit scheduler runs (see the header): the NIC (default) or host software. */
  readonly sender?: 'nic' | 'software';
  /** Software sender: host CPU time per packet before it reaches the NIC queue, ps. */
  readonly softwarePacketPs?: number;
}

export function homaStack(options: HomaStackOptions): Stack {
  const t = options.tuning;
  const mtuPayload = 1500 - IP_HEADER - DATA_HEADER;
  return {
    name: options.name,
    maxMessageBytes: 1_000_000,
    reportsMessageStart: true,
    instantiate: (hostCount) => new HomaNetwork(hostCount, t, options.sender === 'software' ? options.softwarePacketPs ?? 0 : -1),
    wireBytesPerMessage: (length) => {
      // DATA packets (a boundary at the unscheduled limit) plus about one GRANT per
      // scheduled packet.
      const unsched = Math.min(length, t.unsched_bytes);
      const packets = (n: number): number[] => {
        const out: number[] = [];
        for (let left = n; left > 0; left -= mtuPayload) out.push(Math.min(left, mtuPayload));
        return out;
      };
      const data = [...packets(unsched), ...packets(length - unsched)];
      const grants = packets(length - unsched).length;
      return data.reduce((s, p) => s + wireBytes(14 + IP_HEADER + DATA_HEADER + p), 0) + grants * wireBytes(GRANT_FRAME);
    },
  };
}

/** Shared by the hosts of one network: maps Homa RPCs to experiment message ids. */
class HomaNetwork implements StackInstance {
  readonly hosts: HomaHost[] = [];
  /** (client host, client RPC id) -> request message id. */
  readonly requestIds = new Map<number, number>();
  /** (client host, client RPC id) -> response message id. */
  readonly responseIds = new Map<number, number>();
  /** request message id -> [server host, server RPC id, client host, client RPC id]. */
  readonly serverSide = new Map<number, [number, number, number, number]>();

  constructor(
    readonly hostCount: number,
    readonly tuning: HomaTuning,
    /** >= 0: software sender with this CPU time per packet (ps); -1: NIC-resident sender. */
    readonly softwarePacketPs: number,
  ) {}

  key(host: number, clientId: number): number {
    return clientId * 65536 + host;
  }

  createHost(address: HostAddress, events: StackEvents): StackHost {
    const h = new HomaHost(this, address, events);
    this.hosts[address.index] = h;
    return h;
  }
}

class HomaHost implements StackHost, Endpoint {
  readonly endpoint: Endpoint = this;
  readonly nic: ModelNic;
  private readonly server: QueuePair;
  private readonly client: QueuePair;
  private readonly oneWay = new Set<number>();
  /** Messages whose first packet has arrived here, by sender key. */
  private readonly started = new Set<number>();
  /** Software sender (stack homa-sw): the NIC's transmit FIFO between host and link. */
  private readonly sw: SoftwareSender | null;

  constructor(
    private readonly net: HomaNetwork,
    private readonly address: HostAddress,
    private readonly events: StackEvents,
  ) {
    this.nic = new ModelNic({ ...net.tuning, unsched_cutoffs: [...net.tuning.unsched_cutoffs], address: address.ipv4, copyPayload: false, checksums: false });
    this.server = this.nic.openQueuePair({ port: SERVER_PORT, server: true, bpages: REGION_BPAGES });
    this.client = this.nic.openQueuePair({ port: CLIENT_PORT, bpages: REGION_BPAGES });
    // Give every host its own range of client RPC ids (2 + index * 2^36, step 2), as writing
    // the ABI's next_id tunable would: the model's reply path finds a server RPC by id alone
    // (ReplyArgs has no peer), which is ambiguous when two clients use the same id.
    (this.nic as unknown as { nextId: number }).nextId = 2 + address.index * 2 ** 36;
    this.server.onCompletion = (c) => this.serverCompletion(c);
    this.client.onCompletion = (c) => this.clientCompletion(c);
    this.sw = net.softwarePacketPs >= 0 ? new SoftwareSender(this.nic, net.softwarePacketPs) : null;
    // Every host runs the same configuration: start with the receivers' cutoffs in place.
    for (let h = 0; h < net.hostCount; h++) {
      if (h === address.index) continue;
      const peer = this.nic.peerFor(hostAddress(h).ipv4);
      for (let i = 0; i < 8; i++) peer.cutoffs[i] = this.nic.cutoffs[i]!;
      peer.cutoffVersion = this.nic.cfg.cutoff_version;
    }
  }

  attach(port: EndpointPort): void {
    if (this.sw) this.sw.attach(port);
    else this.nic.attach(port);
  }

  pull(): Uint8Array | null {
    return this.sw ? this.sw.pull() : this.nic.pull();
  }

  receive(frame: Uint8Array): void {
    // First DATA packet of a message: the receiver now knows of it (wasted-bandwidth metric).
    if (frame.length > 14 + IP_HEADER + 28 && frame[14 + IP_HEADER + 11] === HOMA_DATA) {
      const src = ((frame[28]! << 8) | frame[29]!) - 1;
      const sid = read48(frame, 14 + IP_HEADER + 20);
      const isRequest = sid % 2 === 0;
      const key = isRequest ? this.net.key(src, sid) : this.net.key(this.address.index, sid - 1);
      if (!this.started.has(key)) {
        const id = (isRequest ? this.net.requestIds : this.net.responseIds).get(key);
        if (id !== undefined) {
          this.started.add(key);
          this.events.messageStarted?.(id);
        }
      }
    }
    this.nic.receive(frame);
    // Nothing holds the frame now (this network's taps copy, a duplicated frame is a copy):
    // its sender may encode into it again.
    releaseFrame(frame);
  }

  sendMessage(messageId: number, dstHost: number, length: number, role: MessageRole): void {
    if (role.kind === 'response') {
      const s = this.net.serverSide.get(role.requestId);
      if (!s) throw new Error(`response ${messageId}: request ${role.requestId} is unknown at host ${this.address.index}`);
      this.net.serverSide.delete(role.requestId);
      this.net.responseIds.set(this.net.key(s[2], s[3]), messageId);
      this.server.sendReply({ id: s[1], length });
      return;
    }
    const clientId = this.client.sendRequest({ peer: hostAddress(dstHost).ipv4, dport: SERVER_PORT, length, cookie: messageId });
    this.net.requestIds.set(this.net.key(this.address.index, clientId), messageId);
    if (role.kind === 'oneway') this.oneWay.add(clientId);
  }

  private serverCompletion(c: Completion): void {
    if (c.type !== CompletionType.REQUEST) return;
    this.server.returnBpages(c.bpageOffsets);
    const clientHost = hostIndexOfAddress(c.peer);
    const clientId = c.id - 1;
    const key = this.net.key(clientHost, clientId);
    const messageId = this.net.requestIds.get(key);
    if (messageId === undefined) return;
    this.net.requestIds.delete(key);
    this.started.delete(key);
    const client = this.net.hosts[clientHost]!;
    if (client.oneWay.delete(clientId)) {
      // One-way: end the RPC at both ends without a response (see the header comment).
      const rpc = this.nic.peerFor(c.peer).serverRpcs.get(c.id);
      if (rpc) this.nic.freeRpc(rpc);
      client.client.abort(clientId, 0);
    } else {
      this.net.serverSide.set(messageId, [this.address.index, c.id, clientHost, clientId]);
    }
    this.events.messageDelivered(messageId);
  }

  private clientCompletion(c: Completion): void {
    if (c.type !== CompletionType.RESPONSE) return;
    this.client.returnBpages(c.bpageOffsets);
    const key = this.net.key(this.address.index, c.id);
    const messageId = this.net.responseIds.get(key);
    if (messageId === undefined) return;
    this.net.responseIds.delete(key);
    this.started.delete(key);
    this.events.messageDelivered(messageId);
  }
}

/**
 * HomaModule's transmit path in host software (see the header): takes every packet the
 * model's scheduler will give (its pacer holds back long messages' DATA beyond ~5 us of
 * estimated backlog) and queues it, in order, in the NIC's transmit FIFO.
 */
export class SoftwareSender {
  private port!: EndpointPort;
  private readonly fifo: (Uint8Array | null)[] = [];
  private head = 0;
  /** A software pass is scheduled or running. */
  private running = false;
  /** Bytes in the NIC queue (for inspection). */
  queuedBytes = 0;
  peakQueuedBytes = 0;
  private readonly step = (): void => this.pass();

  constructor(
    private readonly nic: ModelNic,
    private readonly packetPs: number,
  ) {}

  attach(port: EndpointPort): void {
    this.port = port;
    // The NIC's wake() (new message, grant, pacer timer) starts a software pass, not the link.
    this.nic.attach({
      now: () => port.now(),
      at: (t, fn) => port.at(t, fn),
      cancel: (h) => port.cancel(h),
      wake: () => this.wake(),
      linkBitsPerSecond: port.linkBitsPerSecond,
    });
  }

  private wake(): void {
    if (this.running) return;
    this.running = true;
    this.port.at(this.port.now(), this.step);
  }

  /** One software pass: move packets into the NIC queue, packetPs of CPU each. */
  private pass(): void {
    for (;;) {
      const f = this.nic.pull();
      if (f === null) { this.running = false; return; }
      if (this.packetPs > 0) {
        this.port.at(this.port.now() + this.packetPs, () => { this.enqueue(f); this.pass(); });
        return;
      }
      this.enqueue(f);
    }
  }

  private enqueue(f: Uint8Array): void {
    this.fifo.push(f);
    this.queuedBytes += f.length;
    if (this.queuedBytes > this.peakQueuedBytes) this.peakQueuedBytes = this.queuedBytes;
    this.port.wake();
  }

  pull(): Uint8Array | null {
    if (this.head >= this.fifo.length) return null;
    const f = this.fifo[this.head]!;
    this.fifo[this.head++] = null;
    if (this.head > 1024 && this.head * 2 > this.fifo.length) { this.fifo.splice(0, this.head); this.head = 0; }
    this.queuedBytes -= f.length;
    return f;
  }
}

function read48(b: Uint8Array, at: number): number {
  // Ids are < 2^48 in any run here; the top 2 bytes of the 8-byte field are zero.
  let v = 0;
  for (let i = 2; i < 8; i++) v = v * 256 + b[at + i]!;
  return v;
}
