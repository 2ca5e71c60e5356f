// host-lib/index.ts — the host library: Homa sockets with zero-copy bpage buffers (spec §2,
// §4) over any Device backend. `open()` picks the backend from a URL; `sim` (the default) runs
// the reference-model NIC on a simulated network in this process, in simulated time.

import type { Device } from './device.ts';
import { NoDeviceError } from './errors.ts';
import { HomaDevice } from './homa-device.ts';
import { SimCluster } from './backends/sim.ts';
import { openBackend, registerBackend } from './backend-registry.ts';

export type { Device, DmaBuffer, NicRpcInfo, WaitResult } from './device.ts';
export * from './errors.ts';
export { Message, type MessageKind, type Peer } from './message.ts';
export {
  HomaSocket, HOMA_MAX_MESSAGE_LENGTH, RpcFlag,
  type Destination, type Payload, type SendOptions, type CallOptions, type ReceiveOptions, type RequestsOptions,
  type SocketInfo, type RpcInfo, type RpcState,
} from './socket.ts';
export { HomaDevice, MIN_REGION_BYTES, DEFAULT_REGION_BYTES, FIRST_AUTOMATIC_PORT, type SocketOptions } from './homa-device.ts';
export { registerBackend, registeredBackends, type BackendFactory } from './backend-registry.ts';
export { SimCluster, SimDevice, type SimClusterOptions, type TrafficStats } from './backends/sim.ts';

/** Hosts in the process-wide cluster that `open('sim')` and `open('sim:N')` use. */
export const DEFAULT_SIM_HOSTS = 8;
let defaultCluster: SimCluster | null = null;

/** The process-wide simulated cluster (created on first use: 8 hosts on one 25 Gb/s switch). */
export function defaultSimCluster(): SimCluster {
  defaultCluster ??= new SimCluster({ hosts: DEFAULT_SIM_HOSTS });
  return defaultCluster;
}

registerBackend('sim', (rest, url) => {
  if (!/^\d*$/.test(rest)) throw new NoDeviceError(url, 'a simulated NIC is "sim" or "sim:<host>"');
  return defaultSimCluster().device(Number(rest || 0));
});

/**
 * Open a NIC. `sim` (default) is host 0 of the process-wide simulated cluster, `sim:N` its
 * host N; `pcie:/dev/homa_nic0?address=10.0.0.1` a card through the Linux driver (the driver
 * does not know the card's IP address, so the URL gives it); a Device (e.g.
 * `new SimCluster({...}).device(i)`) is used as given. Schemes other than `sim` come from the
 * backends registered with registerBackend (backend-registry.ts): driver/native's `pcie`,
 * driver/serial's `serial`, loaded by the package entry `homa-nic/host-lib`.
 */
export function open(target: string | Device = 'sim'): HomaDevice {
  return new HomaDevice(typeof target === 'string' ? openBackend(target) : target);
}
