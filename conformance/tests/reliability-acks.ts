// conformance/tests/reliability-acks.ts — group reliability, continued: how RPCs end (spec
// §3.6: a server keeps its response until the client's ACK and asks for it with NEED_ACK; an
// ack piggy-backed on a later DATA; at-most-once after the ACK), and the faults and times of
// §3.5 seen from outside (corrupted frames, loss towards a server, when ETIMEDOUT comes).

import { HomaType, ackPacket, bareControl, resendPacket, type DataPacket } from '../../hw/homa/wire/index.ts';
import { RpcError } from '../../host-lib/errors.ts';
import { hostAddress } from '../../sim/net/frame.ts';
import { check, equal, fail, pattern, sameBytes } from '../check.ts';
import type { ConformanceCluster } from '../context.ts';
import { conformanceTest } from '../runner.ts';
import { SERVER_PORT, serve } from '../scenarios.ts';
import { maxPayload, type WirePeer } from '../wire.ts';

const CLIENT_PORT = 40_002;
const TICK_NS = 1_000_000;                 // tick_usecs (HomaModule's 1 ms)
const TIMEOUT_TICKS = 100;                 // timeout_ticks' default (§3.5)

/** Packets of `type` the DUT has sent with `senderId`, decoded from its link. */
function sentFor<T extends { type: number; sender_id: bigint }>(c: ConformanceCluster, type: number, senderId: bigint): T[] {
  return c.sent().flatMap((d) => (d && d.packet.type === type && d.packet.sender_id === senderId ? [d.packet as unknown as T] : []));
}

/** Bytes of DATA for RPC `senderId` the DUT has sent (first transmissions and retransmissions). */
function dataSent(c: ConformanceCluster, senderId: bigint, retransmitted: boolean): number {
  return sentFor<DataPacket>(c, HomaType.DATA, senderId).filter((p) => (p.retransmit !== 0) === retransmitted).reduce((n, p) => n + p.payload.length, 0);
}

/** Inject a request from the wire peer (client id `clientId`) and wait until the DUT's server has sent its whole response. */
async function answered(c: ConformanceCluster, w: WirePeer, clientId: bigint, bytes: Uint8Array, fields: Partial<DataPacket> = {}): Promise<void> {
  await c.inject(w.messageFrames(CLIENT_PORT, SERVER_PORT, clientId, bytes, fields));
  for (let waited = 0; dataSent(c, clientId ^ 1n, false) < bytes.length; waited += 100_000) {
    if (waited > 20 * TICK_NS) fail(`the server on the DUT did not answer request ${clientId} within 20 ms (${dataSent(c, clientId ^ 1n, false)} of ${bytes.length} response bytes sent)`);
    await c.sleep(100_000);
  }
}

conformanceTest('reliability', 'a server keeps its response until the client\'s ACK, and asks for it with NEED_ACK', '§3.6 (server keeps the RPC until acked; NEED_ACK after request_ack_ticks, then every tick)', async (ctx) => {
  const c = await ctx.cluster();
  serve(c, 0, SERVER_PORT);
  const w = c.wirePeer();
  const req = pattern(11, 3000);
  await answered(c, w, 2n, req);
  await c.sleep(5 * TICK_NS);
  const asked = sentFor(c, HomaType.NEED_ACK, 3n).length;
  check(asked >= 2, `expected NEED_ACK for the answered RPC (id 3) after request_ack_ticks and at each tick after; 5 ticks later the DUT had sent ${asked}`);
  // The response is still there: a RESEND for it is served from it, not answered with RPC_UNKNOWN.
  await c.inject(w.frame(resendPacket(CLIENT_PORT, SERVER_PORT, 2n, 0, req.length, 7)));
  await c.settle();
  equal('response bytes retransmitted for a RESEND before the ACK', dataSent(c, 3n, true), req.length);
  equal('RPC_UNKNOWN sent before the ACK', sentFor(c, HomaType.RPC_UNKNOWN, 3n).length, 0);
  // The client's ACK ends it: no more NEED_ACK.
  await c.inject(w.frame(ackPacket(CLIENT_PORT, SERVER_PORT, 2n, [])));
  await c.settle();
  const atAck = sentFor(c, HomaType.NEED_ACK, 3n).length;
  await c.sleep(5 * TICK_NS);
  equal('NEED_ACK sent in the 5 ticks after the ACK', sentFor(c, HomaType.NEED_ACK, 3n).length - atAck, 0);
});

conformanceTest('reliability', 'a duplicate of an acknowledged request is dropped, not run again', '§3.6 (at-most-once: the acknowledged id is remembered for timeout_ticks)', async (ctx) => {
  const c = await ctx.cluster();
  const server = serve(c, 0, SERVER_PORT);
  const w = c.wirePeer();
  const req = pattern(12, 900);
  await answered(c, w, 2n, req);
  await c.inject(w.frame(ackPacket(CLIENT_PORT, SERVER_PORT, 2n, [])));
  await c.settle();
  const before = c.counters()['packet_discards'] ?? 0;
  await c.inject(w.messageFrames(CLIENT_PORT, SERVER_PORT, 2n, req));        // the request again, as a late duplicate
  await c.sleep(2 * TICK_NS);
  equal('times the server ran the request', [...server.executions.values()], [1]);
  equal('packet_discards for the duplicate', (c.counters()['packet_discards'] ?? 0) - before, 1);
  equal('response bytes sent in all', dataSent(c, 3n, false), req.length);
  // The RPC itself is gone: a RESEND for it is answered with RPC_UNKNOWN.
  await c.inject(w.frame(resendPacket(CLIENT_PORT, SERVER_PORT, 2n, 0, req.length, 7)));
  await c.settle();
  equal('RPC_UNKNOWN for a RESEND after the ACK', sentFor(c, HomaType.RPC_UNKNOWN, 3n).length, 1);
});

conformanceTest('reliability', 'an ack carried by the next request ends the earlier server RPC', '§3.6 (one ack piggy-backed on each DATA)', async (ctx) => {
  const c = await ctx.cluster();
  serve(c, 0, SERVER_PORT);
  const w = c.wirePeer();
  await answered(c, w, 2n, pattern(13, 500));
  await answered(c, w, 4n, pattern(14, 500), { ack: { client_id: 2n, server_port: SERVER_PORT } });
  await c.sleep(5 * TICK_NS);
  equal('NEED_ACK for the RPC acknowledged by the next request (id 3)', sentFor(c, HomaType.NEED_ACK, 3n).length, 0);
  check(sentFor(c, HomaType.NEED_ACK, 5n).length > 0, 'the DUT sent no NEED_ACK for the RPC nobody acknowledged (id 5)');
});

conformanceTest('reliability', 'loss towards a server: lost response packets are resent, each request runs once', '§3.5 (RESEND, retransmission from the kept response), §3.6 (at-most-once)', async (ctx) => {
  const c = await ctx.cluster({ faults: { drop: 0.1 }, seed: 7 });
  const server = serve(c, 0, SERVER_PORT, { answer: (b) => b.slice().reverse() });
  const client = c.host(1).socket();
  for (let i = 0; i < 12; i++) {
    const want = pattern(300 + i, 1 + ((i * 104_729) % 40_000));
    const r = await client.call({ address: c.dut.address, port: SERVER_PORT }, want).catch((e: unknown) => fail(`call ${i} (${want.length} bytes) to the DUT's server failed under 10 % loss: ${String(e)}`));
    sameBytes(`response ${i}`, r, want.slice().reverse());
    r.release();
  }
  check(c.sim.network.lossCounters().faultDrops > 0, 'the scenario needs frames lost on the DUT\'s link');
  equal('requests the DUT\'s server ran', server.executions.size, 12);
  equal('requests run more than once', [...server.executions].filter(([, n]) => n !== 1), []);
});

conformanceTest('reliability', 'corrupted frames on the DUT\'s link are dropped and counted, and every RPC completes both ways', '§3.5 (loss recovery), §1.7 (a frame that fails its checksum changes nothing)', async (ctx) => {
  // Damaged before the FCS (a bad buffer on the way): only the IP and Homa checksums catch it.
  // One bit a frame: a ones' complement sum always sees a single flipped bit.
  const c = await ctx.cluster({ faults: { corrupt: 0.1, corruptBits: 1, corruptBeforeFcs: true }, seed: 9 });
  serve(c, 1, SERVER_PORT);
  const server = serve(c, 0, SERVER_PORT + 1);
  const out = c.dut.socket();
  const inb = c.host(1).socket();
  for (let i = 0; i < 8; i++) {
    const a = pattern(400 + i, 1 + ((i * 7_919) % 30_000));
    const r1 = await out.call({ address: c.host(1).address, port: SERVER_PORT }, a).catch((e: unknown) => fail(`DUT client call ${i} failed under 10 % corruption: ${String(e)}`));
    sameBytes(`response ${i} to the DUT`, r1, a);
    r1.release();
    const b = pattern(500 + i, 1 + ((i * 15_485) % 30_000));
    const r2 = await inb.call({ address: c.dut.address, port: SERVER_PORT + 1 }, b).catch((e: unknown) => fail(`call ${i} to the DUT's server failed under 10 % corruption: ${String(e)}`));
    sameBytes(`response ${i} from the DUT`, r2, b);
    r2.release();
  }
  const k = c.counters();
  const caught = (k['bad_checksums'] ?? 0) + (k['bad_ip_headers'] ?? 0);
  check(caught > 0, `the scenario needs damaged frames reaching the DUT and caught by a checksum (bad_checksums ${k['bad_checksums']}, bad_ip_headers ${k['bad_ip_headers']})`);
  equal('requests run more than once', [...server.executions].filter(([, n]) => n !== 1), []);
});

conformanceTest('reliability', 'ETIMEDOUT comes timeout_ticks after the peer went silent, not sooner and not much later', '§3.5 (silent_ticks >= timeout_ticks: ETIMEDOUT)', async (ctx) => {
  const c = await ctx.cluster();
  const client = c.dut.socket();
  const silent = [...hostAddress(51).ipv4].join('.');
  const start = c.now();
  try {
    await client.call({ address: silent, port: SERVER_PORT }, pattern(2, 200));
    fail('a call to a host that does not exist returned a response');
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    equal('the error', e.code, 'ETIMEDOUT');
  }
  const ms = (c.now() - start) / 1e6;
  // Silence is counted from the first whole tick after the request left: timeout_ticks to timeout_ticks + 2 ticks.
  check(ms >= TIMEOUT_TICKS - 1 && ms <= TIMEOUT_TICKS + 3, `ETIMEDOUT came after ${ms.toFixed(2)} ms; timeout_ticks (${TIMEOUT_TICKS}) of ${TICK_NS / 1e6} ms ticks puts it between ${TIMEOUT_TICKS - 1} and ${TIMEOUT_TICKS + 3} ms`);
});

conformanceTest('reliability', 'RPC_UNKNOWN from the server: the client sends its request again from byte 0', '§3.5 (RPC_UNKNOWN at a client still sending: retransmit everything sent, unscheduled priority)', async (ctx) => {
  const c = await ctx.cluster();
  const w = c.wirePeer();
  const client = c.dut.socket();
  const req = pattern(21, 2 * maxPayload(4) + 100);                  // three packets
  const call = client.call({ address: [...w.address].join('.'), port: SERVER_PORT }, req);
  call.catch(() => undefined);                                       // awaited below
  await c.sleep(200_000);
  const first = c.sent().flatMap((d) => (d && d.packet.type === HomaType.DATA ? [d.packet as DataPacket] : []));
  check(first.length === 3, `expected the request's 3 DATA packets on the wire, saw ${first.length}`);
  const id = first[0]!.sender_id;
  await c.inject(w.frame(bareControl(HomaType.RPC_UNKNOWN, SERVER_PORT, client.port, id ^ 1n)));
  await c.settle();
  const again = sentFor<DataPacket>(c, HomaType.DATA, id).filter((p) => p.retransmit !== 0);
  equal('request packets sent again (offsets)', again.map((p) => p.offset).sort((a, b) => a - b), first.map((p) => p.offset).sort((a, b) => a - b));
  equal('request bytes sent again', again.reduce((n, p) => n + p.payload.length, 0), req.length);
  const resp = pattern(22, 700);
  await c.inject(w.messageFrames(SERVER_PORT, client.port, id ^ 1n, resp));
  const r = await call.catch((e: unknown) => fail(`the call failed after its restart: ${String(e)}`));
  sameBytes('the response', r, resp);
});

conformanceTest('reliability', 'two NICs under test on a faulty wire: RPCs both ways complete, each once', '§3.5 (loss, duplication, reordering recovered end to end), §3.6 (at-most-once)', async (ctx) => {
  const c = await ctx.cluster({ dutPeers: [1], faults: { drop: 0.05, duplicate: 0.05, reorder: 0.05, reorderDelayPs: 2_000_000 }, seed: 11 });
  const servers = [serve(c, 0, SERVER_PORT), serve(c, 1, SERVER_PORT, { answer: (b) => b.slice().reverse() })];
  const calls: Promise<void>[] = [];
  for (const [from, to] of [[0, 1], [1, 0]] as const) {
    const client = c.host(from).socket();
    calls.push((async () => {
      for (let i = 0; i < 6; i++) {
        const want = pattern(600 + 10 * from + i, 1 + ((i * 48_271) % 30_000));
        const r = await client.call({ address: c.host(to).address, port: SERVER_PORT }, want).catch((e: unknown) => fail(`host ${from} -> ${to} call ${i} failed: ${String(e)}`));
        sameBytes(`host ${from} -> ${to} response ${i}`, r, to === 1 ? want.slice().reverse() : want);
        r.release();
      }
    })());
  }
  await Promise.all(calls);
  const link = c.sim.network.cable('host0');
  const faults = [link.forward, link.reverse].reduce((n, l) => n + l.counters.droppedByFault + l.counters.duplicated + l.counters.reordered, 0);
  check(faults > 0, 'the scenario needs frames lost, duplicated or reordered on the wire');
  for (const [h, s] of servers.entries()) {
    equal(`requests host ${h}'s server ran`, s.executions.size, 6);
    equal(`requests host ${h}'s server ran more than once`, [...s.executions].filter(([, n]) => n !== 1), []);
  }
});
