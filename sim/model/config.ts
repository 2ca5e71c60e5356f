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
  /**
   * The TCP-style checksum (spec §1.7): computed on transmit and verified on receive, bad
   * ones dropped (bad_checksums). HomaModule never verifies it; the hardware engine always
   * does, so the model agrees with the engine whenever checksums are on.
   */
  checksums: boolean;
  /** Smallest receive region a queue pair may register, in bpages (HomaModule: 2 max messages + per-core pages, §4). */
  minRegionBpages: number;
  /**
   * Out-of-order gaps tracked per incoming message (0 = no bound). The hardware engine tracks
   * a few (identity max_gaps); a DATA packet that would open one more is dropped
   * (gap_overflows) and recovered by RESEND (spec §3.5).
   */
  maxGaps: number;
  /**
   * Answer a packet for a port with no socket (or for a server RPC on a non-server socket)
   * with ICMP port unreachable, as HomaModule does (default true); its sender's client RPCs
   * to that port then end with ENOTCONN. ICMP received is always acted on.
   */
  icmp: boolean;
  /**
   * The SIGCOMM 2018 simulator's unscheduled priorities (not HomaModule's): an unscheduled
   * packet's level comes from the bytes of its message still to send from that packet on,
   * instead of from the message's length (the cutoffs are then over remaining sizes).
   * Default false (HomaModule, §3.3).
   */
  unschedPrioFromRemaining: boolean;
  /**
   * Most messages of one sender in the receiver's active (granted) set; 0 = HomaModule's rule
   * (every sender one slot before any gets a second, §3.2). The SIGCOMM 2018 simulator: 1.
   */
  maxActivePerPeer: number;
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
    maxGaps: 0,
    icmp: true,
    unschedPrioFromRemaining: false,
    maxActivePerPeer: 0,
    ...over,
  };
}
