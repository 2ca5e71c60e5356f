// conformance/tests/rx-bad-input.ts — group rx: every kind of bad input, made by hand and put on
// the DUT's wire, is dropped and counted under its reason (hw/homa/abi COUNTER_DOCS; HomaModule's
// short_packets and unknown_packet_types, §1.3; the engine's own for what a kernel never sees),
// nothing reaches the host, and a good message afterwards is received whole. Each bad frame has
// exactly one fault (wire.ts recomputes the checksums around it).

import { HOMA_MAX_MESSAGE_LENGTH, ackPacket, dataPacket, grantPacket } from '../../hw/homa/wire/index.ts';
import type { Message } from '../../host-lib/message.ts';
import type { HomaSocket } from '../../host-lib/socket.ts';
import { hostAddress } from '../../sim/net/frame.ts';
import { countersAre, expectMessage, expectNoMessage, othersZero, pattern, sameBytes } from '../check.ts';
import type { ConformanceCluster } from '../context.ts';
import { conformanceTest } from '../runner.ts';
import { REFUSAL_COUNTERS, SERVER_PORT, packetsFor } from '../scenarios.ts';
import {
  WirePeer, arpFrame, badHomaChecksum, ipv4Faults, ipv6PayloadPastFrame, patchHoma, patchIpv4, truncateHoma, withType,
} from '../wire.ts';

const CLIENT_PORT = 40_001;

/** What a bad input is made from: the wire peer, the DUT's client-only port, a good DATA frame. */
interface Ingredients {
  readonly w: WirePeer;
  readonly clientOnlyPort: number;
  /** A DATA frame of a whole 200-byte request with id `id`, correct in every field. */
  readonly data: (id: bigint) => Uint8Array;
}

interface BadInput {
  readonly name: string;
  readonly spec: string;
  /** Counters the frames must move, and by how much. */
  readonly counters: Readonly<Record<string, number>>;
  readonly frames: (x: Ingredients) => Uint8Array[];
  /** Hand them over as frames whose FCS the MAC found wrong. */
  readonly fcsError?: boolean;
}

const BAD_INPUTS: readonly BadInput[] = [
  {
    name: 'a frame with a bad FCS', spec: 'ENGINE.md mac (rx beats carry the MAC\'s FCS error)', counters: { rx_frame_errors: 1 },
    frames: (x) => [x.data(10n)], fcsError: true,
  },
  {
    name: 'a frame shorter than an Ethernet header', spec: '§1.3 (too short: short_packets)', counters: { short_packets: 1 },
    frames: (x) => [x.data(12n).slice(0, 10)],
  },
  {
    name: 'an IPv4 frame shorter than its IP header', spec: '§1.3 (too short)', counters: { short_packets: 1 },
    frames: (x) => [x.data(14n).slice(0, 14 + 12)],
  },
  {
    name: 'a Homa packet shorter than the common header', spec: '§1.3 (header_lengths: 28 bytes at least)', counters: { short_packets: 1 },
    frames: (x) => [truncateHoma(x.data(16n), 20)],
  },
  {
    name: 'a packet shorter than its type\'s header (GRANT of 30 bytes)', spec: '§1.3 (GRANT needs 33 bytes)', counters: { short_packets: 1 },
    frames: (x) => [truncateHoma(x.w.frame(grantPacket(CLIENT_PORT, SERVER_PORT, 18n, 1000, 0)), 30)],
  },
  {
    name: 'a frame that is not IP (ARP)', spec: '§1.1, non_homa_frames', counters: { non_homa_frames: 1 },
    frames: (x) => [arpFrame(hostAddress(0).mac, x.w.mac)],
  },
  {
    name: 'an IP protocol other than Homa (UDP)', spec: '§1.1 (protocol 146), non_homa_frames', counters: { non_homa_frames: 1 },
    frames: (x) => [ipv4Faults.udp(x.data(20n))],
  },
  {
    name: 'TCP without the Homa markers', spec: '§1.6 (hijacked only with flags 0x06 and urgent 0xB97D)', counters: { non_homa_frames: 1 },
    frames: (x) => [ipv4Faults.tcp(x.data(22n), false)],
  },
  {
    name: 'an IPv4 header checksum that is wrong', spec: 'bad_ip_headers', counters: { bad_ip_headers: 1 },
    frames: (x) => [ipv4Faults.checksum(x.data(24n))],
  },
  {
    name: 'an IPv4 header with options (IHL 6)', spec: '§1.1, bad_ip_headers', counters: { bad_ip_headers: 1 },
    frames: (x) => [ipv4Faults.options(x.data(26n))],
  },
  {
    name: 'IPv4 fragments (more-fragments flag; a fragment offset)', spec: '§1.1 (never fragmented), bad_ip_headers', counters: { bad_ip_headers: 2 },
    frames: (x) => [ipv4Faults.moreFragments(x.data(28n)), ipv4Faults.fragmentOffset(x.data(30n))],
  },
  {
    name: 'an IPv4 total length past the frame, or below the header', spec: 'bad_ip_headers', counters: { bad_ip_headers: 2 },
    frames: (x) => [ipv4Faults.totalLengthPastFrame(x.data(32n)), ipv4Faults.totalLengthBelowHeader(x.data(34n))],
  },
  {
    name: 'a Homa checksum that is wrong', spec: '§1.7 (the engine verifies it), bad_checksums', counters: { bad_checksums: 1 },
    frames: (x) => [badHomaChecksum(x.data(36n))],
  },
  {
    name: 'unknown packet types (0x0f, 0x19, 0x80)', spec: '§1.3 (types 0x10..0x18), unknown_packet_types', counters: { unknown_packet_types: 3 },
    frames: (x) => [0x0f, 0x19, 0x80].map((t, i) => withType(x.data(38n + 2n * BigInt(i)), t)),
  },
  {
    name: 'DATA with message_length 0, over 1,000,000, or a payload past the message', spec: '§1.4, §2 (HOMA_MAX_MESSAGE_LENGTH), bad_lengths',
    counters: { bad_lengths: 3 },
    frames: (x) => {
      const d = (id: bigint, message_length: number, offset: number): Uint8Array =>
        x.w.frame(dataPacket(CLIENT_PORT, SERVER_PORT, id, { message_length, incoming: Math.min(message_length, 40_000), offset, payload: pattern(1, 100) }));
      return [d(50n, 0, 0), d(52n, HOMA_MAX_MESSAGE_LENGTH + 1, 0), d(54n, 150, 100)];
    },
  },
  {
    name: 'ACK with more than 5 acks', spec: '§1.3 (HOMA_MAX_ACKS_PER_PKT), bad_lengths', counters: { bad_lengths: 1 },
    frames: (x) => [x.w.frame(ackPacket(CLIENT_PORT, SERVER_PORT, 56n, Array.from({ length: 6 }, (_, i) => ({ client_id: 100n + 2n * BigInt(i), server_port: SERVER_PORT }))))],
  },
  {
    name: 'a frame addressed to another host', spec: 'not_for_this_host', counters: { not_for_this_host: 1 },
    // The Homa checksum covers the pseudo-header's addresses (§1.7): recomputed for the new one.
    frames: (x) => [patchHoma(patchIpv4(x.data(58n), (h) => h.set(hostAddress(7).ipv4, 16)), () => {})],
  },
  {
    name: 'an IPv6 frame to an IPv4 NIC', spec: '§1.1, not_for_this_host (the other family)', counters: { not_for_this_host: 1 },
    frames: () => {
      // Addressed to the DUT's host on IPv6 (fd00::1), which an IPv4 NIC is not.
      const v6 = new WirePeer({ dutAddress: hostAddress(0).ipv6 });
      return v6.messageFrames(CLIENT_PORT, SERVER_PORT, 60n, pattern(2, 200));
    },
  },
  {
    name: 'a request to a port with no socket', spec: '§2 (HomaModule answers ICMP port unreachable), requests_to_non_server',
    counters: { requests_to_non_server: 1 },
    frames: (x) => x.w.messageFrames(CLIENT_PORT, 999, 62n, pattern(3, 200)),
  },
  {
    name: 'a request to a client-only socket', spec: '§2 (bind/SO_HOMA_SERVER), requests_to_non_server', counters: { requests_to_non_server: 1 },
    frames: (x) => x.w.messageFrames(CLIENT_PORT, x.clientOnlyPort, 64n, pattern(4, 200)),
  },
  {
    name: 'a response for no RPC', spec: '§3.5 (unknown RPC: dropped), unknown_rpcs', counters: { unknown_rpcs: 1 },
    frames: (x) => x.w.messageFrames(SERVER_PORT, x.clientOnlyPort, 67n, pattern(5, 200)),
  },
];

/** The DUT with a server socket and a client-only socket, and a wire peer. */
async function setUp(c: ConformanceCluster): Promise<{ x: Ingredients; server: HomaSocket }> {
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const clientOnly = c.dut.socket();
  const w = c.wirePeer();
  const data = (id: bigint): Uint8Array => w.messageFrames(CLIENT_PORT, SERVER_PORT, id, pattern(Number(id), 200))[0]!;
  return { x: { w, clientOnlyPort: clientOnly.port, data }, server };
}

/** A good request after the bad input: it must arrive whole. */
async function goodRequestArrives(c: ConformanceCluster, x: Ingredients, server: HomaSocket): Promise<Message> {
  const bytes = pattern(99, 3000);
  await c.inject(x.w.messageFrames(CLIENT_PORT, SERVER_PORT, 2n, bytes));
  const m = await expectMessage(server, 'a good request after the bad input');
  sameBytes('the good request', m, bytes);
  return m;
}

for (const bad of BAD_INPUTS) {
  conformanceTest('rx', `bad input: ${bad.name}`, bad.spec, async (ctx) => {
    const c = await ctx.cluster();
    const { x, server } = await setUp(c);
    await c.inject(bad.frames(x), { fcsError: bad.fcsError });
    await expectNoMessage(server, `after ${bad.name}`, 20_000);
    const m = await goodRequestArrives(c, x, server);
    ctx.recordMessages('requests', [m]);
    const k = await ctx.recordCounters(c);
    countersAre(k, bad.counters);
    othersZero(k, REFUSAL_COUNTERS, Object.keys(bad.counters));
  });
}

conformanceTest('rx', 'every bad input in a row, then a good message', 'all of the above', async (ctx) => {
  const c = await ctx.cluster();
  const { x, server } = await setUp(c);
  const want: Record<string, number> = {};
  for (const bad of BAD_INPUTS) {
    await c.inject(bad.frames(x), { fcsError: bad.fcsError });
    for (const [k, n] of Object.entries(bad.counters)) want[k] = (want[k] ?? 0) + n;
  }
  await expectNoMessage(server, 'after every bad input', 20_000);
  const m = await goodRequestArrives(c, x, server);
  ctx.recordMessages('requests', [m]);
  const k = await ctx.recordCounters(c);
  countersAre(k, want);
  othersZero(k, REFUSAL_COUNTERS, Object.keys(want));
});

conformanceTest('rx', 'IPv6, hand-made frames: a message is received, a payload length past the frame is refused', '§1.1 (IPv6), bad_ip_headers', async (ctx) => {
  const c = await ctx.cluster({ ipv6: true });
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const w = c.wirePeer();
  const bytes = pattern(6, 5000);
  const frames = w.messageFrames(CLIENT_PORT, SERVER_PORT, 2n, bytes);
  await c.inject([ipv6PayloadPastFrame(frames[1]!), ...frames.reverse()]);
  const m = await expectMessage(server, 'the IPv6 request');
  sameBytes('the IPv6 request', m, bytes);
  ctx.recordMessages('requests', [m]);
  const k = await ctx.recordCounters(c);
  countersAre(k, { bad_ip_headers: 1, packets_rcvd_DATA: packetsFor(bytes.length, 6) });
  othersZero(k, REFUSAL_COUNTERS, ['bad_ip_headers']);
});
