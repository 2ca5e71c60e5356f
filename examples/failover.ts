// examples/failover.ts — an application handling a crashed server (host-lib README, "Failures
// an application can test"). Run it with `npx tsx examples/failover.ts`: a client retries on
// ETIMEDOUT / ENOTCONN while the server host crashes and restarts, then meets a partition.

import { pathToFileURL } from 'node:url';
import { RpcError, SimCluster, open } from '../host-lib/index.ts';
import type { Device } from '../host-lib/index.ts';

export async function failover(): Promise<string[]> {
  const log: string[] = [];
  const cluster = new SimCluster({ hosts: 2 });
  const client = open(cluster.device(0)).socket();
  const serveOn = (device: Device): void => {
    const s = open(device).socket({ port: 40, server: true });
    void (async () => { for await (const r of s.requests()) { await s.reply(r, 'ok'); r.release(); } })();
  };
  serveOn(cluster.device(1));

  // Retry when the server is gone (ETIMEDOUT: crashed or cut off; ENOTCONN: up, but nothing serves the port).
  async function robustCall(payload: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const m = await client.call({ address: '10.0.0.2', port: 40 }, payload);
        try { return m.text(); } finally { m.release(); }
      } catch (e) {
        if (!(e instanceof RpcError) || !['ETIMEDOUT', 'ENOTCONN'].includes(e.code) || attempt === 5) throw e;
        log.push(`attempt ${attempt}: ${e.code} at ${(cluster.now() / 1e6).toFixed(1)} ms`);
        await cluster.sleep(10_000_000);               // back off 10 ms of simulated time
      }
    }
  }

  log.push(`before the crash: ${await robustCall('get')}`);
  cluster.crash(1);                                     // the server host dies...
  const answer = robustCall('get');                     // ...calls time out and retry
  await cluster.sleep(150_000_000);
  serveOn(cluster.restart(1));                          // ...it comes back and serves again
  log.push(`after the restart: ${await answer}`);

  cluster.partition(0, 1);                              // a network partition: ETIMEDOUT
  log.push(`across a partition: ${await client.call({ address: '10.0.0.2', port: 40 }, 'x').then(() => 'ok', (e: RpcError) => e.code)}`);
  cluster.heal();
  log.push(`healed: ${await robustCall('get')}`);
  return log;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const line of await failover()) console.log(line);
}
