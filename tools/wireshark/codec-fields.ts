// tools/wireshark/codec-fields.ts — what the dissector must show for a frame, from the
// TypeScript codec's decode (hw/homa/wire): each homa.* display-filter field with its values
// in tree order, for comparison with tshark's.

import { HomaType, SEG_OFFSET_FROM_SEQUENCE, decodeFrame, type DecodeResult, type HomaPacket } from '../../hw/homa/wire/index.ts';

/** Every homa.* field the codec has a value for (tshark is asked for exactly these). */
export const COMPARED_FIELDS = [
  'homa.sport', 'homa.dport', 'homa.sequence', 'homa.type', 'homa.doff', 'homa.flags', 'homa.checksum', 'homa.urgent',
  'homa.sender_id', 'homa.message_length', 'homa.incoming', 'homa.ack.client_id', 'homa.ack.server_port',
  'homa.cutoff_version', 'homa.retransmit', 'homa.pad', 'homa.offset', 'homa.data_offset', 'homa.payload_length',
  'homa.length', 'homa.priority', 'homa.unsched_cutoffs', 'homa.num_acks', 'homa.hijacked',
] as const;

/** The fields of `p` as the dissector names them, values as decimal strings. */
export function codecFields(p: HomaPacket, hijacked: boolean): Map<string, string[]> {
  const m = new Map<string, string[]>(COMPARED_FIELDS.map((f) => [f, []]));
  const put = (name: string, ...values: (number | bigint)[]): void => { m.get(name)!.push(...values.map(String)); };
  if (hijacked) m.set('homa.hijacked', ['1']);
  put('homa.sport', p.sport); put('homa.dport', p.dport); put('homa.sequence', p.sequence);
  put('homa.type', p.type); put('homa.doff', p.doff); put('homa.flags', p.flags); put('homa.checksum', p.checksum);
  put('homa.urgent', p.urgent); put('homa.sender_id', p.sender_id);
  switch (p.type) {
    case HomaType.DATA:
      put('homa.message_length', p.message_length); put('homa.incoming', p.incoming);
      put('homa.ack.client_id', p.ack.client_id); put('homa.ack.server_port', p.ack.server_port);
      put('homa.cutoff_version', p.cutoff_version); put('homa.retransmit', p.retransmit); put('homa.pad', p.pad);
      put('homa.offset', p.seg.offset); put('homa.data_offset', p.offset); put('homa.payload_length', p.payload.length);
      if (p.seg.offset === SEG_OFFSET_FROM_SEQUENCE && p.offset !== p.sequence) throw new Error('codec: offset rule of §1.4 broken');
      break;
    case HomaType.GRANT:
      put('homa.offset', p.offset); put('homa.priority', p.priority);
      break;
    case HomaType.RESEND:
      put('homa.offset', p.offset); put('homa.length', p.length); put('homa.priority', p.priority);
      break;
    case HomaType.CUTOFFS:
      put('homa.unsched_cutoffs', ...p.unsched_cutoffs); put('homa.cutoff_version', p.cutoff_version);
      break;
    case HomaType.ACK:
      put('homa.num_acks', p.num_acks);
      for (const a of p.acks) { put('homa.ack.client_id', a.client_id); put('homa.ack.server_port', a.server_port); }
      break;
    default:
      break;
  }
  return m;
}

/** A tshark value as a decimal string ("0x10" -> "16", "True" -> "1"). */
export function normalise(value: string): string {
  if (/^0x[0-9a-f]+$/i.test(value)) return BigInt(value).toString();
  if (value === 'True') return '1';
  if (value === 'False') return '0';
  return value;
}

/** Differences between the codec's fields of `frame` and tshark's row, as readable lines. */
export function compareFrame(frame: Uint8Array, row: Map<string, string[]>, where: string): string[] {
  const d: DecodeResult = decodeFrame(frame);
  if (!d.ok) return [`${where}: the codec refuses the frame (${d.kind}: ${d.detail})`];
  const want = codecFields(d.packet, d.ip.protocol !== 146);
  const problems: string[] = [];
  for (const [name, values] of want) {
    const got = (row.get(name) ?? []).map(normalise);
    if (got.join(',') !== values.join(',')) problems.push(`${where}: ${name} is [${got.join(',')}] in tshark, [${values.join(',')}] in the codec`);
  }
  return problems;
}
