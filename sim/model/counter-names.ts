// sim/model/counter-names.ts — which counter (hw/homa/abi COUNTERS) each event of the packet
// path bumps, worked out once so the per-packet path only indexes.

import { HomaType } from '../../hw/homa/wire/index.ts';

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(HomaType).map(([k, v]) => [v, k]));
// Counter names per packet type and level, built once (the per-packet path only indexes).
export const SENT_KEY: string[] = [];
export const RCVD_KEY: string[] = [];
for (const [code, name] of Object.entries(TYPE_NAMES)) { SENT_KEY[Number(code)] = `packets_sent_${name}`; RCVD_KEY[Number(code)] = `packets_rcvd_${name}`; }
export const PRIO_PACKETS = Array.from({ length: 8 }, (_, i) => `priority${i}_packets`);
export const PRIO_BYTES = Array.from({ length: 8 }, (_, i) => `priority${i}_bytes`);
/**
 * The counter of each reason the codec refuses a frame for (hw/homa/abi COUNTER_DOCS); any
 * other IP-level refusal it may add is a header error (bad_ip_headers).
 */
export const RX_ERROR_COUNTER: Readonly<Record<string, string>> = {
  too_short: 'short_packets', bad_ip_header: 'bad_ip_headers', not_homa: 'non_homa_frames',
  unknown_type: 'unknown_packet_types', bad_length: 'bad_lengths',
};
