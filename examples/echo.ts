// examples/echo.ts — an echo server and client over Homa sockets. Run it with
// `npx tsx examples/echo.ts`: both ends run in this process on the default simulated cluster
// (`sim:1` serves, `sim:0` calls), in simulated time.

import { pathToFileURL } from 'node:url';
import { open } from '../host-lib/index.ts';
import type { Destination, HomaSocket } from '../host-lib/index.ts';

/** Answer every request with its own bytes until the socket closes; returns how many. */
export async function echoServer(sock: HomaSocket): Promise<number> {
  let served = 0;
  for await (const request of sock.requests()) {
    // The request's bytes are views on the socket's bpages (zero copy); reply copies them to
    // the NIC's send buffer, after which the bpages can go back.
    await sock.reply(request, request.bytes());
    request.release();
    served++;
  }
  return served;
}

/** Send each text, check the echo, and return the round-trip times in device nanoseconds. */
export async function echoClient(sock: HomaSocket, server: Destination, texts: readonly string[]): Promise<number[]> {
  const rtts: number[] = [];
  for (const text of texts) {
    const t0 = sock.device.now();
    const response = await sock.call(server, text);
    rtts.push(sock.device.now() - t0);
    const back = response.text();
    response.release();
    if (back !== text) throw new Error(`echo mismatch: sent "${text}", got "${back}"`);
  }
  return rtts;
}

async function main(): Promise<void> {
  const serverNic = open('sim:1');
  const clientNic = open('sim:0');
  const server = serverNic.socket({ port: 7, server: true });
  const client = clientNic.socket();
  const serving = echoServer(server);
  const texts = ['hello', 'homa', 'x'.repeat(100_000)];
  const rtts = await echoClient(client, { address: serverNic.address, port: 7 }, texts);
  texts.forEach((t, i) => console.log(`echo ${t.length} B from ${serverNic.address}:7 in ${(rtts[i]! / 1000).toFixed(2)} us (simulated)`));
  client.close();
  server.close();
  console.log(`server answered ${await serving} requests`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
