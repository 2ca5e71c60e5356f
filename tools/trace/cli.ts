// tools/trace/cli.ts — `homa-nic trace <pcap> --id <rpc>`: one RPC's packets from a capture
// (rpc-trace.ts), in order, with timing.

import { existsSync } from 'node:fs';
import { HomaType, decodeFrame } from '../../hw/homa/wire/index.ts';
import { readPcap } from '../../sim/net/pcap.ts';
import { formatTrace, rpcsWithId, traceRpc, type CapturedFrame } from './rpc-trace.ts';
import { UsageError } from '../../sim/experiments/cli-args.ts';

export const TRACE_HELP = `homa-nic trace — one RPC's packets from a capture, in order, with timing

Usage: homa-nic trace <capture.pcap> --id <rpc> [--client ADDR[:PORT]]

  --id N        the RPC's id: the client's (even) or the server's (odd), decimal or 0x hex
  --client A    the client's address (and port) when several clients used the same id
                (ids are unique per client host only, spec §1.2)
  --help        this text

Each line: time from the RPC's first packet and gap from the previous one (microseconds),
direction (c>s client to server, s>c back), IP priority, type and fields. GRANTs and RESENDs
are listed with the DATA they drive; acks of the RPC (piggybacked on DATA, or ACK packets)
close it. A summary per message follows. Captures: Ethernet pcap (homa-nic sim --pcap,
tcpdump -w).
`;

export interface TracePlan { readonly pcap: string; readonly id: bigint; readonly client: string | undefined; readonly help: boolean }

export function parseTraceArgs(argv: readonly string[]): TracePlan {
  let pcap: string | undefined;
  let id: bigint | undefined;
  let client: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return { pcap: '', id: 0n, client: undefined, help: true };
    if (a === '--id') {
      const v = argv[++i] ?? '';
      if (!/^(\d+|0x[0-9a-f]+)$/i.test(v)) throw new UsageError(`--id "${v}": expected an RPC id, decimal or 0x hex`);
      id = BigInt(v);
      if (id >= 1n << 64n) throw new UsageError(`--id ${v}: RPC ids are 64 bits`);
    } else if (a === '--client') {
      client = argv[++i];
      if (!client) throw new UsageError('--client needs an address, e.g. 10.0.0.1 or 10.0.0.1:101');
    } else if (a.startsWith('-')) throw new UsageError(`unknown flag "${a}"; accepted: --id, --client, --help`);
    else if (pcap === undefined) pcap = a;
    else throw new UsageError(`one capture at a time ("${pcap}" and "${a}")`);
  }
  if (pcap === undefined) throw new UsageError('give a capture: homa-nic trace capture.pcap --id 1234');
  if (id === undefined) throw new UsageError('give the RPC: --id <id> (tshark with tools/wireshark/homa.lua shows ids as homa.sender_id)');
  return { pcap, id, client, help: false };
}

const LINKTYPE_ETHERNET = 1;

/** Runs the plan; returns the exit code. Problems with the capture or the id go to `err`. */
export function runTrace(plan: TracePlan, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): number {
  if (plan.help) { out.write(TRACE_HELP); return 0; }
  if (!existsSync(plan.pcap)) { err.write(`homa-nic trace: ${plan.pcap}: no such file\n`); return 1; }
  let frames: CapturedFrame[];
  try {
    const file = readPcap(plan.pcap);
    if (file.linkType !== LINKTYPE_ETHERNET) { err.write(`homa-nic trace: ${plan.pcap}: link type ${file.linkType}; only Ethernet captures (link type 1) are read\n`); return 1; }
    frames = file.records;
  } catch (e) {
    err.write(`homa-nic trace: ${(e as Error).message}\n`);
    return 1;
  }
  const clients = rpcsWithId(frames, plan.id & ~1n);
  if (clients.length > 1 && plan.client === undefined) {
    err.write(`homa-nic trace: ${clients.length} clients used id ${plan.id & ~1n} in ${plan.pcap}: ${clients.join(', ')}; pick one with --client\n`);
    return 1;
  }
  const t = traceRpc(frames, plan.id, plan.client);
  if (!t) {
    const ids = someIds(frames);
    err.write(`homa-nic trace: no packet of RPC ${plan.id}${plan.client ? ` from client ${plan.client}` : ''} in ${plan.pcap} (${frames.length} frames; RPC ids seen include ${ids.join(', ') || 'none'})\n`);
    return 1;
  }
  out.write(formatTrace(t));
  return 0;
}

function someIds(frames: readonly CapturedFrame[]): string[] {
  const ids = new Set<string>();
  for (const f of frames) {
    const d = decodeFrame(f.data, { checksum: false });
    if (d.ok && d.packet.type === HomaType.DATA) ids.add(String(d.packet.sender_id & ~1n));
    if (ids.size >= 5) break;
  }
  return [...ids];
}
