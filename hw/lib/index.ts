// hw/lib — reusable hardware blocks written in the DSL. See README.md for the catalogue.

import type { ModuleDef } from '../hdl/index.ts';
import type { IoSpec } from '../hdl/ports.ts';
import { u } from '../hdl/index.ts';
import { pipeStage, skidBuffer } from './skid_buffer.ts';
import { queue, ramFifo, regFifo } from './fifo.ts';
import { streamFork } from './fork.ts';
import { streamJoin } from './join.ts';
import { streamDemux, streamMux } from './stream_mux.ts';
import { arbiter } from './arbiter.ts';
import { beatNarrow, beatWiden } from './width_converter.ts';
import { minFinder } from './min_finder.ts';
import { rankedStore } from './ranked_store.ts';
import { hashTable } from './hash_table.ts';
import { timerScan } from './timer_scan.ts';
import { internetChecksum } from './checksum.ts';
import { crc32 } from './crc32.ts';
import { uartReceiver, uartTransmitter } from './uart.ts';
import { rmiiMac } from './rmii_mac.ts';
import { uartBridge } from './uart_bridge.ts';

export { beat, type BeatLayout } from './beat.ts';
export { pipeStage, skidBuffer } from './skid_buffer.ts';
export { queue, ramFifo, regFifo } from './fifo.ts';
export { streamFork } from './fork.ts';
export { streamJoin } from './join.ts';
export { streamDemux, streamMux } from './stream_mux.ts';
export { Flow, flow, arbitrate, join } from './stream_ops.ts';
export { arbiter, arbitrated, type ArbiterPolicy } from './arbiter.ts';
export { beatNarrow, beatWiden } from './width_converter.ts';
export { minFinder, minFinderLatency, type MinFinderOptions } from './min_finder.ts';
export { rankedStore, rankedStoreLatency, type RankedStoreOptions } from './ranked_store.ts';
export { hashTable, hashBucket, hashMasks, hashOp, type HashTableOptions } from './hash_table.ts';
export { timerScan, type TimerScanOptions } from './timer_scan.ts';
export { internetChecksum, type ChecksumOptions } from './checksum.ts';
export { crc32, crc32Matrix, crc32Update } from './crc32.ts';
export { uartReceiver, uartTransmitter } from './uart.ts';
export { rmiiMac, rmiiRxBeat } from './rmii_mac.ts';
export { uartBridge, UART_BRIDGE, type UartBridgeOptions } from './uart_bridge.ts';
export { BridgeHost, FrameDecoder, encodeFrame, BridgeError, type BridgeMemory } from './uart_bridge_host.ts';

const def = <S extends IoSpec>(d: ModuleDef<S>): ModuleDef<IoSpec> => d;

/**
 * Representative parameterisations of every block, by name, sized for the tools test
 * (`npm run verilog`, Verilator lint, Icarus, generic Yosys synth). Memories stay small here:
 * generic `synth` turns a memory into flip-flops, which takes minutes for a 200 Kbit table.
 * libBenchDesigns() has the full-size ones that the bench maps to block RAM.
 */
export function libDesigns(): Record<string, ModuleDef<IoSpec>> {
  return {
    skid_buffer32: def(skidBuffer(u(32))),
    pipe_stage32: def(pipeStage(u(32))),
    reg_fifo8x32: def(regFifo(u(32), 8)),
    ram_fifo64x32: def(ramFifo(u(32), 64)),
    fork3x16: def(streamFork(u(16), 3)),
    join_8_16: def(streamJoin({ a: u(8), b: u(16) })),
    mux4x16: def(streamMux(u(16), 4)),
    demux4x16: def(streamDemux(u(16), 4)),
    rr_arbiter4x16: def(arbiter(u(16), 4, 'round-robin')),
    priority_arbiter4x16: def(arbiter(u(16), 4, 'priority')),
    widen_8to64B: def(beatWiden(8, 8)),
    narrow_64to8B: def(beatNarrow(8, 8)),
    minfinder64: def(minFinder({ entries: 64, rankWidth: 16 })),
    ranked256: def(rankedStore({ entries: 256, rankWidth: 16 })),
    hash256: def(hashTable({ buckets: 64, ways: 4, keyWidth: 32, valueWidth: 16 })),
    timer_scan256: def(timerScan({ entries: 256, timeWidth: 32 })),
    checksum_8B: def(internetChecksum({ bytes: 8 })),
    checksum_64B: def(internetChecksum({ bytes: 64 })),
    crc32_8B: def(crc32({ bytes: 8 })),
    crc32_64B: def(crc32({ bytes: 64 })),
    uart_transmitter: def(uartTransmitter()),
    uart_receiver: def(uartReceiver()),
    rmii_mac: def(rmiiMac()),
    uart_bridge: def(uartBridge({ addrBits: 22, qpBits: 2, tagBits: 4 })),
  };
}

/** The designs `npm run bench:lib` synthesises: libDesigns() with the tables at full size. */
export function libBenchDesigns(): Record<string, ModuleDef<IoSpec>> {
  const d = libDesigns();
  delete d['ram_fifo64x32'];
  delete d['ranked256'];
  delete d['hash256'];
  delete d['timer_scan256'];
  return {
    ...d,
    ram_fifo512x32: def(ramFifo(u(32), 512)),
    ranked4096: def(rankedStore({ entries: 4096, rankWidth: 16 })),
    hash4096: def(hashTable({ buckets: 1024, ways: 4, keyWidth: 32, valueWidth: 16 })),
    timer_scan4096: def(timerScan({ entries: 4096, timeWidth: 32 })),
  };
}
