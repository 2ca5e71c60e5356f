// host-lib/info.test.ts — HOMAIOCINFO as Linux reports it (§2.1 homa_rpc_info): every RPC of
// the socket, client and server, with tx_length / tx_sent / rx_length / rx_remaining / rx_gaps
// and the flags, including server RPCs the application has not seen yet (stalled for bpages).
import { expect, test } from 'vitest';
import { MIN_REGION_BYTES } from './homa-device.ts';
import type { Message } from './message.ts';
import { RpcFlag } from './socket-info.ts';
import { keyedBytes, twoHosts } from './testing.ts';

test('a server holding its region full lists the RPCs stalled for buffer space with BUF_STALL', async () => {
  const h = twoHosts({}, { regionBytes: MIN_REGION_BYTES }, { sendBytes: 32 << 20 });
  for (let k = 0; k < 80; k++) await h.client.send(h.dest, keyedBytes(k, 200_000), { cookie: BigInt(k) });
  const held: Message[] = [];
  for (;;) {
    try { held.push(await h.server.receive({ timeoutNs: 5e6 })); } catch { break; }
  }
  const info = h.server.info();
  expect(info.nicDetail).toBe(true);
  expect(info.numRpcs).toBe(80);
  const stalled = info.rpcs.filter((r) => r.flags & RpcFlag.BUF_STALL);
  expect(stalled.length).toBe(80 - held.length - info.rpcs.filter((r) => r.state === 'incoming' && !(r.flags & RpcFlag.BUF_STALL)).length);
  expect(stalled.length).toBeGreaterThan(60);
  for (const r of stalled) expect(r).toMatchObject({ role: 'server', state: 'incoming', rxLength: 200_000, rxRemaining: 200_000, txLength: -1 });
  expect(info.rpcs.filter((r) => r.state === 'in-service').length).toBe(held.length);

  // The client sees its 80 requests sent in full, each awaiting a response.
  const ci = h.client.info();
  expect(ci.numRpcs).toBe(80);
  expect(ci.rpcs.every((r) => r.role === 'client' && r.txLength === 200_000 && r.rxLength === -1)).toBe(true);
  expect(ci.rpcs.map((r) => r.cookie).sort((a, b) => Number(a - b))).toEqual(Array.from({ length: 80 }, (_, k) => BigInt(k)));
});

test('a response complete but not yet received is listed with RX_READY; a private RPC with PRIVATE', async () => {
  const h = twoHosts();
  const id = await h.client.send(h.dest, 'x', { cookie: 9n });
  const pid = await h.client.send(h.dest, 'y', { private: true });
  for (let i = 0; i < 2; i++) { const r = await h.server.receive(); await h.server.reply(r, 'answer'); r.release(); }
  await h.cluster.sleep(1e6);
  const rpcs = h.client.info().rpcs;
  expect(rpcs.find((r) => r.id === id)).toMatchObject({ state: 'ready', cookie: 9n, rxLength: 6, rxRemaining: 0, flags: RpcFlag.RX_READY });
  expect(rpcs.find((r) => r.id === pid)).toMatchObject({ state: 'ready', private: true, flags: RpcFlag.RX_READY | RpcFlag.PRIVATE });
  (await h.client.receive()).release();
  (await h.client.receive({ id: pid })).release();
  expect(h.client.info().numRpcs).toBe(0);
});

test('a reply being sent is listed (outgoing, tx_sent) until the client acknowledges it', async () => {
  const h = twoHosts();
  const call = h.client.call(h.dest, 'x');
  const req = await h.server.receive();
  await h.server.reply(req, new Uint8Array(1_000_000));
  req.release();
  await h.cluster.sleep(2000);                                         // the NIC has taken the REPLY and is sending
  const r = h.server.info().rpcs[0]!;
  expect(r).toMatchObject({ id: req.id, role: 'server', state: 'outgoing', txLength: 1_000_000 });
  expect(r.txSent).toBeLessThan(1_000_000);
  (await call).release();
  await h.cluster.sleep(20e6);
  expect(h.server.info().numRpcs).toBe(0);
});
