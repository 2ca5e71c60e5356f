// host-lib/socket-info.ts — HOMAIOCINFO (homa-protocol.md §2.1): the socket's numbers and one
// record per RPC with the fields of Linux's homa_rpc_info. What the NIC holds (RPCs still
// receiving, stalled for bpages, sending a reply until it is acknowledged) comes from the
// backend when it can tell (Device.rpcInfo); what only the host knows (a response or request
// complete but not yet returned by receive(), a request being served) comes from the socket.

import type { NicRpcInfo } from './device.ts';
import { Message, addressText } from './message.ts';
import type { Peer } from './message.ts';

/** homa_rpc_info flags (homa.h). */
export const RpcFlag = {
  /** Waiting for bpages of the receive region (§4). */
  BUF_STALL: 1,
  /** A private client RPC (HOMA_SENDMSG_PRIVATE). */
  PRIVATE: 2,
  /** The incoming message is complete and waits for receive(). */
  RX_READY: 4,
  /** Bytes are being copied to the host (never set here: the NIC writes bpages directly). */
  RX_COPY: 8,
} as const;

/**
 * Where an RPC is: `outgoing` (its message is being sent: a client's request, or a server's
 * reply until the client acknowledges it), `incoming` (its message is awaited or arriving),
 * `ready` (the message is complete and waits for receive()/requests()), `in-service` (a
 * request the application has, not yet replied to).
 */
export type RpcState = 'outgoing' | 'incoming' | 'ready' | 'in-service';

/** One RPC of HOMAIOCINFO (homa_rpc_info, §2.1). */
export interface RpcInfo {
  readonly id: bigint;
  readonly role: 'client' | 'server';
  readonly peer: Peer;
  /** The completion cookie given to send() (client RPCs; 0n for server RPCs). */
  readonly cookie: bigint;
  readonly private: boolean;
  readonly state: RpcState;
  /** Outgoing message length (-1: none yet, e.g. a request not yet answered), bytes sent, bytes granted. */
  readonly txLength: number;
  readonly txSent: number;
  readonly txGranted: number;
  /** Incoming message length (-1: not known yet), bytes not yet received, gaps and their bytes, bytes granted. */
  readonly rxLength: number;
  readonly rxRemaining: number;
  readonly rxGaps: number;
  readonly rxGapBytes: number;
  readonly rxGranted: number;
  /** RpcFlag bits. */
  readonly flags: number;
}

/** HOMAIOCINFO (§2.1). */
export interface SocketInfo {
  readonly port: number;
  readonly server: boolean;
  /** Free receive-region bytes as the NIC reports them (bpool_avail_bytes). */
  readonly bpoolAvailBytes: number;
  /** Send-region bytes holding messages the NIC may still read. */
  readonly sendBytesInUse: number;
  readonly numRpcs: number;
  /** Messages the application holds (not yet released) and their bpage pieces. */
  readonly heldMessages: number;
  /** Bpage offsets released but not yet posted to the NIC (a full return ring). */
  readonly pendingReturns: number;
  /** Text of the socket's last error ('' if none). */
  readonly errorMessage: string;
  /** Whether per-RPC transfer fields come from the NIC (false: the backend cannot tell; they read -1 / 0). */
  readonly nicDetail: boolean;
  readonly rpcs: readonly RpcInfo[];
}

/** What the socket knows of one of its RPCs. */
export interface HostRpc {
  id: bigint;
  role: 'client' | 'server';
  peer: Peer;
  cookie: bigint;
  private: boolean;
  /** The host's view: the NIC has it (sent / being received), or its message waits for receive(), or the application serves it. */
  where: 'nic' | 'ready' | 'in-service';
  /** Length of the message that is ready (where 'ready'). */
  readyLength?: number;
  /** Length of the outgoing message, if the host staged one. */
  txLength?: number;
}

/**
 * The socket's own view of its RPCs: client RPCs in progress, responses and requests that
 * wait for receive() (RX_READY), and requests the application is serving.
 */
export function hostRpcs(
  clients: readonly { id: bigint; peer: Peer; cookie: bigint; private: boolean; txLength: number }[],
  inbox: readonly Message[], privateDone: ReadonlyMap<bigint, unknown>, served: Iterable<{ id: bigint; peer: Peer }>,
): HostRpc[] {
  const out: HostRpc[] = clients.map((r) => ({ ...r, role: 'client', where: 'nic' }));
  for (const m of inbox) {
    if (m.kind === 'response') out.push({ id: m.id, role: 'client', peer: m.peer, cookie: m.cookie, private: false, where: 'ready', readyLength: m.length });
  }
  for (const [id, o] of privateDone) {
    if (o instanceof Message) out.push({ id, role: 'client', peer: o.peer, cookie: o.cookie, private: true, where: 'ready', readyLength: o.length });
  }
  for (const r of served) {
    const waiting = inbox.find((m) => m.kind === 'request' && m.id === r.id && m.peer.address === r.peer.address);
    out.push({ id: r.id, role: 'server', peer: r.peer, cookie: 0n, private: false, where: waiting ? 'ready' : 'in-service', readyLength: waiting?.length });
  }
  return out;
}

const key = (role: string, address: string, id: bigint): string => `${role}/${address}/${id}`;

/**
 * One record per RPC: the host's, completed with the NIC's fields where the NIC holds it, plus
 * the NIC's RPCs the host has not heard of yet (requests still arriving or stalled for bpages,
 * replies awaiting their acknowledgement).
 */
export function rpcInfos(host: readonly HostRpc[], nic: readonly NicRpcInfo[] | null): RpcInfo[] {
  const fromNic = new Map<string, NicRpcInfo>();
  for (const n of nic ?? []) fromNic.set(key(n.client ? 'client' : 'server', addressText(n.peerAddr), n.id), n);
  const out: RpcInfo[] = [];
  for (const h of host) {
    const k = key(h.role, h.peer.address, h.id);
    const n = fromNic.get(k);
    fromNic.delete(k);
    out.push(record(h, n));
  }
  for (const n of fromNic.values()) {
    const peer = { address: addressText(n.peerAddr), port: n.peerPort };
    out.push(record({ id: n.id, role: n.client ? 'client' : 'server', peer, cookie: 0n, private: false, where: 'nic' }, n));
  }
  return out;
}

function record(h: HostRpc, n: NicRpcInfo | undefined): RpcInfo {
  let flags = h.private ? RpcFlag.PRIVATE : 0;
  if (n?.bufStall) flags |= RpcFlag.BUF_STALL;
  const ready = h.where === 'ready';
  if (ready) flags |= RpcFlag.RX_READY;
  const state: RpcState = ready ? 'ready'
    : h.where === 'in-service' ? (n?.state === 'outgoing' ? 'outgoing' : 'in-service')
      : n ? (n.state === 'in-service' ? 'in-service' : n.state) : h.role === 'client' ? 'outgoing' : 'in-service';
  return {
    id: h.id, role: h.role, peer: h.peer, cookie: h.cookie, private: h.private, state,
    txLength: n ? n.txLength : h.txLength ?? -1, txSent: n?.txSent ?? 0, txGranted: n?.txGranted ?? 0,
    rxLength: ready ? h.readyLength ?? -1 : n?.rxLength ?? -1, rxRemaining: ready ? 0 : n?.rxRemaining ?? 0,
    rxGaps: n?.rxGaps ?? 0, rxGapBytes: n?.rxGapBytes ?? 0, rxGranted: ready ? h.readyLength ?? 0 : n?.rxGranted ?? 0, flags,
  };
}
