// host-lib/testing.ts — helpers for host-lib's tests and examples: a fresh two-host simulated
// cluster with a server socket, and message contents that show any misplaced byte.

import { HomaDevice } from './homa-device.ts';
import type { SocketOptions } from './homa-device.ts';
import type { HomaSocket } from './socket.ts';
import { SimCluster } from './backends/sim.ts';
import type { SimClusterOptions } from './backends/sim.ts';

export const SERVER_PORT = 99;

export interface TwoHosts {
  cluster: SimCluster;
  clientDevice: HomaDevice;
  serverDevice: HomaDevice;
  client: HomaSocket;
  server: HomaSocket;
  /** Where requests to `server` go. */
  dest: { address: string; port: number };
}

/** Host 0 runs a client socket, host 1 a server socket on SERVER_PORT. */
export function twoHosts(opt: SimClusterOptions = {}, serverOpt: SocketOptions = {}, clientOpt: SocketOptions = {}): TwoHosts {
  const cluster = new SimCluster({ hosts: 2, ...opt });
  const clientDevice = new HomaDevice(cluster.device(0));
  const serverDevice = new HomaDevice(cluster.device(1));
  const server = serverDevice.socket({ port: SERVER_PORT, server: true, ...serverOpt });
  const client = clientDevice.socket(clientOpt);
  return { cluster, clientDevice, serverDevice, client, server, dest: { address: serverDevice.address, port: SERVER_PORT } };
}

/** `length` bytes that depend on `key` (the key in the first 4 bytes, little-endian). */
export function keyedBytes(key: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  let x = (key * 2654435761 + 1) >>> 0;
  for (let i = 0; i < length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  for (let i = 0; i < 4 && i < length; i++) b[i] = (key >>> (8 * i)) & 0xff;
  return b;
}

/** The key keyedBytes put in a message (bytes 0..3). */
export function keyOf(b: Uint8Array): number {
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

/** Serve requests on `sock` until it closes or the simulation goes idle: reply with f(request). */
export async function serve(sock: HomaSocket, f: (req: Uint8Array) => Uint8Array | string): Promise<number> {
  let n = 0;
  for await (const req of sock.requests()) {
    const bytes = req.bytes();
    req.release();
    await sock.reply(req, f(bytes));
    n++;
  }
  return n;
}
