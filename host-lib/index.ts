// host-lib/index.ts — the host library: Homa sockets with zero-copy bpage buffers (spec §2,
// §4) over any Device backend. `open()` picks the backend from a URL; `sim` (the default) runs
// the reference-model NIC on a simulated network in this process, in simulated time.

import type { Device } from './device.ts';
import { NoDeviceError } from './errors.ts';
import { HomaDevice } from './homa-device.ts';
import { SimCluster } from './backends/sim.ts';
import { PcieDevice } from '../driver/native/pcie-device.ts';

export type { Device, DmaBuffer, NicRpcInfo, WaitResult } from './device.ts';
export * from './errors.ts';
export { Message, type MessageKind, type Peer } from './message.ts';
export {
  HomaSocket, HOMA_MAX_MESSAGE_LENGTH, RpcFlag,
  type Destination, type Payload, type SendOptions, type CallOptions, type ReceiveOptions, type RequestsOptions,
  type SocketInfo, type RpcInfo, type RpcState,
} from './socket.ts';
export { HomaDevice, MIN_REGION_BYTES, DEFAULT_REGION_BYTES, FIRST_AUTOMATIC_PORT, type SocketOptions } from './homa-device.ts';
export { SimCluster, SimDevice, type SimClusterOptions, type TrafficStats } from './backends/sim.ts';

/** Hosts in the process-wide cluster that `open('sim')` and `open('sim:N')` use. */
export const DEFAULT_SIM_HOSTS = 8;
let defaultCluster: SimCluster | null = null;

/** The process-wide simulated cluster (created on first use: 8 hosts on one 25 Gb/s switch). */
export function defaultSimCluster(): SimCluster {
  defaultCluster ??= new SimCluster({ hosts: DEFAULT_SIM_HOSTS });
  return defaultCluster;
}

/**
 * Open a NIC. `sim` (default) is host 0 of the process-wide simulated cluster, `sim:N` its
 * host N; `pcie:/dev/homa_nic0?address=10.0.0.1` a card through the Linux driver (the driver
 * does not know the card's IP address, so the URL gives it); a Device (e.g.
 * `new SimCluster({...}).device(i)`) is used as given. `serial:` is a future backend.
 */
export function open(target: string | Device = 'sim'): HomaDevice {
  if (typeof target !== 'string') return new HomaDevice(target);
  const m = /^sim(?::(\d+))?$/.exec(target);
  if (m) return new HomaDevice(defaultSimCluster().device(Number(m[1] ?? 0)));
  const pcie = /^pcie:([^?]+)(?:\?address=([0-9.]+))?$/.exec(target);
  if (pcie) {
    const address = pcie[2]?.split('.').map(Number);
    if (!address || address.length !== 4 || address.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
      throw new NoDeviceError(target, 'give the card\'s IPv4 address: pcie:/dev/homa_nic0?address=10.0.0.1');
    }
    try {
      return new HomaDevice(new PcieDevice(pcie[1]!, { address: Uint8Array.from(address) }));
    } catch (e) {
      throw new NoDeviceError(target, (e as Error).message);
    }
  }
  if (/^serial:/.test(target)) throw new NoDeviceError(target, 'the serial backend is not built yet; use "sim" or "pcie:"');
  throw new NoDeviceError(target, 'unknown URL: use "sim", "sim:<host>", or pass a Device');
}
