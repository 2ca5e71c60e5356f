// host-lib/errors.test.ts — every error path of the API, each with Homa's errno (spec §2.2).
import { describe, expect, test } from 'vitest';
import { SimCluster } from './backends/sim.ts';
import {
  AddressInUseError, InvalidArgumentError, MessageTooLongError, NoDeviceError, RegionTooSmallError, RpcError, SimulationIdleError,
} from './errors.ts';
import { HomaDevice, MIN_REGION_BYTES } from './homa-device.ts';
import { open } from './index.ts';
import { serve, twoHosts } from './testing.ts';

/** The error a promise or function ends with. */
async function failure(f: () => unknown): Promise<unknown> {
  try { await f(); } catch (e) { return e; }
  throw new Error('expected a failure');
}

describe('EINVAL, with the argument that was wrong', () => {
  test('empty message', async () => {
    const h = twoHosts();
    expect(await failure(() => h.client.send(h.dest, new Uint8Array(0)))).toMatchObject({ code: 'EINVAL', errno: 22, field: 'length' });
  });

  test('message over 1,000,000 bytes', async () => {
    const h = twoHosts();
    const e = await failure(() => h.client.call(h.dest, new Uint8Array(1_000_001)));
    expect(e).toBeInstanceOf(MessageTooLongError);
    expect(e).toMatchObject({ code: 'EINVAL', length: 1_000_001 });
    // Exactly the limit is fine (§2).
    void serve(h.server, () => 'ok');
    expect((await h.client.call(h.dest, new Uint8Array(1_000_000))).text()).toBe('ok');
  });

  test('bad destination port, address and cookie', async () => {
    const h = twoHosts();
    expect(await failure(() => h.client.send({ ...h.dest, port: 0 }, 'x'))).toMatchObject({ field: 'port' });
    expect(await failure(() => h.client.send({ ...h.dest, port: 70000 }, 'x'))).toMatchObject({ field: 'port' });
    expect(await failure(() => h.client.send({ address: '10.0.0.300', port: 1 }, 'x'))).toMatchObject({ field: 'address' });
    expect(await failure(() => h.client.send({ address: new Uint8Array(5), port: 1 }, 'x'))).toMatchObject({ field: 'address' });
    expect(await failure(() => h.client.send(h.dest, 'x', { cookie: -1n }))).toMatchObject({ field: 'cookie' });
  });

  test('an IPv6 destination on an IPv4 NIC; a v4-mapped one is fine', async () => {
    const h = twoHosts();
    expect(await failure(() => h.client.send({ address: 'fd00::2', port: 99 }, 'x'))).toMatchObject({ code: 'EINVAL', field: 'address' });
    expect(h.client.info().errorMessage).toMatch(/IPv6/);
    void serve(h.server, () => 'ok');
    expect((await h.client.call({ address: '::ffff:a00:2', port: 99 }, 'x')).text()).toBe('ok');
  });

  test('reply to something that is not a pending request, or twice', async () => {
    const h = twoHosts();
    const call = h.client.call(h.dest, 'q');
    const req = await h.server.receive();
    await h.server.reply(req, 'a');
    expect(await failure(() => h.server.reply(req, 'b'))).toMatchObject({ code: 'EINVAL', field: 'request' });
    const resp = await call;
    expect(await failure(() => h.client.reply(resp, 'x'))).toMatchObject({ code: 'EINVAL', field: 'request' });
    expect(await failure(() => h.client.reply(req, 'x'))).toMatchObject({ code: 'EINVAL', field: 'request' });
  });

  test('receive an id that is not a pending RPC of the socket; abort of one does nothing (homa.7)', async () => {
    const h = twoHosts();
    expect(await failure(() => h.client.receive({ id: 1234n }))).toMatchObject({ code: 'EINVAL', field: 'id' });
    await expect(h.client.abort(1234n)).resolves.toBeUndefined();
    const shared = await h.client.send(h.dest, 'x');
    expect(await failure(() => h.client.receive({ id: shared }))).toMatchObject({ field: 'id' });   // not private
    expect(await failure(() => h.client.abort(shared, 'ENOSUCH' as 'EINVAL'))).toMatchObject({ field: 'error' });
  });

  test('double release and use after release (§4)', async () => {
    const h = twoHosts();
    void serve(h.server, () => 'resp');
    const m = await h.client.call(h.dest, 'x');
    m.release();
    expect(m.released).toBe(true);
    expect(() => m.release()).toThrow(InvalidArgumentError);
    expect(() => m.views).toThrow(/after release/);
    expect(() => m.bytes()).toThrow(/after release/);
    expect(() => m.text()).toThrow(InvalidArgumentError);
    // The NIC never saw the second release: no double free reached it.
    await h.cluster.sleep(10_000);
    expect(h.client.info().errorMessage).not.toMatch(/twice/);
  });

  test('bind port out of range; receive region too small', () => {
    const h = twoHosts();
    expect(() => h.clientDevice.socket({ port: 40000 })).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'port' }));
    expect(() => h.clientDevice.socket({ port: -1 })).toThrow(InvalidArgumentError);
    const e = (() => { try { h.clientDevice.socket({ regionBytes: MIN_REGION_BYTES - 1 }); } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(RegionTooSmallError);
    expect(e).toMatchObject({ code: 'EINVAL', field: 'regionBytes' });
    expect(h.clientDevice.socket({ regionBytes: MIN_REGION_BYTES }).port).toBeGreaterThan(0);
  });
});

describe('RPC failures (§2.2, §3.5)', () => {
  test('ENOTCONN when no server socket answers at that port (ICMP port unreachable, as HomaModule)', async () => {
    const h = twoHosts();
    const e = await failure(() => h.client.call({ ...h.dest, port: 1234 }, 'anyone?', { cookie: 8n }));
    expect(e).toBeInstanceOf(RpcError);
    expect(e).toMatchObject({ code: 'ENOTCONN', errno: 107, cookie: 8n });
    expect(h.cluster.now()).toBeLessThan(1_000_000);                 // the first request packet's answer, not a timeout
  });

  test('ETIMEDOUT when no server socket answers and the NIC sends no ICMP', async () => {
    const h = twoHosts({ nic: { timeout_ticks: 20, icmp: false } });
    const e = await failure(() => h.client.call({ ...h.dest, port: 1234 }, 'anyone?', { cookie: 8n }));
    expect(e).toMatchObject({ code: 'ETIMEDOUT', errno: 110, cookie: 8n });
  });

  test('ETIMEDOUT when the peer host does not exist; shared failures come to receive()', async () => {
    const h = twoHosts({ nic: { timeout_ticks: 20 } });
    const id = await h.client.send({ address: '10.0.0.77', port: 99 }, 'hello', { cookie: 4n });
    const e = await failure(() => h.client.receive());
    expect(e).toMatchObject({ code: 'ETIMEDOUT', id, cookie: 4n });
    expect(h.client.info().errorMessage).toMatch(/ETIMEDOUT/);
  });

  test('ENOTCONN arrives as an RpcError with the RPC id and cookie', async () => {
    const h = twoHosts();
    const id = await h.client.send(h.dest, 'x', { cookie: 11n, private: true });
    await h.client.abort(id, 'ENOTCONN');
    expect(await failure(() => h.client.receive({ id }))).toMatchObject({ code: 'ENOTCONN', errno: 107, id, cookie: 11n });
  });
});

describe('sockets and devices', () => {
  test('EADDRINUSE for a bound port', () => {
    const h = twoHosts();
    expect(() => h.serverDevice.socket({ port: 99 })).toThrow(AddressInUseError);
  });

  test('ENOMEM when every queue pair of the NIC is in use', () => {
    const dev = new HomaDevice(new SimCluster({ hosts: 2 }).device(0));
    const socks = Array.from({ length: 16 }, () => dev.socket({ regionBytes: MIN_REGION_BYTES }));
    expect(() => dev.socket()).toThrow(expect.objectContaining({ code: 'ENOMEM' }));
    socks[0]!.close();
    expect(dev.socket().port).toBeGreaterThan(0);
  });

  test('a wait that can never end fails with EDEADLK instead of hanging', async () => {
    const h = twoHosts();
    const e = await failure(() => h.server.receive());
    expect(e).toBeInstanceOf(SimulationIdleError);
    expect(e).toMatchObject({ code: 'EDEADLK' });
  });

  test('open: sim is the default; unknown and unbuilt backends are ENODEV', () => {
    expect(open().url).toBe('sim:0');
    expect(open('sim:3').url).toBe('sim:3');
    expect(() => open('sim:99')).toThrow(RangeError);
    expect(() => open('pcie:/dev/homa_nic0')).toThrow(/give the card's IPv4 address/);
    // No such device node here (the driver runs only inside the QEMU test's guest).
    expect(() => open('pcie:/dev/no_such_homa_nic?address=10.0.0.1')).toThrow(NoDeviceError);
    expect(() => open('serial:/dev/ttyUSB0')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(() => open('tcp://x')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });
});
