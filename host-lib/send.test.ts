// host-lib/send.test.ts — outgoing messages in the send region (ABI v2): staged bytes stay put
// until the NIC is done with them (a request's RPC ended, a reply's TX_DONE), senders wait
// while the region is full, and a descriptor the NIC refuses surfaces as its RpcError. The
// sim backend's NIC reads the bytes as packets go out, so reusing them early corrupts messages.
import { describe, expect, test } from 'vitest';
import { QP_CTRL_REG } from '../hw/homa/abi.ts';
import { SimCluster } from './backends/sim.ts';
import type { SimDevice } from './backends/sim.ts';
import type { Device } from './device.ts';
import { RpcError } from './errors.ts';
import { HomaDevice } from './homa-device.ts';
import { discoverLayout } from './queue-pair.ts';
import { SendSpace } from './send-space.ts';
import { keyOf, keyedBytes, serve, twoHosts } from './testing.ts';

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
/** The smallest send region a socket may have: one largest message (rounded to pages). */
const MIN_SEND = 1_000_000;

describe('the send region\'s space', () => {
  test('first fit, freed ranges merge, a double release is caught', () => {
    const s = new SendSpace(1024);
    const a = s.allocate(100)!;
    const b = s.allocate(300)!;
    const c = s.allocate(64)!;
    expect([a.offset, b.offset, c.offset]).toEqual([0, 128, 448]);
    expect(s.allocate(600)).toBeNull();                                // 512 left
    s.release(b);
    expect(s.allocate(320)!.offset).toBe(128);                          // the hole fits it
    s.release(a);
    s.release(c);
    expect(() => s.release(c)).toThrow(/released twice/);
    expect(s.usedBytes).toBe(320);
  });
});

describe('back-pressure: senders wait for the send region, nothing is reused early', () => {
  test('requests larger than half the region go one at a time, every byte intact', async () => {
    const h = twoHosts({}, {}, { sendBytes: MIN_SEND });
    let badRequests = 0;
    void serve(h.server, (b) => {
      if (!sameBytes(b, keyedBytes(keyOf(b), b.length))) badRequests++;
      return keyedBytes(keyOf(b), 10);
    });
    let peak = 0;
    const calls = Array.from({ length: 5 }, async (_, i) => {
      const m = await h.client.call(h.dest, keyedBytes(100 + i, 600_000));
      peak = Math.max(peak, h.client.info().sendBytesInUse);
      return keyOf(m.bytes());
    });
    expect(peak).toBeLessThanOrEqual(MIN_SEND);
    expect(h.client.info().sendBytesInUse).toBe(600_000);              // one staged, four waiting
    expect(await Promise.all(calls)).toEqual([100, 101, 102, 103, 104]);
    expect(badRequests).toBe(0);
    expect(h.client.info().sendBytesInUse).toBe(0);
  });

  test('a reply\'s bytes are held until its TX_DONE (the client acknowledged it, §3.6)', async () => {
    const cluster = new SimCluster({ hosts: 4 });
    const srv = new HomaDevice(cluster.device(0));
    const server = srv.socket({ port: 7, server: true, sendBytes: MIN_SEND });
    const dest = { address: srv.address, port: 7 };
    const clients = [1, 2, 3].map((i) => new HomaDevice(cluster.device(i)).socket());
    const held: number[] = [];
    const serving = (async () => {
      let n = 0;
      for await (const req of server.requests()) {
        const key = keyOf(req.bytes());
        req.release();
        await server.reply(req, keyedBytes(key, 700_000));                // two never fit at once
        held.push(server.info().sendBytesInUse);
        if (++n === 3) return;
      }
    })();
    const got = await Promise.all(clients.map(async (c, i) => {
      const m = await c.call(dest, keyedBytes(50 + i, 20));
      const ok = sameBytes(m.bytes(), keyedBytes(50 + i, 700_000));
      m.release();
      return ok;
    }));
    await serving;
    expect(got).toEqual([true, true, true]);
    expect(held.every((b) => b >= 700_000)).toBe(true);                 // the reply just posted is held
    await cluster.sleep(10_000_000);                                      // NEED_ACK, then the last ACK
    expect(server.info().sendBytesInUse).toBe(0);
  });

  test('a silently aborted request\'s bytes come back once the NIC took the ABORT', async () => {
    const h = twoHosts();
    const call = h.client.call(h.dest, keyedBytes(1, 5000));
    await h.cluster.sleep(1000);
    expect(h.client.info().sendBytesInUse).toBeGreaterThanOrEqual(5000);
    await h.client.abort();
    await expect(call).rejects.toMatchObject({ code: 'ECANCELED' });
    await h.cluster.sleep(1000);
    expect(h.client.info().sendBytesInUse).toBe(0);
  });
});

/** A backend whose kernel registers a smaller send region than host-lib laid out (so descriptors can leave it). */
function shrinkingSendRegion(inner: SimDevice, bytes: number): Device {
  const layout = discoverLayout(inner);
  const sendSize = (offset: number): boolean => offset >= layout.ctrlBase && offset < layout.userBase
    && (offset - layout.ctrlBase) % layout.stride === QP_CTRL_REG['send_size'];
  return {
    url: inner.url, address: inner.address, read32: (o) => inner.read32(o),
    write32: (o, v) => inner.write32(o, sendSize(o) ? bytes : v),
    allocateDma: (n, a) => inner.allocateDma(n, a), freeDma: (b) => inner.freeDma(b), eventCount: () => inner.eventCount(),
    waitEvent: (after, d) => inner.waitEvent(after, d), now: () => inner.now(), sleep: (ns) => inner.sleep(ns), close: () => inner.close(),
  };
}

describe('a descriptor the NIC refuses', () => {
  test('surfaces as its RpcError (EINVAL) with the cookie; the socket goes on', async () => {
    const cluster = new SimCluster({ hosts: 2 });
    const srv = new HomaDevice(cluster.device(1));
    void serve(srv.socket({ port: 3, server: true }), () => 'ok');
    const dev = cluster.modelDevice(0);
    const client = new HomaDevice(shrinkingSendRegion(dev, 4096)).socket();
    const dest = { address: srv.address, port: 3 };
    const e = await client.send(dest, new Uint8Array(5000), { cookie: 12n }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RpcError);
    expect(e).toMatchObject({ code: 'EINVAL', errno: 22, cookie: 12n });
    expect(client.info().errorMessage).toMatch(/EINVAL/);
    expect(dev.nic.counters['bad_descriptors']).toBe(1);
    expect(client.info().sendBytesInUse).toBe(0);                       // refused: nothing was read, the bytes came back
    expect((await client.call(dest, 'small')).text()).toBe('ok');
  });
});
