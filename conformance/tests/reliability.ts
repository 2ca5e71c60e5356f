// conformance/tests/reliability.ts — group reliability (spec §3.5, §3.6, §4): loss, duplication
// and reordering on the DUT's link with recovery by RESEND; timeouts ending in ETIMEDOUT; RESEND
// for gaps; the restart of a message that waited for bpages; BUSY for a slow server; the
// unknown-RPC rules (RPC_UNKNOWN, unknown_rpcs); NEED_ACK answered with ACK; at-most-once.

import { BPAGE_SIZE } from '../../hw/homa/abi.ts';
import { HomaType, RESEND_ALL, bareControl, grantPacket, resendPacket, type ResendPacket } from '../../hw/homa/wire/index.ts';
import { RpcError } from '../../host-lib/errors.ts';
import { hostAddress } from '../../sim/net/frame.ts';
import { check, countersAre, equal, expectMessage, fail, pattern, sameBytes } from '../check.ts';
import type { ConformanceCluster } from '../context.ts';
import { conformanceTest } from '../runner.ts';
import { SERVER_PORT, sendRequests, serve, takeRequests, type PlannedRequest } from '../scenarios.ts';
import { maxPayload } from '../wire.ts';

const CLIENT_PORT = 40_001;

/** Packets of `type` the DUT has sent, decoded from its link. */
function sentOfType<T extends { type: number }>(c: ConformanceCluster, type: number): T[] {
  return c.sent().flatMap((d) => (d && d.packet.type === type ? [d.packet as unknown as T] : []));
}

conformanceTest('reliability', 'loss on the DUT\'s link: every RPC completes', '§3.5 (RESEND after silence, retransmission)', async (ctx) => {
  const c = await ctx.cluster({ faults: { drop: 0.05 }, seed: 3 });
  serve(c, 1, SERVER_PORT);
  const client = c.dut.socket();
  for (let i = 0; i < 16; i++) {
    const want = pattern(i, 1 + ((i * 15_485_863) % 60_000));
    const r = await client.call({ address: c.host(1).address, port: SERVER_PORT }, want).catch((e: unknown) => fail(`call ${i} (${want.length} bytes) failed under 5 % loss: ${String(e)}`));
    sameBytes(`response ${i}`, r, want);
    r.release();
  }
  check(c.sim.network.lossCounters().faultDrops > 0, 'the scenario needs frames lost on the DUT\'s link (raise the loss rate or the traffic)');
});

conformanceTest('reliability', 'duplication and reordering: a server on the DUT runs each request exactly once', '§3.5 (duplicates dropped), §3.6 (at-most-once)', async (ctx) => {
  const c = await ctx.cluster({ hosts: 3, faults: { duplicate: 0.1, reorder: 0.1, reorderDelayPs: 3_000_000 }, seed: 5 });
  const server = serve(c, 0, SERVER_PORT, { answer: (b) => b.slice().reverse() });
  const calls: Promise<void>[] = [];
  for (const host of [1, 2]) {
    const client = c.host(host).socket();
    calls.push((async () => {
      for (let i = 0; i < 8; i++) {
        const want = pattern(100 * host + i, 1 + ((i * 7919) % 50_000));
        const r = await client.call({ address: c.dut.address, port: SERVER_PORT }, want).catch((e: unknown) => fail(`host ${host} call ${i} failed: ${String(e)}`));
        sameBytes(`host ${host} response ${i}`, r, want.slice().reverse());
        r.release();
      }
    })());
  }
  await Promise.all(calls);
  const link = c.sim.network.cable('host0');
  const faults = [link.forward, link.reverse].reduce((n, l) => n + l.counters.duplicated + l.counters.reordered, 0);
  check(faults > 0, 'the scenario needs frames duplicated or reordered on the DUT\'s link');
  equal('requests the DUT\'s server ran', server.executions.size, 16);
  const twice = [...server.executions].filter(([, n]) => n !== 1);
  equal('requests run more than once (at-most-once, §3.6)', twice, []);
});

conformanceTest('reliability', 'a request to a host that never answers ends in ETIMEDOUT', '§3.5 (timeout_ticks), §2.2 (ETIMEDOUT through recvmsg)', async (ctx) => {
  const c = await ctx.cluster();
  const client = c.dut.socket();
  const silent = [...hostAddress(50).ipv4].join('.');           // no host of the cluster has it
  try {
    const r = await client.call({ address: silent, port: SERVER_PORT }, pattern(1, 100), { cookie: 77n });
    fail(`a call to a host that does not exist returned a ${r.length}-byte response`);
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    equal('the failed RPC\'s error', e.code, 'ETIMEDOUT');
    equal('the failed RPC\'s cookie', e.cookie, 77n);
  }
  check(sentOfType<ResendPacket>(c, HomaType.RESEND).length > 0, 'the DUT gave up without ever sending RESEND (§3.5: RESEND after resend_ticks of silence)');
});

conformanceTest('reliability', 'a missing packet is asked for with RESEND, and the message completes', '§3.5 (RESEND for every gap after resend_ticks)', async (ctx) => {
  const c = await ctx.cluster();
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const w = c.wirePeer();
  const per = maxPayload(4);
  const bytes = pattern(5, 5 * per);
  const frames = w.messageFrames(CLIENT_PORT, SERVER_PORT, 2n, bytes);
  await c.inject([frames[0]!, frames[1]!, frames[3]!, frames[4]!]);
  await c.sleep(20_000_000);                          // 20 ticks of silence
  const resends = sentOfType<ResendPacket>(c, HomaType.RESEND);
  const covers = resends.some((r) => r.sender_id === 3n && r.offset <= 2 * per && r.offset + r.length >= 3 * per);
  check(covers, `expected a RESEND for id 3 covering the missing bytes [${2 * per}, ${3 * per}); the DUT sent ${resends.length} RESEND(s): ${resends.map((r) => `[${r.offset}, +${r.length})`).join(' ') || 'none'}`);
  await c.inject(frames[2]!);
  sameBytes('the request', await expectMessage(server, 'the request, once the missing packet came'), bytes);
});

conformanceTest('reliability', 'a request refused for lack of bpages is restarted by RESEND once bpages return', '§4 (waiting list; RESEND(0, all) at num_priorities - 2)', async (ctx) => {
  const c = await ctx.cluster();
  const bpages = ctx.dutIdentity.minRegionBpages;
  const server = c.dut.socket({ port: SERVER_PORT, server: true, regionBytes: bpages * BPAGE_SIZE });
  const fill: PlannedRequest[] = Array.from({ length: bpages }, (_, key) => ({ host: 1, length: BPAGE_SIZE / 2 + 1, key }));
  const held = await takeRequests(server, await sendRequests(c, fill), 'requests filling the region (held)');
  const [waiting] = await sendRequests(c, [{ host: 1, length: 40_000, key: 500 }]);
  await c.settle();
  const k = c.counters();
  check(k['buffer_alloc_failures'] === 1, `the scenario needs the last request refused for lack of bpages (buffer_alloc_failures ${k['buffer_alloc_failures']})`);
  for (const m of held) m.release();
  server.info();                                     // the returns go to the NIC (§2.2)
  await takeRequests(server, [waiting!], 'the request that waited for bpages');
  const restart = sentOfType<ResendPacket>(c, HomaType.RESEND).filter((r) => r.sender_id === (waiting!.clientId ^ 1n));
  check(restart.some((r) => r.offset === 0 && r.length === RESEND_ALL), `expected RESEND(0, 0xFFFFFFFF) for the restarted request (§4); sent: ${restart.map((r) => `(${r.offset}, ${r.length})`).join(' ') || 'none'}`);
});

conformanceTest('reliability', 'a sender that stops mid-message: its RPC is discarded after timeout_ticks and its bpages come back', '§3.5 (timeout_ticks: server RPC discarded), §4 (bpages of a discarded message)', async (ctx) => {
  const c = await ctx.cluster();
  const bpages = ctx.dutIdentity.minRegionBpages;
  const server = c.dut.socket({ port: SERVER_PORT, server: true, regionBytes: bpages * BPAGE_SIZE });
  // 15 bpages' worth of request, of which only the first packet ever comes: the DUT takes its
  // bpages, grants more and asks with RESEND, and nobody answers.
  const w = c.wirePeer();
  const dead = w.messageFrames(CLIENT_PORT, SERVER_PORT, 2n, pattern(9, 15 * BPAGE_SIZE))[0]!;
  await c.inject(dead);
  await c.sleep(150_000_000);                         // past timeout_ticks (100 ms)
  const k = c.counters();
  check(k['server_rpc_discards'] === 1, `expected the dead sender's RPC discarded once after timeout_ticks (server_rpc_discards ${k['server_rpc_discards']}, rpc_timeouts ${k['rpc_timeouts']})`);
  check(sentOfType<ResendPacket>(c, HomaType.RESEND).some((r) => r.sender_id === 3n), 'the DUT discarded the RPC without ever asking for the rest with RESEND (§3.5)');
  // Every bpage of the region is needed now: a request a bpage, from a live client.
  const fill: PlannedRequest[] = Array.from({ length: bpages }, (_, key) => ({ host: 1, length: BPAGE_SIZE / 2 + 1, key }));
  const got = await takeRequests(server, await sendRequests(c, fill), `${bpages} requests of a bpage each after the discard (the dead message's bpages must have come back)`);
  for (const m of got) m.release();
});

conformanceTest('reliability', 'a slow server answers RESEND with BUSY, and its client does not time out', '§3.5 (BUSY from a server with no response yet)', async (ctx) => {
  const c = await ctx.cluster();
  serve(c, 0, SERVER_PORT, { delayNs: 150_000_000 });  // longer than timeout_ticks (100 ms)
  const client = c.host(1).socket();
  const want = pattern(7, 800);
  const r = await client.call({ address: c.dut.address, port: SERVER_PORT }, want).catch((e: unknown) => fail(`the client gave up on a server that is only slow: ${String(e)}`));
  sameBytes('the late response', r, want);
  check(sentOfType(c, HomaType.BUSY).length > 0, 'the DUT sent no BUSY, yet its client waited 150 ms (§3.5)');
});

conformanceTest('reliability', 'RESEND for an RPC the DUT does not have is answered with RPC_UNKNOWN', '§3.5 (homa_resend_pkt: unknown RPC -> RPC_UNKNOWN)', async (ctx) => {
  const c = await ctx.cluster();
  c.dut.socket({ port: SERVER_PORT, server: true });
  const w = c.wirePeer();
  await c.inject(w.frame(resendPacket(CLIENT_PORT, SERVER_PORT, 1000n, 0, 5000, 7)));
  const unknown = c.sent().filter((d) => d?.packet.type === HomaType.RPC_UNKNOWN).map((d) => d!.packet);
  equal('RPC_UNKNOWN packets sent', unknown.length, 1);
  equal('RPC_UNKNOWN (sender_id, sport, dport)', [unknown[0]!.sender_id, unknown[0]!.sport, unknown[0]!.dport], [1001n, SERVER_PORT, CLIENT_PORT]);
});

conformanceTest('reliability', 'unknown_rpcs counts packets dropped for naming no RPC, not a RESEND that is answered', 'HomaModule homa_dispatch_pkts and homa_metrics.h unknown_rpcs (§3.5, §5)', async (ctx) => {
  const c = await ctx.cluster();
  c.dut.socket({ port: SERVER_PORT, server: true });
  const client = c.dut.socket();
  const w = c.wirePeer();
  await c.inject([
    // To the server socket, naming a server RPC (client id 1000) the DUT does not have:
    w.frame(bareControl(HomaType.RPC_UNKNOWN, CLIENT_PORT, SERVER_PORT, 1000n)),   // dropped: counted
    w.frame(bareControl(HomaType.BUSY, CLIENT_PORT, SERVER_PORT, 1000n)),          // dropped: counted
    w.frame(grantPacket(CLIENT_PORT, SERVER_PORT, 1000n, 50_000, 0)),              // GRANT to a server: not counted
    w.frame(resendPacket(CLIENT_PORT, SERVER_PORT, 1000n, 0, 100, 7)),             // answered (RPC_UNKNOWN): not counted
    // To the client socket, naming a client RPC (id 20) the DUT does not have:
    w.frame(grantPacket(SERVER_PORT, client.port, 21n, 50_000, 0)),                // GRANT to a client: counted
  ]);
  countersAre(c.counters(), { unknown_rpcs: 3 });
});

conformanceTest('reliability', 'NEED_ACK for an RPC the DUT no longer has is answered with ACK', '§3.6 (client on NEED_ACK)', async (ctx) => {
  const c = await ctx.cluster();
  const client = c.dut.socket();
  const w = c.wirePeer();
  // A server (the wire peer, port 500) asks about its RPC 7, i.e. the DUT's client RPC 6.
  await c.inject(w.frame(bareControl(HomaType.NEED_ACK, 500, client.port, 7n)));
  const acks = c.sent().filter((d) => d?.packet.type === HomaType.ACK).map((d) => d!.packet);
  equal('ACK packets sent', acks.length, 1);
  equal('ACK (sender_id, sport, dport)', [acks[0]!.sender_id, acks[0]!.sport, acks[0]!.dport], [6n, client.port, 500]);
});
