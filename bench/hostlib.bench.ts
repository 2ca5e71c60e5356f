// bench/hostlib.bench.ts — `npm run bench:hostlib`: CPU time per RPC through host-lib's sim
// backend with reference-model NICs (sockets, rings, model, network simulator, simulated
// time), for a 100-byte and a 64 KB request/response pair, one RPC at a time. The last line
// is the figure the project tracks.

import { SimCluster } from '../host-lib/backends/sim.ts';
import { HomaDevice } from '../host-lib/homa-device.ts';

async function perRpc(bytes: number, rpcs: number): Promise<number> {
  const cluster = new SimCluster({ hosts: 2, engine: 'model' });
  const server = new HomaDevice(cluster.device(1)).socket({ port: 7, server: true });
  const client = new HomaDevice(cluster.device(0)).socket();
  const dest = { address: new HomaDevice(cluster.device(1)).address, port: 7 };
  const payload = new Uint8Array(bytes).fill(7);
  const serving = (async () => {
    for await (const req of server.requests()) {
      req.release();
      await server.reply(req, payload);
    }
  })();
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) (await client.call(dest, payload)).release();
  };
  await run(Math.min(2000, rpcs));                                 // warm-up (JIT)
  const t0 = process.cpuUsage();
  await run(rpcs);
  const t = process.cpuUsage(t0);
  client.close();
  server.close();
  await serving;
  return (t.user + t.system) / rpcs;
}

const small = await perRpc(100, Number(process.env['RPCS'] ?? 20_000));
const large = await perRpc(64_000, Number(process.env['RPCS_LARGE'] ?? 1_000));
console.log(`hostlib: ${small.toFixed(1)} us CPU per 100 B RPC, ${large.toFixed(1)} per 64 KB RPC`);
