// host-lib/socket.test.ts — every call of the socket API over the sim backend (spec §2).
import { describe, expect, test } from 'vitest';
import { HomaError, RpcError, SocketClosedError } from './errors.ts';
import { SimCluster } from './backends/sim.ts';
import { FIRST_AUTOMATIC_PORT, HomaDevice } from './homa-device.ts';
import type { Message } from './message.ts';
import { keyOf, keyedBytes, serve, twoHosts } from './testing.ts';

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('call and reply', () => {
  for (const [req, resp] of [[1, 1], [1400, 65536], [65537, 20], [300_000, 1_000_000]] as const) {
    test(`call ${req} B -> ${resp} B returns the right bytes as bpage views (§2.2, §4)`, async () => {
      const h = twoHosts();
      const served = serve(h.server, (b) => keyedBytes(keyOf(b) ^ 0x5a5a, resp));
      const key = req >= 4 ? 0x1234 : 0;
      const m = await h.client.call(h.dest, keyedBytes(key, req), { cookie: 99n });
      expect(m.kind).toBe('response');
      expect(m.length).toBe(resp);
      expect(m.cookie).toBe(99n);
      expect(m.id % 2n).toBe(0n);
      expect(m.peer).toEqual({ address: h.serverDevice.address, port: h.dest.port });
      const expected = keyedBytes((req >= 4 ? key : keyOf(keyedBytes(0, req))) ^ 0x5a5a, resp);
      expect(sameBytes(m.bytes(), expected)).toBe(true);
      // Zero copy: one view per bpage, each over the socket's region at the offsets given.
      const views = m.views;
      expect(views.length).toBe(m.bpageOffsets.length);
      expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
      views.forEach((v, i) => expect(v.byteOffset).toBe(m.bpageOffsets[i]));
      m.bpageOffsets.slice(0, -1).forEach((o) => expect(o % 65536).toBe(0));
      m.release();
      h.client.close();
      h.server.close();
      expect(await served).toBe(1);
    });
  }

  test('server sees the request with an odd id, cookie 0 and the client as peer (§2.1, §2.2)', async () => {
    const h = twoHosts();
    const pending = h.client.call(h.dest, 'ping');
    const req = await h.server.receive();
    expect(req.kind).toBe('request');
    expect(req.id % 2n).toBe(1n);
    expect(req.cookie).toBe(0n);
    expect(req.peer).toEqual({ address: h.clientDevice.address, port: h.client.port });
    expect(req.text()).toBe('ping');
    await h.server.reply(req, 'pong');
    req.release();
    const resp = await pending;
    expect(resp.text()).toBe('pong');
    expect(resp.id).toBe(req.id - 1n);
  });
});

describe('several clients', () => {
  test('requests with the same id from two client hosts each get their own reply (ids are per client, §1.2)', async () => {
    const cluster = new SimCluster({ hosts: 3 });
    const [srv, c1, c2] = [0, 1, 2].map((i) => new HomaDevice(cluster.device(i)));
    const server = srv!.socket({ port: 5, server: true });
    void serve(server, (b) => `re:${Buffer.from(b).toString()}`);
    const dest = { address: srv!.address, port: 5 };
    const [a, b] = [c1!.socket(), c2!.socket()];
    const got = await Promise.all([a.call(dest, 'one'), b.call(dest, 'two')]);
    expect(got[0]!.id).toBe(got[1]!.id);
    expect(got.map((m) => m.text())).toEqual(['re:one', 're:two']);
  });
});

describe('send and receive', () => {
  test('send returns the id; the shared response comes to receive() with its cookie', async () => {
    const h = twoHosts();
    void serve(h.server, (b) => b);
    const ids = [await h.client.send(h.dest, 'a', { cookie: 1n }), await h.client.send(h.dest, 'bb', { cookie: 2n })];
    expect(ids[1]).toBeGreaterThan(ids[0]!);
    const got: Message[] = [await h.client.receive(), await h.client.receive()];
    expect(new Map(got.map((m) => [m.id, m.cookie]))).toEqual(new Map([[ids[0]!, 1n], [ids[1]!, 2n]]));
    for (const m of got) expect(m.text()).toBe(m.cookie === 1n ? 'a' : 'bb');
  });

  test('a private response only comes to receive({ id }) (§2.1 HOMA_SENDMSG_PRIVATE)', async () => {
    const h = twoHosts();
    void serve(h.server, (b) => b);
    const priv = await h.client.send(h.dest, 'private', { private: true });
    const shared = await h.client.send(h.dest, keyedBytes(7, 200_000));   // finishes well after the small one
    const first = await h.client.receive();
    expect(first.id).toBe(shared);
    await expect(h.client.receive({ timeoutNs: 0 })).rejects.toMatchObject({ code: 'EAGAIN' });
    const p = await h.client.receive({ id: priv });
    expect(p.text()).toBe('private');
  });

  test('receive with a timeout gives up with EAGAIN after that much simulated time', async () => {
    const h = twoHosts();
    const t0 = h.cluster.now();
    await expect(h.server.receive({ timeoutNs: 50_000 })).rejects.toMatchObject({ code: 'EAGAIN', errno: 11 });
    expect(h.cluster.now()).toBeGreaterThanOrEqual(t0 + 50_000);
  });

  test('requests() yields every request and leaves responses to receive()', async () => {
    const h = twoHosts({}, {}, { port: 7, server: true });
    const peer = h.serverDevice.socket({ port: 8, server: true });
    // The server socket also sends a request of its own to `peer`; its response must not show up in requests().
    void serve(peer, () => 'from-peer');
    const own = await h.server.send({ address: h.serverDevice.address, port: 8 }, 'mine');
    for (let i = 0; i < 3; i++) void h.client.send(h.dest, `r${i}`);
    const seen: string[] = [];
    for await (const req of h.server.requests()) {
      seen.push(req.text());
      await h.server.reply(req, 'ok');
      req.release();
      if (seen.length === 3) break;
    }
    expect(seen.sort()).toEqual(['r0', 'r1', 'r2']);
    const resp = await h.server.receive();
    expect(resp.id).toBe(own);
    expect(resp.text()).toBe('from-peer');
  });

  test('hundreds of concurrent calls fill the send ring and all complete (back-pressure)', async () => {
    const h = twoHosts();
    void serve(h.server, (b) => b);
    const calls = Array.from({ length: 600 }, (_, i) => h.client.call(h.dest, keyedBytes(i, 100 + (i % 50)), { cookie: BigInt(i) }));
    const got = await Promise.all(calls);
    got.forEach((m, i) => {
      expect(m.cookie).toBe(BigInt(i));
      expect(keyOf(m.bytes())).toBe(i);
      m.release();
    });
    // Every staged message went back: the NIC is done with requests and (acknowledged) replies.
    await h.cluster.sleep(10_000_000);
    expect(h.client.info().sendBytesInUse).toBe(0);
    expect(h.server.info().sendBytesInUse).toBe(0);
  });
});

describe('abort', () => {
  test('abort(id, errno) completes the RPC with that error (§2.1 HOMAIOCABORT)', async () => {
    const h = twoHosts();                                  // nobody serves: the RPC stays pending
    const id = await h.client.send(h.dest, 'x', { cookie: 5n });
    await h.client.abort(id, 'ENOTCONN');
    const err = await h.client.receive().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 'ENOTCONN', errno: 107, id, cookie: 5n });
  });

  test('abort without an error discards silently; a private waiter gets ECANCELED', async () => {
    const h = twoHosts();
    const call = h.client.call(h.dest, 'x');
    await h.cluster.sleep(1000);
    const id = h.client.info().rpcs.find((r) => r.role === 'client')!.id;
    await h.client.abort(id);
    await expect(call).rejects.toMatchObject({ code: 'ECANCELED', id });
    expect(h.client.info().numRpcs).toBe(0);
  });

  test('abort() with no id also cancels sends still waiting for their id', async () => {
    const h = twoHosts({ doorbellNs: 100 });                       // the NIC takes descriptors 100 ns after the doorbell
    const sending = h.client.send(h.dest, 'a');
    const calling = h.client.call(h.dest, 'b');
    await h.client.abort();
    await expect(sending).rejects.toMatchObject({ code: 'ECANCELED' });
    await expect(calling).rejects.toMatchObject({ code: 'ECANCELED' });
    expect(h.client.info().numRpcs).toBe(0);
  });

  test('abort() with no id ends every client RPC of the socket', async () => {
    const h = twoHosts();
    const ids = [await h.client.send(h.dest, 'a'), await h.client.send(h.dest, 'b')];
    await h.client.abort(0n, 'ETIMEDOUT');
    const errs = [await h.client.receive().catch((e: RpcError) => e), await h.client.receive().catch((e: RpcError) => e)];
    expect(errs.map((e) => (e as RpcError).id).sort()).toEqual(ids.sort());
    expect(errs.every((e) => (e as RpcError).code === 'ETIMEDOUT')).toBe(true);
  });
});

describe('info, ports, close', () => {
  test('info reports port, RPCs, held messages and the free region (§2.1 HOMAIOCINFO)', async () => {
    const h = twoHosts();
    const full = h.server.info().bpoolAvailBytes;
    expect(h.server.info()).toMatchObject({ port: h.dest.port, server: true, numRpcs: 0, heldMessages: 0 });
    const call = h.client.call(h.dest, keyedBytes(1, 200_000), { cookie: 3n });
    const req = await h.server.receive();
    expect(h.server.info()).toMatchObject({ numRpcs: 1, heldMessages: 1 });
    expect(h.server.info().rpcs[0]).toMatchObject({ id: req.id, role: 'server', state: 'in-service' });
    expect(h.server.info().bpoolAvailBytes).toBeLessThan(full);
    expect(h.client.info().rpcs[0]).toMatchObject({ role: 'client', cookie: 3n, private: true });
    req.release();
    await h.server.reply(req, 'done');
    (await call).release();
    // The server keeps the RPC (and its reply) until the client acknowledges it (§3.6).
    await h.cluster.sleep(10_000_000);
    expect(h.server.info()).toMatchObject({ numRpcs: 0, heldMessages: 0, pendingReturns: 0, bpoolAvailBytes: full });
  });

  test('automatic ports start at 0x8000; a bound port is EADDRINUSE until closed', () => {
    const h = twoHosts();
    expect(h.client.port).toBeGreaterThanOrEqual(FIRST_AUTOMATIC_PORT);
    const other = h.clientDevice.socket();
    expect(other.port).not.toBe(h.client.port);
    expect(() => h.serverDevice.socket({ port: h.dest.port })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    h.server.close();
    expect(h.serverDevice.socket({ port: h.dest.port }).port).toBe(h.dest.port);
  });

  test('close fails waiting calls and later calls with ESHUTDOWN and ends requests()', async () => {
    const h = twoHosts();
    const waiting = h.server.receive();
    const iter = h.server.requests()[Symbol.asyncIterator]().next();
    h.server.close();
    await expect(waiting).rejects.toBeInstanceOf(SocketClosedError);
    expect(await iter).toEqual({ value: undefined, done: true });
    await expect(h.server.send(h.dest, 'x')).rejects.toMatchObject({ code: 'ESHUTDOWN' });
    expect(() => h.server.info()).toThrow(HomaError);
  });

  test('setServer(false) stops accepting requests (ENOTCONN, as Linux); setServer(true) accepts them', async () => {
    const h = twoHosts();
    h.server.setServer(false);
    await expect(h.client.call(h.dest, 'x')).rejects.toMatchObject({ code: 'ENOTCONN' });
    h.server.setServer(true);
    void serve(h.server, () => 'ok');
    expect((await h.client.call(h.dest, 'x')).text()).toBe('ok');
  });
});

describe('simulated time', () => {
  async function run(): Promise<number[]> {
    const h = twoHosts({ seed: 3 });
    void serve(h.server, (b) => keyedBytes(1, 10 * b.length));
    const lat: number[] = [];
    await Promise.all(Array.from({ length: 4 }, async (_, c) => {
      for (let i = 0; i < 20; i++) {
        const t0 = h.cluster.now();
        (await h.client.call(h.dest, keyedBytes(i, 100 + 3000 * ((i + c) % 7)))).release();
        lat.push(h.cluster.now() - t0);
      }
    }));
    return lat;
  }

  test('the same program gives the same simulated latencies every run', async () => {
    const a = await run();
    const b = await run();
    expect(a.length).toBe(80);
    expect(b).toEqual(a);
  });
});
