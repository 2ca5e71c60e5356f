// hw/homa/engine/config.ts — the engine's configurations: one record chosen by board
// (the table in README.md, "Configurations"), and what follows from it (widths, the identity block).
//
// Everything sized here is on chip: tables of RPCs and peers, the per-queue-pair bpage pools,
// the receive packet buffer. Message bytes never are (transmit reads host memory as packets
// leave, receive writes bpages as packets arrive).

import { clog2 } from '../../hdl/index.ts';
import { MAX_QUEUE_PAIRS, type EngineParams } from '../abi.ts';

export interface EngineConfig {
  /** Configuration name, also the prefix of the top module's name. */
  readonly name: string;
  /** MAC datapath width: bytes per beat (1, 8 or 64). */
  readonly beatBytes: number;
  /** Clock the configuration is built for (MHz). */
  readonly clockMhz: number;
  /** Ethernet line rate of the boards that use it (Gb/s). */
  readonly lineGbps: number;
  /** RPC table: buckets x ways entries (a slot per entry). */
  readonly rpcBuckets: number;
  readonly rpcWays: number;
  /** Peer table: buckets x ways entries. */
  readonly peerBuckets: number;
  readonly peerWays: number;
  /** Queue pairs (sockets). */
  readonly queuePairs: number;
  /** Largest bpage region one queue pair may register (a power of two, >= 64). */
  readonly maxRegionBpages: number;
  /** Out-of-order gaps tracked per incoming message (spec §3.5); one more drops the packet. */
  readonly maxGaps: number;
  /** Receive packet buffer, in beats (a power of two): whole frames wait here for their checks. */
  readonly rxBufferBeats: number;
}

export const ENGINE_CONFIGS = {
  /** Alveo U250: 100G at 250 MHz, 64-byte beats. */
  u250: {
    name: 'u250', beatBytes: 64, clockMhz: 250, lineGbps: 100, rpcBuckets: 4096, rpcWays: 4, peerBuckets: 1024, peerWays: 4,
    queuePairs: 256, maxRegionBpages: 1024, maxGaps: 4, rxBufferBeats: 512,
  },
  /** Arty A7-100T: 100 Mb/s MII, 8-byte beats at 100 MHz. */
  arty: {
    name: 'arty', beatBytes: 8, clockMhz: 100, lineGbps: 0.1, rpcBuckets: 256, rpcWays: 4, peerBuckets: 64, peerWays: 4,
    queuePairs: 16, maxRegionBpages: 256, maxGaps: 4, rxBufferBeats: 1024,
  },
  /** iCE40 UP5K / HX8K: 100 Mb/s RMII, 1-byte beats at >= 25 MHz. */
  ice40: {
    name: 'ice40', beatBytes: 1, clockMhz: 25, lineGbps: 0.1, rpcBuckets: 16, rpcWays: 4, peerBuckets: 4, peerWays: 4,
    queuePairs: 4, maxRegionBpages: 64, maxGaps: 2, rxBufferBeats: 8192,
  },
} as const satisfies Record<string, EngineConfig>;

export type EngineConfigName = keyof typeof ENGINE_CONFIGS;

/** A configuration by name, with a message naming the known ones. */
export function engineConfig(name: string): EngineConfig {
  const c = (ENGINE_CONFIGS as Record<string, EngineConfig>)[name];
  if (!c) throw new RangeError(`unknown engine configuration '${name}' (known: ${Object.keys(ENGINE_CONFIGS).join(', ')})`);
  return c;
}

/** Widths that follow from a configuration (one place, so blocks agree). */
export function engineWidths(c: EngineConfig) {
  return {
    /** Bits of a queue-pair number. */
    qp: clog2(c.queuePairs),
    /** Bits of an RPC slot (bucket, way). */
    rpcSlot: clog2(c.rpcBuckets) + clog2(c.rpcWays),
    /** Bits of a peer index (bucket, way). */
    peer: clog2(c.peerBuckets) + clog2(c.peerWays),
    /** Bits of a bpage number inside a queue pair's region. */
    bpage: clog2(c.maxRegionBpages),
    /** Bits of a byte lane in a beat. */
    lane: clog2(c.beatBytes),
    /** Bits of a receive-buffer beat address, plus one wrap bit for ring pointers. */
    rxBufferAddr: clog2(c.rxBufferBeats),
  };
}

/** RPC slots and peer entries a configuration holds. */
export const rpcSlots = (c: EngineConfig): number => c.rpcBuckets * c.rpcWays;
export const peerEntries = (c: EngineConfig): number => c.peerBuckets * c.peerWays;

/** The identity block's numbers for this configuration (hw/homa/abi). */
export function engineParams(c: EngineConfig): EngineParams {
  return {
    numQueuePairs: c.queuePairs, maxRpcs: rpcSlots(c), maxPeers: peerEntries(c), datapathBytes: c.beatBytes,
    maxRegionBpages: c.maxRegionBpages, maxGaps: c.maxGaps,
  };
}

/** Checks a configuration's numbers fit the ABI and the blocks' assumptions. */
export function checkConfig(c: EngineConfig): void {
  const pow2 = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
  const bad = (what: string): never => { throw new RangeError(`engine configuration '${c.name}': ${what}`); };
  if (![1, 8, 64].includes(c.beatBytes)) bad(`beatBytes ${c.beatBytes} (1, 8 or 64)`);
  for (const k of ['rpcBuckets', 'rpcWays', 'peerBuckets', 'peerWays', 'queuePairs', 'maxRegionBpages', 'rxBufferBeats'] as const) {
    if (!pow2(c[k])) bad(`${k} ${c[k]} is not a power of two`);
  }
  if (c.queuePairs > MAX_QUEUE_PAIRS) bad(`queuePairs ${c.queuePairs} > ${MAX_QUEUE_PAIRS}`);
  if (c.maxRegionBpages < 64) bad(`maxRegionBpages ${c.maxRegionBpages} < 64`);
  if (c.maxGaps < 1 || c.maxGaps > 8) bad(`maxGaps ${c.maxGaps} (1..8)`);
  if (c.rxBufferBeats * c.beatBytes < 4 * 1536) bad(`rx buffer of ${c.rxBufferBeats * c.beatBytes} bytes holds fewer than 4 full frames`);
}
