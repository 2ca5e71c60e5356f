// conformance/tests/rx-bpages.ts — group rx: where received messages land in the socket's
// receive region (spec §4): small messages share bpages, returned bpages are used again, and a
// region the application holds full makes later messages wait, dropped and counted, with
// nothing written; once bpages come back the waiting message takes its own and is asked for
// again with RESEND (§4). The offsets must be the model's (hw/homa/bpages.ts is the rule both
// follow). That the restarted message then completes is group grants' ('a request that found
// no bpages ...') and reliability's.

import { BPAGE_SIZE } from '../../hw/homa/abi.ts';
import { HomaType, RESEND_ALL, type ResendPacket } from '../../hw/homa/wire/index.ts';
import type { Message } from '../../host-lib/message.ts';
import { check, countersAre, equal, expectNoMessage, othersZero } from '../check.ts';
import { conformanceTest } from '../runner.ts';
import { sha16 } from '../observe.ts';
import { REFUSAL_COUNTERS, SERVER_PORT, packetsFor, sendRequests, takeRequests, type PlannedRequest } from '../scenarios.ts';

const pageOf = (offset: number): number => Math.floor(offset / BPAGE_SIZE);

/** The socket's whole receive region, as the application maps it, seen through a message it holds. */
function regionOf(m: Message, bpages: number): Uint8Array {
  const v = m.views[0]!;
  return new Uint8Array(v.buffer, v.byteOffset - m.bpageOffsets[0]!, bpages * BPAGE_SIZE);
}

conformanceTest('rx', 'bpage sharing: small messages share bpages, at the model\'s offsets', '§4 (tail carved from the owned bpage)', async (ctx) => {
  const c = await ctx.cluster();
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const plan: PlannedRequest[] = Array.from({ length: 48 }, (_, key) => ({ host: 1, length: 1000 + (key % 3) * 7, key }));
  const got = await takeRequests(server, await sendRequests(c, plan), '48 small requests, all held');
  ctx.recordMessages('requests', got);
  const offsets = got.map((m) => m.bpageOffsets[0]!);
  equal('distinct offsets (no two held messages may overlap)', new Set(offsets).size, offsets.length);
  const pages = new Set(offsets.map(pageOf));
  check(pages.size < got.length / 8, `48 messages of ~1,000 bytes should share a few bpages (§4), they use ${pages.size}`);
  for (const m of got) check(m.bpageOffsets.length === 1 && (m.bpageOffsets[0]! % BPAGE_SIZE) + m.length <= BPAGE_SIZE, `message ${m.id}: a tail never crosses its bpage (§4), offsets ${m.bpageOffsets.join(',')}`);
  const k = await ctx.recordCounters(c);
  othersZero(k, REFUSAL_COUNTERS, []);
});

conformanceTest('rx', 'returned bpages are used again', '§4 (bpages returned by the application, lowest free first)', async (ctx) => {
  const c = await ctx.cluster();
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const batch = (first: number): PlannedRequest[] => Array.from({ length: 20 }, (_, i) => ({ host: 1, length: 20_000, key: first + i }));
  const one = await takeRequests(server, await sendRequests(c, batch(0)), 'first batch (held)');
  ctx.recordMessages('first batch', one);
  ctx.record('free bytes with the first batch held', server.info().bpoolAvailBytes);
  for (const m of one) m.release();
  server.info();                                   // a socket call: the returns go to the NIC (§2.2 recvmsg)
  await c.settle();
  const regionBytes = 64 * BPAGE_SIZE;             // host-lib's default region (64 bpages)
  equal('free bytes once every bpage came back (bpool_avail_bytes, HOMAIOCINFO §2.1)', server.info().bpoolAvailBytes, regionBytes);
  const two = await takeRequests(server, await sendRequests(c, batch(100)), 'second batch');
  ctx.recordMessages('second batch', two);
  const used = new Set(one.flatMap((m) => m.bpageOffsets.map(pageOf)));
  const again = two.flatMap((m) => m.bpageOffsets.map(pageOf)).filter((p) => !used.has(p));
  equal('bpages of the second batch that the first did not use (lowest free pages come first, §4)', again, []);
  const k = await ctx.recordCounters(c);
  othersZero(k, REFUSAL_COUNTERS, []);
});

conformanceTest('rx', 'bpage exhaustion: messages that find no bpages are dropped and counted, nothing is written; after release the waiting one is restarted and new ones arrive',
  '§4 (exhaustion: dropped_data_no_bufs, buffer_alloc_failures)', async (ctx) => {
    const c = await ctx.cluster();
    const bpages = ctx.dutIdentity.minRegionBpages;
    const server = c.dut.socket({ port: SERVER_PORT, server: true, regionBytes: bpages * BPAGE_SIZE });
    // Messages just over half a bpage: no two share one (§4), so `bpages` of them fill the region.
    const fill: PlannedRequest[] = Array.from({ length: bpages }, (_, key) => ({ host: 1, length: BPAGE_SIZE / 2 + 1, key }));
    const held = await takeRequests(server, await sendRequests(c, fill), `${bpages} requests filling the region (held)`);
    ctx.recordMessages('held', held);
    equal('bpages used by the held messages', new Set(held.map((m) => pageOf(m.bpageOffsets[0]!))).size, bpages);
    const free = server.info().bpoolAvailBytes;
    ctx.record('free bytes, region held', free);
    const region = regionOf(held[0]!, bpages);
    const last = held[held.length - 1]!;
    equal('the region as the application maps it holds the last held message at its offset (the scenario itself)',
      sha16(region.subarray(last.bpageOffsets[0]!, last.bpageOffsets[0]! + last.length)), sha16(last.bytes()));
    const before = sha16(region);

    // A request that cannot fit: its packets are dropped while it waits (§4). It comes from a host
    // that exists only as frames, so nothing answers whatever the NIC sends about it.
    const w = c.wirePeer();
    const refusedLength = 40_000;
    check(refusedLength > free, `the scenario needs a request larger than the ${free} free bytes`);
    const packets = w.messageFrames(40_001, SERVER_PORT, 2n, new Uint8Array(refusedLength).fill(0xee)).slice(0, 3);
    await c.inject(packets);
    await expectNoMessage(server, 'a request that found no bpages', 100_000);
    const k1 = await ctx.recordCounters(c, 'counters while exhausted');
    countersAre(k1, { buffer_alloc_failures: 1, dropped_data_no_bufs: packets.length });
    equal('receive region after the refused request (nothing may be written, §4)', sha16(region), before);
    equal('free bytes after the refused request', server.info().bpoolAvailBytes, free);

    // The bpages come back: the waiting request gets its bpages (it needs 40,000 of them) and is
    // asked for everything again, RESEND(0, all) at homa_high_priority (§4 homa_pool_check_waiting).
    // Its sender exists only as frames and never answers, so those bpages stay taken.
    const sentBefore = c.sent().length;
    for (const m of held) m.release();
    server.info();                                  // the returns go to the NIC with the next call
    await c.settle();
    equal('free bytes once every bpage came back and the waiting request took its own', server.info().bpoolAvailBytes, bpages * BPAGE_SIZE - refusedLength);
    const resends = c.sent().slice(sentBefore).flatMap((d) => (d && d.packet.type === HomaType.RESEND ? [d.packet as ResendPacket] : []));
    equal('RESENDs for the restarted request (id, offset, length)', resends.map((r) => [r.sender_id, r.offset, r.length]), [[3n, 0, RESEND_ALL]]);
    ctx.record('RESEND priority', resends[0]!.priority);
    const later: PlannedRequest[] = [3000, 40_000, 100].map((length, i) => ({ host: 1, length, key: 1000 + i }));
    const got = await takeRequests(server, await sendRequests(c, later), 'requests after the release');
    ctx.recordMessages('after release', got);
    const k = await ctx.recordCounters(c);
    countersAre(k, {
      buffer_alloc_failures: 1, dropped_data_no_bufs: packets.length,
      packets_rcvd_DATA: [...fill, ...later].reduce((n, p) => n + packetsFor(p.length), packets.length),
    });
    othersZero(k, REFUSAL_COUNTERS, ['buffer_alloc_failures', 'dropped_data_no_bufs']);
  });
