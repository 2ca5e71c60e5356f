// bench/engine-tx.ts — what the engine's send path sustains (`engine-tx:` in npm run
// bench:engine), in cycles of the RTL (the JS engine), with a zero-latency host memory behind
// the DMA port (hw/homa/engine/harness.ts) and a MAC that is always ready.
//
// REQUEST descriptors are written into a queue pair's send ring with their bytes in its send
// region, and one doorbell moves sq_tail past all of them; every packet then goes the whole
// way: descriptor read and check, the client RPC entered (peer and RPC tables, rx_data's
// slot), the message into the transmit scheduler, each packet's record joined, its payload
// read by DMA and its frame built. The rate is the DATA frames sent over the cycles from the
// first DATA beat to the last, as Ethernet line rate (frame + 24 bytes of preamble, FCS and
// gap) at the configuration's clock.
//  - gbps_min: 1-byte requests (each the smallest DATA frame, 91 bytes);
//  - gbps_mtu: requests of 28 full packets (39,872 bytes, all unscheduled): 1,514-byte frames.

import { simulate } from '../hw/hdl/sim/index.ts';
import { SendFlag, SendOpcode, sendDescriptor, v4Mapped } from '../hw/homa/abi.ts';
import { writeRecord } from '../hw/homa/abi/memory.ts';
import type { EngineConfig } from '../hw/homa/engine/config.ts';
import { homaEngine } from '../hw/homa/engine/engine.ts';
import { EngineHarness } from '../hw/homa/engine/harness.ts';
import { HomaType, decodeFrame } from '../hw/homa/wire/index.ts';

const NIC = Uint8Array.from([10, 0, 0, 1]);
const PEER = Uint8Array.from([10, 0, 0, 2]);

export interface TxRate { frames: number; cycles: number; gbps: number }

/** Send `messages` REQUESTs of `length` bytes each from one queue pair; the DATA frame rate. */
export async function txRate(c: EngineConfig, what: string, messages: number, length: number, log: (s: string) => void): Promise<TxRate> {
  const sim = await simulate(homaEngine(c), { engine: 'js' });
  sim.reset(2);
  const hx = new EngineHarness(sim, c);
  hx.setAddress(NIC);
  const sqLog = Math.ceil(Math.log2(messages + 1));
  const q = hx.openQueuePair(0, 40000, { server: false, cqLog: 14, sqLog, sendSize: messages * length });
  hx.runUntilIdle();
  const ring = new Uint8Array(64 << sqLog);
  const payload = new Uint8Array(length).map((_, i) => i & 255);
  for (let i = 0; i < messages; i++) {
    writeRecord(sendDescriptor, ring, i * 64, {
      opcode: SendOpcode.REQUEST, flags: SendFlag.NOTIFY_TX_DONE, dport: 99, length, send_offset: i * length, cookie: BigInt(i + 1), peer_addr: v4Mapped(PEER),
    });
    hx.memory.write(q.sendBase + i * length, payload);
  }
  hx.memory.write(q.sqBase, ring);
  hx.userWrite(0, 'sq_tail', messages);
  hx.runUntilIdle(200 * messages * Math.ceil(length / 1424) * Math.ceil(1514 / c.beatBytes) + 100_000);
  const data = hx.sent.filter((f) => { const d = decodeFrame(f.bytes); return 'packet' in d && d.packet.type === HomaType.DATA; });
  const want = messages * Math.ceil(length / 1424);
  if (data.length !== want) throw new Error(`${what}: ${data.length} DATA frames sent, ${want} expected`);
  const cycles = data[data.length - 1]!.last - data[0]!.first + 1;
  const bytes = data.reduce((a, f) => a + f.bytes.length + 24, 0);
  const gbps = (bytes * 8 * c.clockMhz * 1e6) / cycles / 1e9;
  log(`${what}: ${data.length} DATA frames of ${data[0]!.bytes.length} bytes in ${cycles} cycles: ${(cycles / data.length).toFixed(2)} cycles per frame, ${gbps.toFixed(1)} Gb/s at ${c.clockMhz} MHz`);
  sim.dispose();
  return { frames: data.length, cycles, gbps };
}
