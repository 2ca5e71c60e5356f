// conformance/tests/grants.ts — group grants: the DUT as a receiver that schedules (spec §3.2):
// messages longer than the unscheduled limit complete because the DUT grants them; its GRANTs
// are well formed; short messages first (SRPT); no grant before bpages (§4); CUTOFFS to a
// sender with stale cutoffs (§3.3). The senders are model NICs; the GRANTs are read off the wire.

import { BPAGE_SIZE } from '../../hw/homa/abi.ts';
import { HomaType, type CutoffsPacket, type GrantPacket } from '../../hw/homa/wire/index.ts';
import { check, equal, expectMessage, expectNoMessage } from '../check.ts';
import type { ConformanceCluster, TestContext } from '../context.ts';
import { readRegisterWords } from '../observe.ts';
import { conformanceTest } from '../runner.ts';
import { SERVER_PORT, sendRequests, takeRequests, type PlannedRequest } from '../scenarios.ts';
import { UNSCHED_BYTES, maxPayload } from '../wire.ts';

/** GRANTs the DUT has sent so far, decoded from its link. */
function grantsSent(c: ConformanceCluster): GrantPacket[] {
  return c.sent().flatMap((d) => (d && d.packet.type === HomaType.GRANT ? [d.packet] : []));
}

/** Requests from model peers to a DUT server, taken whole; the messages are recorded. */
async function scheduled(ctx: TestContext, c: ConformanceCluster, plan: readonly PlannedRequest[], what: string): Promise<void> {
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const got = await takeRequests(server, await sendRequests(c, plan), what);
  ctx.recordMessages('requests', got, 'key');
}

conformanceTest('grants', 'a request larger than the unscheduled limit (100,000 bytes) completes', '§3.1, §3.2 (the receiver grants)', async (ctx) => {
  const c = await ctx.cluster();
  await scheduled(ctx, c, [{ host: 1, length: 100_000, key: 1 }], 'a 100,000-byte request');
  check(grantsSent(c).length > 0, 'the DUT sent no GRANT, yet 60,000 bytes of the request needed one (§3.2)');
});

conformanceTest('grants', 'a request of 1,000,000 bytes (the largest message) completes', '§2 (HOMA_MAX_MESSAGE_LENGTH), §3.2', async (ctx) => {
  const c = await ctx.cluster();
  await scheduled(ctx, c, [{ host: 1, length: 1_000_000, key: 2 }], 'a 1,000,000-byte request');
});

conformanceTest('grants', 'GRANTs name the message, only grow, stay within it, at a scheduled priority', '§1.3 GRANT, §3.2 (absolute offsets, grant priority)', async (ctx) => {
  const c = await ctx.cluster();
  const length = 300_000;
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const [sent] = await sendRequests(c, [{ host: 1, length, key: 3 }]);
  await takeRequests(server, [sent!], 'a 300,000-byte request');
  const grants = grantsSent(c);
  check(grants.length > 0, 'the DUT sent no GRANT for a 300,000-byte request (§3.2)');
  const maxSchedPrio = readRegisterWords(c.dutDevice, 'config', 'max_sched_prio', 1)[0]!;
  let last = 0;
  for (const g of grants) {
    equal('GRANT sender_id (the DUT\'s server id: client id XOR 1, §1.2)', g.sender_id, sent!.clientId ^ 1n);
    equal('GRANT ports (the DUT\'s server port to the client\'s)', [g.sport, g.dport], [SERVER_PORT, sent!.from.port]);
    check(g.offset >= last, `GRANT offsets are absolute and never shrink (§3.2): ${g.offset} after ${last}`);
    check(g.offset > UNSCHED_BYTES && g.offset <= length, `GRANT offset ${g.offset} must lie past the unscheduled ${UNSCHED_BYTES} bytes and within the message (${length})`);
    check(g.priority <= maxSchedPrio, `GRANT priority ${g.priority} must be a scheduled level, at most max_sched_prio ${maxSchedPrio} (§3.2, §3.3)`);
    last = g.offset;
  }
  equal('the last GRANT covers the whole message', last, length);
});

conformanceTest('grants', 'large requests from several senders at once all complete', '§3.2 (active set, overcommit, fairness)', async (ctx) => {
  const c = await ctx.cluster({ hosts: 5 });
  await scheduled(ctx, c, [1, 2, 3, 4].map((host) => ({ host, length: 200_000 + host, key: host })), 'four 200,000-byte requests at once');
});

conformanceTest('grants', 'SRPT: a short scheduled request started later completes first', '§3.2 (fewer bytes remaining wins)', async (ctx) => {
  const c = await ctx.cluster({ hosts: 3 });
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const long = await sendRequests(c, [{ host: 1, length: 1_000_000, key: 4 }]);
  await c.sleep(100_000);                              // about a third of the long one has arrived
  const short = await sendRequests(c, [{ host: 2, length: 60_000, key: 5 }]);
  const first = await expectMessage(server, 'the first request to complete');
  const second = await expectMessage(server, 'the second request to complete');
  equal('lengths in completion order (SRPT: the 60,000-byte request first)', [first.length, second.length], [60_000, 1_000_000]);
  ctx.record('completion order', [first.length, second.length]);
  check(long.length === 1 && short.length === 1, 'both requests were sent');
});

conformanceTest('grants', 'no GRANT for a message that needs none', '§3.2 (a message its unscheduled bytes cover is not grantable)', async (ctx) => {
  const c = await ctx.cluster();
  await scheduled(ctx, c, [{ host: 1, length: UNSCHED_BYTES, key: 6 }, { host: 1, length: 1, key: 7 }], 'requests within the unscheduled limit');
  equal('GRANTs sent', grantsSent(c).length, 0);
});

conformanceTest('grants', 'a request that found no bpages gets no GRANT until bpages return, then completes', '§3.2 (grants only once buffers are allocated), §4', async (ctx) => {
  const c = await ctx.cluster();
  const bpages = ctx.dutIdentity.minRegionBpages;
  const server = c.dut.socket({ port: SERVER_PORT, server: true, regionBytes: bpages * BPAGE_SIZE });
  // Two largest messages take 2 x 15 whole bpages and share a tail bpage (§4): 31 of 33.
  const held = await takeRequests(server, await sendRequests(c, [0, 1].map((key) => ({ host: 1, length: 1_000_000, key }))), 'two 1,000,000-byte requests (held)');
  const grantsBefore = grantsSent(c).length;
  // 200,000 bytes need 3 whole bpages: only 2 are free.
  const [late] = await sendRequests(c, [{ host: 1, length: 200_000, key: 9 }]);
  await expectNoMessage(server, 'a request with no bpages', 2_000_000);
  const lateId = late!.clientId ^ 1n;
  const early = grantsSent(c).slice(grantsBefore).filter((g) => g.sender_id === lateId);
  equal('GRANTs for the request that found no bpages, while it had none', early.length, 0);
  held[0]!.release();
  server.info();                                       // the returns go to the NIC (§2.2)
  await takeRequests(server, [late!], 'the request, once bpages came back');
  held[1]!.release();
});

conformanceTest('grants', 'CUTOFFS go to a sender whose cutoff_version is stale, once', '§3.3 (receiver sends its cutoffs on a version mismatch, rate-limited)', async (ctx) => {
  const c = await ctx.cluster();
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const w = c.wirePeer();
  const bytes = new Uint8Array(2 * maxPayload(4)).fill(3);
  const cutoffs = readRegisterWords(c.dutDevice, 'config', 'unsched_cutoffs', 8);
  const version = readRegisterWords(c.dutDevice, 'config', 'cutoff_version', 1)[0]!;
  // Two packets with version 0 (a sender that never had our CUTOFFS), within one tick.
  await c.inject(w.messageFrames(40_001, SERVER_PORT, 2n, bytes, { cutoff_version: 0 }));
  await expectMessage(server, 'the request');
  // Then a request that already has our version: no CUTOFFS for it.
  await c.inject(w.messageFrames(40_001, SERVER_PORT, 4n, bytes, { cutoff_version: version }));
  await expectMessage(server, 'the second request');
  const sent = c.sent().filter((d) => d?.packet.type === HomaType.CUTOFFS);
  equal('CUTOFFS packets sent', sent.length, 1);
  const p = sent[0]!.packet as CutoffsPacket;
  equal('CUTOFFS cutoff_version (config cutoff_version)', p.cutoff_version, version);
  equal('CUTOFFS entries 1..7 (config unsched_cutoffs)', p.unsched_cutoffs.slice(1), cutoffs.slice(1));
  equal('CUTOFFS addressed to the stale sender', [...sent[0]!.ip.daddr], [...w.address]);
  equal('CUTOFFS priority (control packets at the top level, §1.5)', sent[0]!.ip.priority, 7);
});
