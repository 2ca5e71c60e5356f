// conformance/tests/rx-receive.ts — group rx: whole messages from model peers arrive at a server
// socket on the DUT, byte for byte, for every size that needs no grant (up to the unscheduled
// limit, §3.1), over IPv4 and IPv6 (§1.1), hijacked TCP (§1.6), from many senders and to
// several queue pairs.

import { IPPROTO_TCP } from '../../hw/homa/wire/index.ts';
import { check, countersAre, equal, expectNoMessage, othersZero } from '../check.ts';
import type { ConformanceCluster, TestContext } from '../context.ts';
import { conformanceTest } from '../runner.ts';
import { REFUSAL_COUNTERS, SERVER_PORT, packetsFor, sendRequests, takeRequests, type PlannedRequest } from '../scenarios.ts';
import { UNSCHED_BYTES, decodeSent, maxPayload } from '../wire.ts';

/** One model peer sends requests of `sizes` to a DUT server socket; the DUT's host takes them all. */
async function requestsOfSizes(ctx: TestContext, sizes: readonly number[], opt: { ipv6?: boolean; cluster?: ConformanceCluster } = {}): Promise<void> {
  const c = opt.cluster ?? await ctx.cluster({ ipv6: opt.ipv6 });
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const sent = await sendRequests(c, sizes.map((length, key) => ({ host: 1, length, key })));
  const got = await takeRequests(server, sent, `requests of ${sizes.join(', ')} bytes`);
  ctx.recordMessages('requests', got);
  const k = await ctx.recordCounters(c);
  const v = opt.ipv6 ? 6 : 4;
  countersAre(k, { packets_rcvd_DATA: sizes.reduce((n, s) => n + packetsFor(s, v), 0) });
  othersZero(k, REFUSAL_COUNTERS, []);
}

conformanceTest('rx', 'a 1-byte request', '§2.2, §1.4', (ctx) => requestsOfSizes(ctx, [1]));

conformanceTest('rx', 'a request of exactly one full packet (1,424 bytes)', '§1.4 packet geometry', (ctx) => requestsOfSizes(ctx, [maxPayload(4)]));

conformanceTest('rx', 'a request of several packets (5,000 bytes)', '§1.4, §3.5 gap tracking', (ctx) => requestsOfSizes(ctx, [5000]));

conformanceTest('rx', 'a request of exactly the unscheduled limit (40,000 bytes)', '§3.1 unscheduled bytes, §3.2 not grantable', (ctx) => requestsOfSizes(ctx, [UNSCHED_BYTES]));

conformanceTest('rx', 'requests of every size class from one client, held together', '§1.4, §4 bpages', (ctx) =>
  requestsOfSizes(ctx, [1, 100, 1423, 1424, 1425, 2848, 2849, 9999, 20000, 39999, 40000]));

conformanceTest('rx', 'IPv6: requests from an IPv6 peer', '§1.1 (IPv6), §1.4 (payload per packet 1,404 on IPv6)', async (ctx) => {
  const c = await ctx.cluster({ ipv6: true });
  check(c.dutDevice.address.length === 16, `the DUT should have an IPv6 address in an IPv6 cluster, has ${c.dutDevice.address.length} bytes`);
  await requestsOfSizes(ctx, [1, maxPayload(6), maxPayload(6) + 1, 5000], { ipv6: true, cluster: c });
});

conformanceTest('rx', 'hijacked TCP: requests from a peer with hijack_tcp (IP protocol 6)', '§1.6', async (ctx) => {
  const c = await ctx.cluster({ nic: { hijack_tcp: 1 } });
  const peerFrames = c.watch(1);
  await requestsOfSizes(ctx, [1, 3000], { cluster: c });
  const protocols = new Set(peerFrames.map((f) => decodeSent(f)?.ip.protocol));
  equal('IP protocols of the peer\'s frames (the scenario itself: hijack_tcp must make them TCP)', [...protocols], [IPPROTO_TCP]);
});

conformanceTest('rx', 'many senders to one server', '§1.2 (server RPCs keyed by client address, port and id), §4', async (ctx) => {
  const peers = 6;
  const c = await ctx.cluster({ hosts: peers + 1 });
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  // Equal sizes: which sender's packet reaches the DUT first is the switch's business, and with
  // equal sizes the set of bpage offsets does not depend on it (§4).
  const plan: PlannedRequest[] = [];
  for (let i = 0; i < 4; i++) for (let h = 1; h <= peers; h++) plan.push({ host: h, length: 3000, key: h * 100 + i });
  const sent = await sendRequests(c, plan);
  const got = await takeRequests(server, sent, `${plan.length} requests from ${peers} senders`);
  ctx.recordMessages('requests', got, 'key');
  const k = await ctx.recordCounters(c);
  countersAre(k, { packets_rcvd_DATA: plan.length * packetsFor(3000) });
  othersZero(k, REFUSAL_COUNTERS, []);
});

conformanceTest('rx', 'several queue pairs: each server socket gets its own requests', '§2 (ports), ABI queue pairs', async (ctx) => {
  const c = await ctx.cluster();
  const ports = [201, 202, 203];
  const servers = ports.map((port) => c.dut.socket({ port, server: true }));
  const clientOnly = c.dut.socket();
  const plan: PlannedRequest[] = [];
  for (let i = 0; i < 3; i++) ports.forEach((port, j) => plan.push({ host: 1, length: 700 + 1000 * j + i, key: 10 * j + i, port }));
  const sent = await sendRequests(c, plan);
  for (const [j, s] of servers.entries()) {
    const got = await takeRequests(s, sent.filter((x) => x.port === ports[j]), `requests to port ${ports[j]}`);
    ctx.recordMessages(`requests to port ${ports[j]}`, got);
  }
  await expectNoMessage(clientOnly, 'the DUT\'s client-only socket', 100_000);
  const k = await ctx.recordCounters(c);
  countersAre(k, { packets_rcvd_DATA: plan.reduce((n, p) => n + packetsFor(p.length), 0) });
  othersZero(k, REFUSAL_COUNTERS, []);
});
