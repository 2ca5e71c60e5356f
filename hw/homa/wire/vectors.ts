// hw/homa/wire/vectors.ts — the golden packets committed under test/vectors/ (one per packet
// type on IPv4 and IPv6, plus the hijacked and GSO forms of DATA). scripts/gen-vectors.ts
// writes them; test/vectors/vectors.test.ts decodes the files and compares.

import { ackPacket, bareControl, cutoffsPacket, dataPacket, grantPacket, resendPacket } from './build.ts';
import { DOFF_DATA_GSO, HomaType, IPPROTO_TCP, RESEND_ALL, SEG_OFFSET_FROM_SEQUENCE } from './types.ts';
import type { HomaPacket, IpFields } from './types.ts';

export interface GoldenVector { name: string; ip: IpFields; packet: HomaPacket }

const ID = 0x1234_5678_9abc_def0n;     // a client id (even) larger than 2^53
const SRV = ID | 1n;                     // the server's id for the same RPC (§1.2)

function ipOf(version: 4 | 6, priority: number, protocol = 146): IpFields {
  return version === 4
    ? { version, priority, flow: 0x4d2, ttl: 64, protocol, saddr: new Uint8Array([192, 168, 1, 10]), daddr: new Uint8Array([192, 168, 1, 20]) }
    : { version, priority, flow: 0x1e240, ttl: 64, protocol,
      saddr: new Uint8Array([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a]),
      daddr: new Uint8Array([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14]) };
}

export function goldenVectors(): GoldenVector[] {
  const payload = new Uint8Array(64).map((_, i) => (i * 7 + 3) & 0xff);
  const out: GoldenVector[] = [];
  for (const v of [4, 6] as const) {
    const p = `ipv${v}`;
    out.push({ name: `${p}-data`, ip: ipOf(v, 6), packet: dataPacket(40000, 99, ID, {
      message_length: 100000, incoming: 40000, offset: 2848, payload,
      ack: { client_id: ID - 2n, server_port: 99 }, cutoff_version: 1 }) });
    out.push({ name: `${p}-data-retransmit`, ip: ipOf(v, 2), packet: dataPacket(99, 40000, SRV, {
      message_length: 300, incoming: 300, offset: 0, payload: payload.subarray(0, 30), retransmit: 1, cutoff_version: 3 }) });
    out.push({ name: `${p}-data-hijack`, ip: ipOf(v, 4, IPPROTO_TCP), packet: {
      ...dataPacket(40000, 99, ID, { message_length: 5000, incoming: 5000, offset: 1424, payload }),
      seg: { offset: SEG_OFFSET_FROM_SEQUENCE } } });
    out.push({ name: `${p}-data-gso`, ip: ipOf(v, 5), packet: {
      ...dataPacket(40000, 99, ID, { message_length: 5000, incoming: 5000, offset: 2848, payload }), doff: DOFF_DATA_GSO } });
    out.push({ name: `${p}-grant`, ip: ipOf(v, 7), packet: grantPacket(99, 40000, SRV, 150000, 2) });
    out.push({ name: `${p}-resend`, ip: ipOf(v, 7), packet: resendPacket(99, 40000, SRV, 2848, 1424, 3) });
    out.push({ name: `${p}-resend-all`, ip: ipOf(v, 7), packet: resendPacket(40000, 99, ID, 0, RESEND_ALL, 6) });
    out.push({ name: `${p}-rpc-unknown`, ip: ipOf(v, 7), packet: bareControl(HomaType.RPC_UNKNOWN, 99, 40000, SRV) });
    out.push({ name: `${p}-busy`, ip: ipOf(v, 7), packet: bareControl(HomaType.BUSY, 99, 40000, SRV) });
    out.push({ name: `${p}-cutoffs`, ip: ipOf(v, 7), packet: cutoffsPacket(99, 40000, SRV,
      [0x7fffffff, 0, 0, 0, 1000000, 15000, 2800, 200], 1) });
    out.push({ name: `${p}-freeze`, ip: ipOf(v, 7), packet: bareControl(HomaType.FREEZE, 99, 40000, SRV) });
    out.push({ name: `${p}-need-ack`, ip: ipOf(v, 7), packet: bareControl(HomaType.NEED_ACK, 99, 40000, SRV) });
    out.push({ name: `${p}-ack`, ip: ipOf(v, 7), packet: ackPacket(40000, 99, ID,
      [2n, 4n, 6n].map((c, i) => ({ client_id: c, server_port: 99 + i }))) });
    out.push({ name: `${p}-ack-full`, ip: ipOf(v, 7), packet: ackPacket(40000, 99, ID,
      [10n, 12n, 14n, 16n, ID - 2n].map((c) => ({ client_id: c, server_port: 99 }))) });
  }
  return out;
}
