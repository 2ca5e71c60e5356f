// conformance/tests/tx.ts — group tx: the DUT sends. As a client: requests of every size and
// their responses (§2.2), ids (§1.2), well-formed DATA (§1.4, §7), unscheduled priorities from
// the receiver's CUTOFFS (§3.3), acknowledgements (§3.6). As a server: replies, up to the largest
// message, and TX_DONE giving the send region back. Over IPv6 too, from several sockets at
// once, shortest first under load (SRPT, §3.4), and descriptors the NIC must refuse at
// transmit (a REQUEST past the largest message) or drop (a REPLY for no RPC). The peers are model NICs.

import { HomaType, type DataPacket } from '../../hw/homa/wire/index.ts';
import { RpcError } from '../../host-lib/errors.ts';
import type { Message } from '../../host-lib/message.ts';
import type { HomaSocket } from '../../host-lib/socket.ts';
import { CompletionType, SendFlag, SendOpcode, v4Mapped } from '../../hw/homa/abi.ts';
import { ERRNO } from '../../host-lib/errors.ts';
import { HostQueuePair, discoverLayout } from '../../host-lib/queue-pair.ts';
import { check, countersAre, equal, expectMessage, fail, pattern, sameBytes } from '../check.ts';
import { freeQueuePair, nextCompletion } from '../raw-queue-pair.ts';
import type { ConformanceCluster } from '../context.ts';
import { conformanceTest } from '../runner.ts';
import { SERVER_PORT, serve } from '../scenarios.ts';
import { UNSCHED_BYTES, maxPayload } from '../wire.ts';

/** DATA packets the DUT has sent, with their IP priority and checksum verdict. */
function dataSent(c: ConformanceCluster): { p: DataPacket; priority: number; checksumOk: boolean }[] {
  return c.sent().flatMap((d) => (d && d.packet.type === HomaType.DATA ? [{ p: d.packet, priority: d.ip.priority, checksumOk: d.checksumOk }] : []));
}

/** An echo server on host 1 and a client socket on the DUT. */
function echoSetUp(c: ConformanceCluster): HomaSocket {
  serve(c, 1, SERVER_PORT);
  return c.dut.socket();
}

/** The DUT calls the echo server with each of `sizes`, one after another; responses checked. */
async function echoCalls(c: ConformanceCluster, sizes: readonly number[], client: HomaSocket = echoSetUp(c)): Promise<Message[]> {
  const out = [];
  for (const [i, n] of sizes.entries()) {
    const want = pattern(i, n);
    const r = await client.call({ address: c.host(1).address, port: SERVER_PORT }, want, { cookie: BigInt(100 + i) });
    equal(`response ${i} kind`, r.kind, 'response');
    equal(`response ${i} peer`, r.peer, { address: c.host(1).address, port: SERVER_PORT });
    sameBytes(`response ${i} (${n} bytes, echoed)`, r, want);
    out.push(r);
  }
  return out;
}

conformanceTest('tx', 'a request and its response', '§2.2 (sendmsg request, recvmsg response)', async (ctx) => {
  const c = await ctx.cluster();
  const got = await echoCalls(c, [100]);
  ctx.recordMessages('responses', got);
});

conformanceTest('tx', 'requests of several sizes, up to the largest message', '§1.4 (geometry), §3.1 (unscheduled, then granted)', async (ctx) => {
  const c = await ctx.cluster();
  const got = await echoCalls(c, [1, maxPayload(4), maxPayload(4) + 1, UNSCHED_BYTES, UNSCHED_BYTES + 1, 200_000, 1_000_000]);
  ctx.recordMessages('responses', got);
});

conformanceTest('tx', 'client ids are even, start at 2 and step by 2', '§1.2 (next_outgoing_id = 2, step 2)', async (ctx) => {
  const c = await ctx.cluster();
  serve(c, 1, SERVER_PORT);
  const client = c.dut.socket();
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await client.send({ address: c.host(1).address, port: SERVER_PORT }, pattern(i, 10)));
  equal('ids of three requests', ids, [2n, 4n, 6n]);
  for (let i = 0; i < 3; i++) await expectMessage(client, `response ${i}`);
  ctx.record('ids', ids.map(String));
});

conformanceTest('tx', 'the DUT\'s DATA packets are well formed', '§1.2 (markers, doff), §1.4 (offsets, incoming, unscheduled boundary), §1.7 (checksum), §7 items 1-2', async (ctx) => {
  const c = await ctx.cluster();
  const sizes = [1, 5000, 100_000];
  await echoCalls(c, sizes);
  const data = dataSent(c);
  check(data.length > 0, 'the DUT sent no DATA');
  const per = maxPayload(4);
  for (const { p, checksumOk } of data) {
    const where = `DATA id ${p.sender_id} offset ${p.offset}`;
    check(checksumOk, `${where}: the Homa checksum does not verify (§1.7: a sender must produce it)`);
    equal(`${where}: flags, urgent, doff (§1.2, §7 item 1)`, [p.flags, p.urgent, p.doff], [0x06, 0xb97d, 14 << 4]);
    equal(`${where}: sequence = seg.offset (§7 item 2)`, p.sequence, p.seg.offset);
    check(p.sender_id % 2n === 0n, `${where}: a client's id is even (§1.2)`);
    check(p.payload.length >= 1 && p.payload.length <= per, `${where}: payload of ${p.payload.length} bytes (1..${per} on IPv4, MTU 1500)`);
    check(p.offset >= UNSCHED_BYTES || p.offset + p.payload.length <= UNSCHED_BYTES, `${where}: a packet never straddles the unscheduled limit (§1.4)`);
    const unsched = Math.min(UNSCHED_BYTES, p.message_length);
    check(p.incoming >= unsched && p.incoming <= p.message_length, `${where}: incoming ${p.incoming} must be at least min(unsched_bytes, length) = ${unsched} and at most the length (§1.4)`);
    equal(`${where}: retransmit (nothing was lost)`, p.retransmit, 0);
  }
  equal('message lengths sent', [...new Set(data.map((d) => d.p.message_length))].sort((a, b) => a - b), sizes);
});

conformanceTest('tx', 'unscheduled priorities follow the receiver\'s CUTOFFS', '§3.3 (level 6 before any CUTOFFS; then the highest level whose cutoff covers the length)', async (ctx) => {
  const c = await ctx.cluster();
  const client = echoSetUp(c);
  await echoCalls(c, [1], client);                  // the server's CUTOFFS comes back (version 0 -> 1)
  await echoCalls(c, [1, 5000], client);
  const data = dataSent(c);
  const levels = data.map((d) => [d.p.message_length, d.p.cutoff_version, d.priority]);
  // First request: no CUTOFFS yet: level 6, cutoff_version 0. Then the defaults [7]=200,
  // [6]=2800, [5]=15000 (§3.9): 1 byte at 7, 5,000 bytes at 5, with the server's version 1.
  equal('(length, cutoff_version, level) of each DATA packet', levels, [[1, 0, 6], [1, 1, 7], ...Array.from({ length: 4 }, () => [5000, 1, 5])]);
});

conformanceTest('tx', 'many requests in flight: every response comes back with its cookie', '§2.2 (completion cookies; shared responses)', async (ctx) => {
  const c = await ctx.cluster();
  serve(c, 1, SERVER_PORT);
  const client = c.dut.socket();
  const n = 20;
  const sizes = Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 30_000));
  for (let i = 0; i < n; i++) await client.send({ address: c.host(1).address, port: SERVER_PORT }, pattern(i, sizes[i]!), { cookie: BigInt(1000 + i) });
  const got = [];
  for (let i = 0; i < n; i++) {
    const r = await expectMessage(client, `response ${i + 1} of ${n}`);
    const k = Number(r.cookie) - 1000;
    check(k >= 0 && k < n, `a response with cookie ${r.cookie}, which no request had`);
    sameBytes(`response with cookie ${r.cookie}`, r, pattern(k, sizes[k]!));
    got.push(r);
  }
  equal('cookies returned', got.map((r) => Number(r.cookie)).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => 1000 + i));
  ctx.recordMessages('responses', got, 'content');      // the order they come back is the DUT's SRPT over what it had taken by then
});

conformanceTest('tx', 'a server on the DUT replies; TX_DONE gives the send region back', '§2.2 (reply), §3.6 (acked), ABI TX_DONE', async (ctx) => {
  const c = await ctx.cluster();
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const client = c.host(1).socket();
  const call = client.call({ address: c.dut.address, port: SERVER_PORT }, pattern(1, 500));
  const req = await expectMessage(server, 'the request');
  const answer = pattern(2, 100_000);
  await server.reply(req, answer);
  req.release();
  let response;
  try { response = await call; } catch (e) { fail(`the client's call failed: ${e instanceof RpcError ? e.message : String(e)}`); }
  sameBytes('the response at the client', response, answer);
  // The reply's bytes stay in the send region until the NIC says TX_DONE (the client acked, §3.6).
  for (let i = 0; i < 50 && server.info().sendBytesInUse > 0; i++) await c.sleep(1_000_000);
  equal('send-region bytes in use once the reply was acknowledged', server.info().sendBytesInUse, 0);
});

conformanceTest('tx', 'a response of 1,000,000 bytes from a server on the DUT', '§3.1 (the client grants; the DUT honours its GRANTs)', async (ctx) => {
  const c = await ctx.cluster();
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const client = c.host(1).socket();
  const call = client.call({ address: c.dut.address, port: SERVER_PORT }, pattern(3, 10));
  const req = await expectMessage(server, 'the request');
  const answer = pattern(4, 1_000_000);
  await server.reply(req, answer);
  req.release();
  const response = await call.catch((e: unknown) => fail(`the client's call failed: ${String(e)}`));
  sameBytes('the 1,000,000-byte response', response, answer);
  ctx.recordMessages('response at the client', [response]);
});

conformanceTest('tx', 'requests wait for send-region space and all complete', 'ABI send region (back-pressure, never loss), §2.2', async (ctx) => {
  const c = await ctx.cluster();
  serve(c, 1, SERVER_PORT, { answer: (b) => b.subarray(0, 8) });
  const client = c.dut.socket({ sendBytes: 1_000_000 });
  const sizes = [600_000, 600_000, 600_000];
  const calls = sizes.map((n, i) => client.call({ address: c.host(1).address, port: SERVER_PORT }, pattern(10 + i, n)));
  const got = await Promise.all(calls).catch((e: unknown) => fail(`a call failed: ${String(e)}`));
  got.forEach((r, i) => sameBytes(`response ${i}`, r, pattern(10 + i, sizes[i]!).subarray(0, 8)));
});

conformanceTest('tx', 'every response the DUT received is acknowledged', '§3.6 (piggy-backed acks, ACK packets, NEED_ACK -> ACK)', async (ctx) => {
  const c = await ctx.cluster();
  await echoCalls(c, [10, 20, 30]);
  await c.sleep(10_000_000);                        // the server's NEED_ACK comes after 2 ticks (§3.6)
  const acked = new Set<bigint>();
  for (const d of c.sent()) {
    if (!d) continue;
    const p = d.packet;
    if (p.type === HomaType.DATA && p.ack.client_id !== 0n) acked.add(p.ack.client_id);
    if (p.type === HomaType.ACK) { acked.add(p.sender_id); for (const a of p.acks) acked.add(a.client_id); }
  }
  equal('client ids the DUT acknowledged', [...acked].sort((a, b) => Number(a - b)), [2n, 4n, 6n]);
});

conformanceTest('tx', 'requests and responses over IPv6', '§1.1 (IPv6), §1.4 (geometry at the IPv6 MTU)', async (ctx) => {
  const c = await ctx.cluster({ ipv6: true });
  const got = await echoCalls(c, [1, maxPayload(6), maxPayload(6) + 1, 50_000]);
  const data = dataSent(c);
  check(data.length > 0 && data.every((d) => d.checksumOk), 'every DATA packet the DUT sent over IPv6 has a good checksum');
  check(data.every((d) => d.p.payload.length <= maxPayload(6)), `no DATA payload above the IPv6 MTU's ${maxPayload(6)} bytes`);
  ctx.recordMessages('responses', got);
});

conformanceTest('tx', 'several client sockets at once: each gets its own responses', '§2 (one socket per queue pair), §2.2', async (ctx) => {
  const c = await ctx.cluster();
  serve(c, 1, SERVER_PORT);
  const sockets = Array.from({ length: 4 }, () => c.dut.socket());
  const calls = sockets.flatMap((s, i) => [0, 1, 2].map((k) => s.call({ address: c.host(1).address, port: SERVER_PORT }, pattern(10 * i + k, 100 + 3000 * k + i))));
  const got = await Promise.all(calls).catch((e: unknown) => fail(`a call failed: ${String(e)}`));
  got.forEach((r, j) => sameBytes(`response ${j} (socket ${Math.floor(j / 3)})`, r, pattern(10 * Math.floor(j / 3) + (j % 3), 100 + 3000 * (j % 3) + Math.floor(j / 3))));
  const ids = got.map((r) => r.id);
  check(new Set(ids).size === ids.length && ids.every((id) => id % 2n === 0n), `client ids ${ids.join(', ')}: one counter for the host, so each id once, and even (§1.2)`);
  ctx.recordMessages('responses', got, 'content');      // which socket's request got which id is the DUT's order of taking them
});

conformanceTest('tx', 'under load the shortest request is sent first', '§3.4 (SRPT transmit: fewest bytes left first)', async (ctx) => {
  const c = await ctx.cluster();
  serve(c, 1, SERVER_PORT, { answer: (b) => b.subarray(0, 8) });
  const client = c.dut.socket();
  const to = { address: c.host(1).address, port: SERVER_PORT };
  // A long request first, then short ones while it is still going out: the short ones overtake it.
  const long = client.call(to, pattern(1, 400_000), { cookie: 1n });
  const order: string[] = [];
  void long.then(() => order.push('long'), () => order.push('long failed'));
  await c.sleep(20_000);
  const shorts = [2, 3, 4].map((k) => client.call(to, pattern(k, 2_000), { cookie: BigInt(k) }).then(() => { order.push(`short ${k}`); }));
  await Promise.all([long, ...shorts]).catch((e: unknown) => fail(`a call failed: ${String(e)}`));
  equal('the response that completed last', order.at(-1), 'long');
  equal('responses completed', [...order].sort(), ['long', 'short 2', 'short 3', 'short 4']);
});

conformanceTest('tx', 'packet differential: per message, the DUT sends the DATA packets the model sends', '§1.4 (segments, incoming), §3.1 (scheduled after GRANTs), §3.3 (levels, cutoff_version), §1.5 (IP priority)', async (ctx) => {
  const c = await ctx.cluster();
  // As a client: requests one after another (so ids are the same on every NIC), every size class.
  await echoCalls(c, [1, 1424, 1425, 9_000, 40_000, 40_001, 120_000]);
  // As a server: a reply of several grants' worth.
  const server = c.dut.socket({ port: SERVER_PORT + 1, server: true });
  const call = c.host(1).socket().call({ address: c.dut.address, port: SERVER_PORT + 1 }, pattern(7, 10));
  const req = await expectMessage(server, 'the request');
  await server.reply(req, pattern(8, 150_000));
  req.release();
  await call.catch((e: unknown) => fail(`the call to the DUT's server failed: ${String(e)}`));
  await c.settle();
  // Every DATA packet, by message (sender id, length), in offset order; fields that depend on
  // timing (piggy-backed acks) left out, a retransmission would show.
  const per = new Map<string, string[]>();
  for (const { p, priority, checksumOk } of dataSent(c)) {
    const key = `id ${p.sender_id} (${p.message_length} B)`;
    const l = per.get(key) ?? [];
    l.push(`${p.offset}+${p.payload.length} incoming=${p.incoming} level=${priority} cutoff_version=${p.cutoff_version} retransmit=${p.retransmit} checksum=${checksumOk ? 'ok' : 'BAD'}`);
    per.set(key, l);
  }
  const out: Record<string, string[]> = {};
  for (const k of [...per.keys()].sort()) out[k] = per.get(k)!.sort((a, b) => Number(a.split('+')[0]) - Number(b.split('+')[0]));
  check(Object.keys(out).length === 8, `DATA for ${Object.keys(out).length} messages (8 sent)`);
  ctx.record('DATA packets per message', out);
  // The send side's counters (control packets aside: how acks travel differs, §3.6).
  const k = c.counters();
  const names = ['packets_sent_DATA', 'sent_msg_bytes', 'client_requests_started', 'server_responses_started', ...Array.from({ length: 7 }, (_, i) => `priority${i}_packets`)];
  ctx.record('send counters', Object.fromEntries(names.map((n) => [n, Number(k[n] ?? -1)])));
  check((k['packets_sent_DATA'] ?? 0) > 0 && k['sent_msg_bytes'] === 1 + 1424 + 1425 + 9_000 + 40_000 + 40_001 + 120_000 + 150_000, `sent_msg_bytes ${k['sent_msg_bytes']}: every payload byte sent once`);
});

/** A queue pair of the DUT enabled by hand (port, SERVER bit, send region), for descriptors host-lib would never post. */
function rawQueuePair(c: ConformanceCluster, port: number, server: boolean, sendBytes: number): HostQueuePair {
  const qp = new HostQueuePair(c.dutDevice, discoverLayout(c.dutDevice), freeQueuePair(c).index, c.identity().minRegionBpages, sendBytes);
  qp.enable(port, server);
  return qp;
}

conformanceTest('tx', 'a REPLY naming no RPC of the DUT is dropped: TX_DONE at once, nothing sent', '§2.2 (a reply whose RPC is gone is silently ignored, as homa_sendmsg does), records.ts TX_DONE', async (ctx) => {
  const c = await ctx.cluster();
  const qp = rawQueuePair(c, 501, true, 4096);
  const peer = v4Mapped(c.sim.device(1).address);
  qp.postSend({ opcode: SendOpcode.REPLY, flags: SendFlag.NOTIFY_TX_DONE, id: 99n, length: 10, send_offset: 0, dport: 40000, peer_addr: peer });
  const x = await nextCompletion(c, qp, 'the REPLY for id 99');
  equal('completion for the REPLY (type, error, id, peer port)', [x.type, x.error, x.id, x.peerPort], [CompletionType.TX_DONE, 0, 99n, 40000]);
  await c.settle();
  equal('frames the DUT sent', c.sent().length, 0);
  countersAre(c.counters(), { bad_descriptors: 0 });
  qp.disable();
});

conformanceTest('tx', 'a REQUEST longer than the largest message is refused', 'records.ts sendDescriptor (length 1..1,000,000, spec §2.2), bad_descriptors', async (ctx) => {
  const c = await ctx.cluster();
  const qp = rawQueuePair(c, 502, false, 1_100_000);
  const peer = v4Mapped(c.sim.device(1).address);
  qp.postSend({ opcode: SendOpcode.REQUEST, length: 1_000_001, send_offset: 0, dport: SERVER_PORT, peer_addr: peer, cookie: 77n });
  const x = await nextCompletion(c, qp, 'the 1,000,001-byte REQUEST');
  equal('completion for the REQUEST (type, error, cookie)', [x.type, x.error, x.cookie], [CompletionType.ERROR, ERRNO.EINVAL, 77n]);
  await c.settle();
  equal('frames the DUT sent', c.sent().length, 0);
  qp.disable();
});

