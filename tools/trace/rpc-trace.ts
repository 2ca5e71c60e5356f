// tools/trace/rpc-trace.ts — one RPC's packets from a capture, in order, with timing: its
// DATA in each direction, the GRANTs and RESENDs that drove them, BUSY, NEED_ACK, UNKNOWN,
// and the acks (piggybacked on DATA or in ACK packets) that ended it.
//
// An RPC is named by its client's id (even; spec §1.2). Packets carry the sender's id: the
// client's (even) from client to server, the server's (id | 1) back. Ids are unique per
// client host only, so the RPC is (client address, client id); when a capture holds several
// clients using the same id, `client` picks one.

import { HomaType, decodeFrame, formatAddr, type Decoded, type HomaPacket } from '../../hw/homa/wire/index.ts';

export interface CapturedFrame { readonly timeNs: number; readonly data: Uint8Array }

export interface TraceLine {
  readonly timeNs: number;
  /** 'c>s' client to server, 's>c' back. */
  readonly dir: 'c>s' | 's>c';
  readonly type: string;
  /** IP priority level (spec §1.5). */
  readonly priority: number;
  readonly packet: HomaPacket;
  /** Why it belongs: 'rpc' (its sender_id), 'ack' (acks the RPC). */
  readonly via: 'rpc' | 'ack';
}

export interface RpcTrace {
  readonly id: bigint;
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly lines: TraceLine[];
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(HomaType).map(([k, v]) => [v, k]));

/** Client id of the RPC a packet belongs to, its client address and port, and the direction. */
function rpcOf(d: Decoded): { id: bigint; client: string; clientPort: number; server: string; serverPort: number; dir: 'c>s' | 's>c' } {
  const p = d.packet;
  const fromClient = (p.sender_id & 1n) === 0n;
  const src = formatAddr(d.ip.saddr);
  const dst = formatAddr(d.ip.daddr);
  return fromClient
    ? { id: p.sender_id, client: src, clientPort: p.sport, server: dst, serverPort: p.dport, dir: 'c>s' }
    : { id: p.sender_id ^ 1n, client: dst, clientPort: p.dport, server: src, serverPort: p.sport, dir: 's>c' };
}

/** Acks a packet carries (DATA's piggybacked one, ACK's list), for RPCs whose client is the receiver. */
function acksOf(p: HomaPacket): bigint[] {
  if (p.type === HomaType.DATA) return p.ack.client_id !== 0n ? [p.ack.client_id] : [];
  if (p.type === HomaType.ACK) return p.acks.map((a) => a.client_id);
  return [];
}

/** Every RPC (client address and id) in the capture with `id`, for a choice when there are several. */
export function rpcsWithId(frames: readonly CapturedFrame[], id: bigint): string[] {
  const out = new Set<string>();
  for (const f of frames) {
    const d = decodeFrame(f.data, { checksum: false });
    if (!d.ok || (d.packet.sender_id & ~1n) !== id) continue;
    const r = rpcOf(d);
    out.add(`${r.client}:${r.clientPort}`);
  }
  return [...out];
}

/**
 * The packets of RPC `id` (the client's id; an odd server id is accepted and means the same
 * RPC) whose client is `client` ("addr" or "addr:port"); null when none matched.
 */
export function traceRpc(frames: readonly CapturedFrame[], idGiven: bigint, client?: string): RpcTrace | null {
  const id = idGiven & ~1n;
  let rpc: Omit<RpcTrace, 'lines'> | null = null;
  const lines: TraceLine[] = [];
  const matches = (addr: string, port: number): boolean => client === undefined || client === addr || client === `${addr}:${port}`;
  for (const f of frames) {
    const d = decodeFrame(f.data, { checksum: false });
    if (!d.ok) continue;
    const p = d.packet;
    const r = rpcOf(d);
    const line = (dir: 'c>s' | 's>c', via: 'rpc' | 'ack'): TraceLine => ({ timeNs: f.timeNs, dir, type: TYPE_NAMES[p.type]!, priority: d.ip.priority, packet: p, via });
    if (r.id === id && matches(r.client, r.clientPort)) {
      if (rpc && (rpc.client !== r.client || rpc.clientPort !== r.clientPort)) continue;   // another client's RPC with this id
      rpc ??= { id, client: r.client, clientPort: r.clientPort, server: r.server, serverPort: r.serverPort };
      lines.push(line(r.dir, 'rpc'));
    } else if (rpc && acksOf(p).includes(id)) {
      // An ack of this RPC goes from its client to its server (spec §3.6).
      if (formatAddr(d.ip.saddr) === rpc.client && formatAddr(d.ip.daddr) === rpc.server) lines.push(line('c>s', 'ack'));
    }
  }
  return rpc ? { ...rpc, lines } : null;
}

function details(l: TraceLine): string {
  const p = l.packet;
  switch (p.type) {
    case HomaType.DATA:
      return `off=${p.offset} len=${p.payload.length} msg=${p.message_length} incoming=${p.incoming}${p.retransmit ? ' retransmit' : ''}${p.ack.client_id !== 0n ? ` ack=${p.ack.client_id}` : ''}`;
    case HomaType.GRANT: return `off=${p.offset} prio=${p.priority}`;
    case HomaType.RESEND: return `off=${p.offset} len=${p.length === 0xffffffff ? 'all' : p.length} prio=${p.priority}`;
    case HomaType.CUTOFFS: return `version=${p.cutoff_version} cutoffs=${p.unsched_cutoffs.join(',')}`;
    case HomaType.ACK: return `acks=${p.acks.map((a) => a.client_id).join(',')}`;
    default: return '';
  }
}

const us = (ns: number): string => (ns / 1000).toFixed(3);

/** The trace as text: a header, one line per packet (time from the first, gap from the previous), a summary. */
export function formatTrace(t: RpcTrace): string {
  const out: string[] = [];
  const first = t.lines[0]?.timeNs ?? 0;
  const last = t.lines[t.lines.length - 1]?.timeNs ?? 0;
  out.push(`RPC ${t.id}: client ${t.client}:${t.clientPort}, server ${t.server}:${t.serverPort}; ${t.lines.length} packets over ${us(last - first)} us (first at ${us(first)} us in the capture)`);
  out.push('    time us     gap us  dir  prio  type         details');
  let prev = first;
  for (const l of t.lines) {
    out.push(`${us(l.timeNs - first).padStart(11)} ${us(l.timeNs - prev).padStart(10)}  ${l.dir}  ${String(l.priority).padStart(4)}  ${l.type.padEnd(11)}  ${details(l)}${l.via === 'ack' ? ' (acks this RPC)' : ''}`);
    prev = l.timeNs;
  }
  out.push(...summary(t));
  return out.join('\n') + '\n';
}

function summary(t: RpcTrace): string[] {
  const out: string[] = [];
  for (const dir of ['c>s', 's>c'] as const) {
    const data = t.lines.filter((l) => l.dir === dir && l.packet.type === HomaType.DATA && l.via === 'rpc');
    if (data.length === 0) continue;
    const what = dir === 'c>s' ? 'request' : 'response';
    const length = (data[0]!.packet as { message_length: number }).message_length;
    const ranges = data.map((l) => l.packet as { offset: number; payload: Uint8Array });
    const covered = coveredBytes(ranges.map((r) => [r.offset, r.offset + r.payload.length] as [number, number]));
    const retransmits = data.filter((l) => (l.packet as { retransmit: number }).retransmit).length;
    const grants = t.lines.filter((l) => l.packet.type === HomaType.GRANT && l.dir !== dir).length;
    const resends = t.lines.filter((l) => l.packet.type === HomaType.RESEND && l.dir !== dir).length;
    out.push(`${what}: ${length} B, ${covered} B seen in ${data.length} DATA packets (${retransmits} retransmitted), ${grants} GRANTs, ${resends} RESENDs, first to last DATA ${us(data[data.length - 1]!.timeNs - data[0]!.timeNs)} us`);
  }
  const other = new Map<string, number>();
  for (const l of t.lines) if (l.packet.type !== HomaType.DATA && l.packet.type !== HomaType.GRANT && l.packet.type !== HomaType.RESEND) other.set(l.type, (other.get(l.type) ?? 0) + 1);
  if (other.size) out.push(`other: ${[...other].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  return out;
}

/** Bytes of [start, end) ranges covered at least once. */
function coveredBytes(ranges: [number, number][]): number {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -1;
  for (const [s, e] of sorted) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}
