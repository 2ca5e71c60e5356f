// conformance/tests/rx-order.ts — group rx, with hand-made DATA on the wire: packets of a message
// out of order and duplicated (within the DUT's gap bound), a gap too many, the offset rules of
// §1.4 (seg.offset 0xFFFFFFFF, doff 13), server RPCs keyed by client (§1.2), and control packets
// that name no RPC. Each frame is injected at the DUT's MAC; what the DUT's host gets, and its
// counters, must be the model's.

import { HomaType, bareControl, cutoffsPacket, grantPacket, ackPacket, type DataPacket } from '../../hw/homa/wire/index.ts';
import type { HomaSocket } from '../../host-lib/socket.ts';
import { countersAre, equal, expectMessage, expectNoMessage, othersZero, pattern, sameBytes } from '../check.ts';
import type { ConformanceCluster, TestContext } from '../context.ts';
import { conformanceTest } from '../runner.ts';
import { REFUSAL_COUNTERS, SERVER_PORT } from '../scenarios.ts';
import { maxPayload, withDoff, type WirePeer } from '../wire.ts';

const CLIENT_PORT = 40_001;

/** A server socket on the DUT and a wire peer, and the message a test will send in pieces. */
async function setUp(ctx: TestContext): Promise<{ c: ConformanceCluster; w: WirePeer; server: HomaSocket }> {
  const c = await ctx.cluster();
  return { c, w: c.wirePeer(), server: c.dut.socket({ port: SERVER_PORT, server: true }) };
}

/** A whole message of `n` full packets as DATA packets (so packet i covers [i·1424, (i+1)·1424)). */
function fullPackets(w: WirePeer, n: number, key: number, id = 2n): { bytes: Uint8Array; packets: DataPacket[] } {
  const bytes = pattern(key, n * maxPayload(4));
  return { bytes, packets: w.message(CLIENT_PORT, SERVER_PORT, id, bytes) };
}

conformanceTest('rx', 'out-of-order and duplicated packets of a message', '§3.5 (gap list; duplicates and overlaps dropped)', async (ctx) => {
  const { c, w, server } = await setUp(ctx);
  const { bytes, packets } = fullPackets(w, 10, 7);
  // At most one gap is open at a time (every NIC tracks at least that many, §3.5 bound).
  const order = [0, 2, 2, 1, 4, 3, 3, 6, 5, 9, 8, 7];
  const frames = order.map((i) => w.frame(packets[i]!));
  // A retransmitted copy (retransmit = 1, §1.4) of a packet already here: resent_discards.
  frames.splice(9, 0, w.frame({ ...packets[5]!, retransmit: 1 }));
  await c.inject(frames);
  const m = await expectMessage(server, 'the reordered request');
  sameBytes('the reordered request', m, bytes);
  ctx.recordMessages('requests', [m]);
  const k = await ctx.recordCounters(c);
  countersAre(k, { packets_rcvd_DATA: frames.length, packet_discards: 2, resent_discards: 1 });
  othersZero(k, REFUSAL_COUNTERS, ['packet_discards', 'resent_discards']);
});

conformanceTest('rx', 'a duplicate of a request already delivered does not deliver it again', '§3.6 (duplicate request DATA for an existing server RPC is ignored)', async (ctx) => {
  const { c, w, server } = await setUp(ctx);
  const { bytes, packets } = fullPackets(w, 3, 8);
  await c.inject(packets.map((p) => w.frame(p)));
  const m = await expectMessage(server, 'the request');
  sameBytes('the request', m, bytes);
  await c.inject([w.frame(packets[0]!), w.frame({ ...packets[2]!, retransmit: 1 })]);
  await expectNoMessage(server, 'copies of a request already delivered', 100_000);
  ctx.recordMessages('requests', [m]);
  const k = await ctx.recordCounters(c);
  countersAre(k, { packets_rcvd_DATA: 5, packet_discards: 1, resent_discards: 1 });
  othersZero(k, REFUSAL_COUNTERS, ['packet_discards', 'resent_discards']);
});

conformanceTest('rx', 'a packet that would open one gap too many is dropped; sent again later it is taken', '§3.5, identity max_gaps (gap_overflows)', async (ctx) => {
  const { c, w, server } = await setUp(ctx);
  const bound = ctx.dutIdentity.maxGaps;
  // With a bound G: G gaps open, then a packet that would open gap G + 1. Without one: 4 + 1.
  const g = bound > 0 ? bound : 4;
  const { bytes, packets } = fullPackets(w, 2 * g + 4, 9);
  const evens = Array.from({ length: g + 1 }, (_, i) => 2 * i);            // opens g gaps
  const odds = Array.from({ length: g }, (_, i) => 2 * i + 1);              // closes them
  const order = [...evens, 2 * g + 2, ...odds, 2 * g + 1, 2 * g + 2, 2 * g + 3];
  await c.inject(order.map((i) => w.frame(packets[i]!)));
  const m = await expectMessage(server, 'the request');
  sameBytes('the request', m, bytes);
  ctx.recordMessages('requests', [m]);
  const k = await ctx.recordCounters(c);
  // Bounded: the early packet was dropped (gap_overflows) and the second copy taken. Unbounded:
  // the early packet was taken and the second copy is a duplicate.
  countersAre(k, bound > 0 ? { gap_overflows: 1, packet_discards: 0 } : { gap_overflows: 0, packet_discards: 1 });
  othersZero(k, REFUSAL_COUNTERS, ['gap_overflows', 'packet_discards']);
});

conformanceTest('rx', 'seg.offset 0xFFFFFFFF: the offset is taken from sequence', '§1.4 (homa_get_offset), §7 item 2', async (ctx) => {
  const { c, w, server } = await setUp(ctx);
  const { bytes, packets } = fullPackets(w, 3, 10);
  // Hijacked TSO's form: every segment says "take it from sequence" (sequence = the offset).
  await c.inject(packets.reverse().map((p) => w.frame({ ...p, seg: { offset: 0xffffffff } })));
  const m = await expectMessage(server, 'the request');
  sameBytes('the request', m, bytes);
  ctx.recordMessages('requests', [m]);
  const k = await ctx.recordCounters(c);
  othersZero(k, REFUSAL_COUNTERS, []);
});

conformanceTest('rx', 'DATA with doff 13 (non-hijacked GSO) is received like doff 14', '§1.2 (receivers ignore doff), §7 item 1', async (ctx) => {
  const { c, w, server } = await setUp(ctx);
  const { bytes, packets } = fullPackets(w, 2, 11);
  await c.inject(packets.map((p) => withDoff(w.frame(p), 13 << 4)));
  const m = await expectMessage(server, 'the request');
  sameBytes('the request', m, bytes);
  ctx.recordMessages('requests', [m]);
  othersZero(await ctx.recordCounters(c), REFUSAL_COUNTERS, []);
});

conformanceTest('rx', 'the same id from two clients is two RPCs', '§1.2 (ids are unique per client host; a server keys by client)', async (ctx) => {
  const { c, server } = await setUp(ctx);
  const a = c.wirePeer(200);
  const b = c.wirePeer(201);
  const bytesA = pattern(1, 2000);
  const bytesB = pattern(2, 2500);
  const frames = [...a.messageFrames(CLIENT_PORT, SERVER_PORT, 2n, bytesA), ...b.messageFrames(CLIENT_PORT, SERVER_PORT, 2n, bytesB)];
  await c.inject([frames[0]!, frames[2]!, frames[1]!, frames[3]!]);
  const first = await expectMessage(server, 'the first request');
  const second = await expectMessage(server, 'the second request');
  const byPeer = new Map([first, second].map((m) => [m.peer.address, m]));
  for (const [peer, want] of [[a, bytesA], [b, bytesB]] as const) {
    const address = [...peer.address].join('.');
    const m = byPeer.get(address);
    if (!m) { equal(`a request from ${address}`, [...byPeer.keys()], [address]); return; }
    equal(`id of the request from ${address} (client id 2 XOR 1)`, m.id, 3n);
    sameBytes(`the request from ${address}`, m, want);
  }
  ctx.recordMessages('requests', [first, second]);
  othersZero(await ctx.recordCounters(c), REFUSAL_COUNTERS, []);
});

// Only the control packets whose handling for an unknown RPC HomaModule's homa_dispatch_pkts
// neither answers with an error nor counts in unknown_rpcs (GRANT to a server, CUTOFFS,
// NEED_ACK, ACK; FREEZE is consumed before dispatch). RESEND, RPC_UNKNOWN and BUSY for unknown
// RPCs are group reliability's ('unknown-RPC dispatch ...').
conformanceTest('rx', 'control packets that name no RPC: those that act alone are handled, the rest dropped as HomaModule counts them', '§1.3, §3.5 (unknown-RPC dispatch), §5 packets_rcvd_*, unknown_rpcs', async (ctx) => {
  const { c, w, server } = await setUp(ctx);
  const id = 1000n;
  const controls = [
    grantPacket(CLIENT_PORT, SERVER_PORT, id, 5000, 2),
    cutoffsPacket(CLIENT_PORT, SERVER_PORT, 0n, [0x7fffffff, 0, 0, 0, 1_000_000, 15_000, 2800, 200], 1),
    bareControl(HomaType.FREEZE, CLIENT_PORT, SERVER_PORT, id),
    bareControl(HomaType.NEED_ACK, CLIENT_PORT, SERVER_PORT, id + 1n),
    ackPacket(CLIENT_PORT, SERVER_PORT, id, [{ client_id: id + 2n, server_port: SERVER_PORT }]),
  ];
  await c.inject(controls.map((p) => w.frame(p)));
  // Then a request: nothing above may have disturbed the receive path.
  const bytes = pattern(12, 3000);
  await c.inject(w.messageFrames(CLIENT_PORT, SERVER_PORT, 2n, bytes));
  const m = await expectMessage(server, 'a request after the control packets');
  sameBytes('the request', m, bytes);
  ctx.recordMessages('requests', [m]);
  const k = await ctx.recordCounters(c);
  // homa_dispatch_pkts: CUTOFFS, NEED_ACK and ACK act without an RPC and reach their handlers;
  // a GRANT to a server that has no such RPC is dropped uncounted; the FREEZE is an orphan.
  countersAre(k, {
    packets_rcvd_GRANT: 0, packets_rcvd_CUTOFFS: 1, packets_rcvd_FREEZE: 0, packets_rcvd_NEED_ACK: 1, packets_rcvd_ACK: 1,
    packets_rcvd_DATA: 3, unknown_rpcs: 1,
  });
  othersZero(k, REFUSAL_COUNTERS, ['unknown_rpcs']);
});
