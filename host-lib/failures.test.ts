// host-lib/failures.test.ts — an application meeting failures (spec §2.2, §3.5): a server that
// closes its socket mid-RPC, a server host that crashes and restarts, a partitioned network.
// The client sees what Linux Homa gives it — ENOTCONN (ICMP port unreachable) or ETIMEDOUT
// (timeout_ticks) — within the configured timeout, never a wait until the simulation's horizon.
import { describe, expect, test } from 'vitest';
import { SimCluster } from './backends/sim.ts';
import { DeviceLostError, RpcError } from './errors.ts';
import { HomaDevice } from './homa-device.ts';
import type { HomaSocket } from './socket.ts';
import { SERVER_PORT, serve, twoHosts } from './testing.ts';

/** HomaModule's defaults: 1 ms ticks, timeout_ticks 100, resend_ticks 5. */
const TIMEOUT_NS = 100e6;

async function outcome(p: Promise<unknown>): Promise<string> {
  try { await p; return 'ok'; } catch (e) { return (e as { code?: string }).code ?? String(e); }
}

describe('a server that goes away', () => {
  test('closes its socket after taking the request: the waiting call ends with ENOTCONN', async () => {
    const h = twoHosts();
    const call = h.client.call(h.dest, 'hello', { cookie: 7n });
    await h.server.receive();
    h.server.close();
    const e = await call.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RpcError);
    expect(e).toMatchObject({ code: 'ENOTCONN', cookie: 7n });
    expect(h.cluster.now()).toBeLessThan(TIMEOUT_NS);
  });

  test('closes mid-response: a shared RPC\'s failure comes to receive()', async () => {
    const h = twoHosts();
    const id = await h.client.send(h.dest, 'big please', { cookie: 3n });
    const req = await h.server.receive();
    void h.server.reply(req, new Uint8Array(1_000_000)).catch(() => undefined);
    await h.cluster.sleep(50_000);
    h.server.close();
    await expect(h.client.receive()).rejects.toMatchObject({ code: 'ENOTCONN', id, cookie: 3n });
  });

  test('its host crashes: ETIMEDOUT within timeout_ticks; the crashed host\'s own calls fail with ENODEV', async () => {
    const h = twoHosts();
    const served = serve(h.server, () => 'never sent');
    const waiting = h.server.receive().catch((e: unknown) => e);
    h.cluster.crash(1);
    expect(await served).toBe(0);                                    // requests() just ends on a crashed host
    expect(await waiting).toBeInstanceOf(DeviceLostError);
    await expect(h.server.receive()).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(h.server.call({ address: h.clientDevice.address, port: h.client.port }, 'x')).rejects.toMatchObject({ code: 'ENODEV' });
    const t0 = h.cluster.now();
    await expect(h.client.call(h.dest, 'anyone?')).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(h.cluster.now() - t0).toBeLessThanOrEqual(TIMEOUT_NS + 2e6);
  });

  test('restarts: ENOTCONN until the application serves again, then calls succeed', async () => {
    const h = twoHosts();
    h.cluster.crash(1);
    const fresh = new HomaDevice(h.cluster.restart(1));
    expect(await outcome(h.client.call(h.dest, 'x'))).toBe('ENOTCONN');
    const server = fresh.socket({ port: SERVER_PORT, server: true });
    void serve(server, (b) => `again: ${Buffer.from(b).toString()}`);
    expect((await h.client.call(h.dest, 'x')).text()).toBe('again: x');
  });

  test('an application that retries on failure rides through a crash and restart', async () => {
    const h = twoHosts();
    let server: HomaSocket = h.server;
    void serve(server, () => 'v1');
    const retrying = async (): Promise<string> => {
      for (;;) {
        try { return (await h.client.call(h.dest, 'get')).text(); } catch (e) {
          if (!(e instanceof RpcError) || !['ETIMEDOUT', 'ENOTCONN'].includes(e.code)) throw e;
          await h.clientDevice.sleep(10e6);
        }
      }
    };
    expect(await retrying()).toBe('v1');
    h.cluster.crash(1);
    const answer = retrying();
    await h.cluster.sleep(30e6);
    server = new HomaDevice(h.cluster.restart(1)).socket({ port: SERVER_PORT, server: true });
    void serve(server, () => 'v2');
    expect(await answer).toBe('v2');
  });
});

describe('a partitioned network', () => {
  test('calls across the partition time out; after heal() they succeed', async () => {
    const h = twoHosts();
    void serve(h.server, () => 'pong');
    h.cluster.partition(0, 1);
    await expect(h.client.call(h.dest, 'ping')).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(h.cluster.partitionDrops).toBeGreaterThan(0);
    h.cluster.heal();
    expect((await h.client.call(h.dest, 'ping')).text()).toBe('pong');
  });

  test('a partition is between the groups named: others still talk', async () => {
    const h = twoHosts({ hosts: 3 });
    void serve(h.server, () => 'pong');
    const third = new HomaDevice(h.cluster.device(2)).socket();
    h.cluster.partition(0, [1]);
    expect((await third.call(h.dest, 'ping')).text()).toBe('pong');
    expect(() => h.cluster.partition(1, 1)).toThrow(/both sides/);
  });
});

describe('every NIC kind', () => {
  test('crash, restart and partition work for an RTL NIC too (at the Endpoint seam)', async () => {
    const cluster = new SimCluster({ engines: ['model', 'rtl'] });
    try {
      const client = new HomaDevice(cluster.device(0)).socket();
      const dest = { address: '10.0.0.2', port: 40 };
      let server = new HomaDevice(cluster.device(1)).socket({ port: 40, server: true });
      await client.send(dest, 'first');
      expect((await server.receive()).text()).toBe('first');
      cluster.crash(1);
      await expect(server.receive()).rejects.toBeInstanceOf(DeviceLostError);
      server = new HomaDevice(cluster.restart(1)).socket({ port: 40, server: true });
      await client.send(dest, 'second');
      expect((await server.receive()).text()).toBe('second');
      cluster.partition(0, 1);
      await client.send(dest, 'third');
      await expect(server.receive({ timeoutNs: 5e6 })).rejects.toMatchObject({ code: 'EAGAIN' });
      expect(cluster.partitionDrops).toBeGreaterThan(0);
    } finally {
      cluster.close();
    }
  });
});

describe('EDEADLK says what happened', () => {
  test('nothing left to simulate', async () => {
    const h = twoHosts();
    await expect(h.server.receive()).rejects.toThrow(/nothing left to run/);
  });

  test('the horizon reached while NIC timers still run', async () => {
    const h = twoHosts({ horizonNs: 50e6 });
    const call = h.client.call(h.dest, 'x');
    await h.server.receive();                                       // taken, never answered: the server says BUSY
    await expect(call).rejects.toThrow(/horizon at 50000000 ns/);
  });
});
