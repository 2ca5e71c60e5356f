// examples/examples.test.ts — the examples do what they say: echo, the key-value store, its
// load run, and the README's quickstart (which must match examples/quickstart.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { HomaDevice, SimCluster } from '../host-lib/index.ts';
import { twoHosts } from '../host-lib/testing.ts';
import { echoClient, echoServer } from './echo.ts';
import { failover } from './failover.ts';
import { KvClient, KvServer, KvStatus } from './kv.ts';
import { percentile, runKvLoad } from './kv-load.ts';

const here = dirname(fileURLToPath(import.meta.url));

describe('echo', () => {
  test('the client gets every text back, and the server counts them', async () => {
    const h = twoHosts();
    const served = echoServer(h.server);
    const texts = ['a', 'hello', 'z'.repeat(70_000)];
    const rtts = await echoClient(h.client, h.dest, texts);
    expect(rtts.length).toBe(3);
    expect(rtts.every((t) => t > 0)).toBe(true);
    h.server.close();
    expect(await served).toBe(3);
  });
});

describe('failover', () => {
  test('a retrying client rides through a crash and restart, and a partition', async () => {
    expect(await failover()).toEqual([
      'before the crash: ok', 'attempt 0: ETIMEDOUT at 100.0 ms', 'after the restart: ok', 'across a partition: ETIMEDOUT', 'healed: ok',
    ]);
  });
});

describe('key-value store', () => {
  test('put, get, overwrite, delete, missing keys, values across bpages', async () => {
    const cluster = new SimCluster({ hosts: 3 });
    const [a, b, c] = cluster.devices.map((d) => new HomaDevice(d));
    const servers = [new KvServer(a!.socket({ port: 1, server: true })), new KvServer(b!.socket({ port: 1, server: true }))];
    for (const s of servers) void s.run();
    const kv = new KvClient(c!.socket(), [a!, b!].map((n) => ({ address: n.address, port: 1 })));
    const big = new Uint8Array(150_000).map((_, i) => (i * 7) & 0xff);
    await kv.put('alpha', Buffer.from('one'));
    await kv.put('big', big);
    for (let i = 0; i < 20; i++) await kv.put(`k${i}`, Buffer.from(`v${i}`));
    expect(Buffer.from((await kv.get('alpha'))!).toString()).toBe('one');
    expect(Buffer.from((await kv.get('big'))!).equals(Buffer.from(big))).toBe(true);
    await kv.put('alpha', Buffer.from('two'));
    expect(Buffer.from((await kv.get('alpha'))!).toString()).toBe('two');
    expect(await kv.get('nope')).toBeUndefined();
    expect(await kv.delete('alpha')).toBe(true);
    expect(await kv.delete('alpha')).toBe(false);
    expect(await kv.get('alpha')).toBeUndefined();
    // Keys spread over both servers.
    expect(servers.every((s) => s.store.size > 0)).toBe(true);
    const bad = await kv.sock.call(kv.servers[0]!, Uint8Array.of(9, 0, 0));
    expect(bad.views[0]![0]).toBe(KvStatus.BAD_REQUEST);
  });

  test('a load run answers every RPC, finds every key, and is the same twice', async () => {
    const opt = { hosts: 4, servers: 1, rpcs: 400, keys: 100, seed: 7 };
    const a = await runKvLoad(opt);
    expect(a.rpcs).toBe(400);
    expect(a.misses).toBe(0);
    expect(a.getLatencyNs.length + a.putLatencyNs.length).toBe(400);
    expect(percentile(a.latencyNs, 0.5)).toBeLessThanOrEqual(percentile(a.latencyNs, 0.99));
    expect(a.traffic.unscheduledBytes).toBeGreaterThan(0);
    const b = await runKvLoad(opt);
    expect(Array.from(b.latencyNs)).toEqual(Array.from(a.latencyNs));
    expect(b.traffic).toEqual(a.traffic);
  });
});

describe('demo', () => {
  test('prints the report and ends with the demo line', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'demo.ts'), '--rpcs', '300', '--keys', '60'], { encoding: 'utf8' });
    expect(out).toMatch(/bytes: DATA payload .* unscheduled .* granted .* retransmitted/);
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/^demo: 300 rpcs, p50=\d+\.\d\d us, p99=\d+\.\d\d us \(simulated\), \d+\.\d s wall$/);
  });
});

describe('README', () => {
  test('host-lib/README.md shows examples/quickstart.ts, which runs', () => {
    const readme = readFileSync(join(here, '..', 'host-lib', 'README.md'), 'utf8');
    const file = readFileSync(join(here, 'quickstart.ts'), 'utf8');
    const body = file.split('\n').slice(1).join('\n').replaceAll("'../host-lib/index.ts'", "'homa-nic/host-lib'");
    expect(readme).toContain(body.trim());
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'quickstart.ts')], { encoding: 'utf8' });
    expect(out).toMatch(/^HELLO, HOMA \(rpc 2, 11 bytes, from 10\.0\.0\.2\)\nSECOND for rpc 4, cookie 42,/);
  });
});
