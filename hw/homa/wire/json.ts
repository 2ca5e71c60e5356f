// hw/homa/wire/json.ts — decoded packets as JSON with the spec's field names (test vectors).
//
// Numbers are written in decimal; 64-bit ids are written as bare decimal numbers too, so the
// reader here keeps long integer literals exact (JSON.parse alone would round them).

import { HomaType } from './types.ts';
import type { HomaAck, HomaPacket, IpFields } from './types.ts';

export interface PacketJson { ip: IpFields; packet: HomaPacket }

const BIG = '__u64__';

/** JSON text (2-space indent, trailing newline) for a decoded packet and its IP fields. */
export function packetToJson(ip: IpFields, packet: HomaPacket): string {
  const obj: Record<string, unknown> = {
    ip: { version: ip.version, priority: ip.priority, flow: ip.flow, ttl: ip.ttl, protocol: ip.protocol,
      saddr: formatAddr(ip.saddr), daddr: formatAddr(ip.daddr) },
  };
  const order = ['sport', 'dport', 'sequence', 'type', 'doff', 'flags', 'checksum', 'urgent', 'sender_id'];
  const rec = packet as unknown as Record<string, unknown>;
  const keys = [...order, ...Object.keys(packet).filter((k) => !order.includes(k))];
  for (const k of keys) {
    const v = rec[k];
    obj[k] = v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
  }
  const text = JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? `${BIG}${v}` : v), 2);
  return text.replace(new RegExp(`"${BIG}(\\d+)"`, 'g'), '$1') + '\n';
}

/** Parse text written by packetToJson back into IP fields and a packet. */
export function packetFromJson(text: string): PacketJson {
  const guarded = text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, `$1"${BIG}$2"`);
  const o = JSON.parse(guarded) as Record<string, unknown>;
  const ipo = o['ip'] as Record<string, unknown>;
  const ip: IpFields = {
    version: num(ipo['version']) === 6 ? 6 : 4, priority: num(ipo['priority']), flow: num(ipo['flow']),
    ttl: num(ipo['ttl']), protocol: num(ipo['protocol']),
    saddr: parseAddr(String(ipo['saddr'])), daddr: parseAddr(String(ipo['daddr'])),
  };
  const common = {
    sport: num(o['sport']), dport: num(o['dport']), sequence: num(o['sequence']), doff: num(o['doff']),
    flags: num(o['flags']), checksum: num(o['checksum']), urgent: num(o['urgent']), sender_id: big(o['sender_id']),
  };
  const type = num(o['type']);
  let packet: HomaPacket;
  switch (type) {
    case HomaType.DATA: {
      const ack = o['ack'] as Record<string, unknown>;
      const seg = o['seg'] as Record<string, unknown>;
      packet = { ...common, type, message_length: num(o['message_length']), incoming: num(o['incoming']),
        ack: { client_id: big(ack['client_id']), server_port: num(ack['server_port']) },
        cutoff_version: num(o['cutoff_version']), retransmit: num(o['retransmit']), pad: num(o['pad']),
        seg: { offset: num(seg['offset']) }, offset: num(o['offset']),
        payload: new Uint8Array(Buffer.from(String(o['payload']), 'hex')) };
      break;
    }
    case HomaType.GRANT:
      packet = { ...common, type, offset: num(o['offset']), priority: num(o['priority']) };
      break;
    case HomaType.RESEND:
      packet = { ...common, type, offset: num(o['offset']), length: num(o['length']), priority: num(o['priority']) };
      break;
    case HomaType.CUTOFFS:
      packet = { ...common, type, unsched_cutoffs: (o['unsched_cutoffs'] as unknown[]).map(num), cutoff_version: num(o['cutoff_version']) };
      break;
    case HomaType.ACK:
      packet = { ...common, type, num_acks: num(o['num_acks']),
        acks: (o['acks'] as Record<string, unknown>[]).map((a): HomaAck => ({ client_id: big(a['client_id']), server_port: num(a['server_port']) })) };
      break;
    case HomaType.RPC_UNKNOWN: case HomaType.BUSY: case HomaType.NEED_ACK: case HomaType.FREEZE:
      packet = { ...common, type };
      break;
    default:
      throw new Error(`JSON packet has unknown type ${type}`);
  }
  return { ip, packet };
}

function num(v: unknown): number {
  if (typeof v !== 'number') throw new Error(`expected a number, got ${JSON.stringify(v)}`);
  return v;
}
function big(v: unknown): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string' && v.startsWith(BIG)) return BigInt(v.slice(BIG.length));
  throw new Error(`expected an integer, got ${JSON.stringify(v)}`);
}

/** Dotted quad for 4 bytes; eight full hex groups for 16 bytes. */
export function formatAddr(a: Uint8Array): string {
  if (a.length === 4) return Array.from(a).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a[i]! << 8) | a[i + 1]!).toString(16));
  return groups.join(':');
}
/** Inverse of formatAddr (also accepts '::' shorthand). */
export function parseAddr(s: string): Uint8Array {
  if (s.includes('.') && !s.includes(':')) return new Uint8Array(s.split('.').map(Number));
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 0xff; });
  return out;
}
