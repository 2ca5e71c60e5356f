// sim/model/config.ts — the model NIC's configuration: every HomaModule tunable (from the ABI
// table, with HomaModule's defaults, spec §3.9) plus what the model itself needs to know.

import { defaultTunables } from '../../hw/homa/abi.ts';
import type { Tunables } from '../../hw/homa/abi.ts';

export interface ModelOptions {
  /** This host's IP address: 4 bytes (IPv4) or 16 bytes (IPv6). */
  address: Uint8Array;
  /** Ethernet address of a host (48-bit number); default 02:00 + the address's last 4 bytes. */
  macOf: (address: Uint8Array) => number;
  /** Copy payload bytes into frames and bpages (false: lengths and offsets exact, bytes zero). */
  copyPayload: boolean;
  /** Compute the TCP-style checksum on transmit (spec §1.7; receivers ignore it). */
  checksums: boolean;
  /** Smallest receive region a queue pair may register, in bpages (HomaModule: 2 max messages + per-core pages, §4). */
  minRegionBpages: number;
}

export type ModelConfig = Tunables & ModelOptions;

export function defaultMac(address: Uint8Array): number {
  const n = address.length;
  return 0x0200 * 0x100000000 + ((address[n - 4]! << 24) >>> 0) + (address[n - 3]! << 16) + (address[n - 2]! << 8) + address[n - 1]!;
}

/** HomaModule's defaults, overridden by `over`. */
export function modelConfig(over: Partial<ModelConfig> & { address: Uint8Array }): ModelConfig {
  return {
    ...defaultTunables(),
    macOf: defaultMac,
    copyPayload: true,
    checksums: true,
    minRegionBpages: 2 * 16 + 1,
    ...over,
  };
}
