// bench/engine.bench.ts — `npm run bench:engine`: what the engine's receive path sustains, in
// cycles of the RTL (the JS engine, cycle-exact with the emitted Verilog), with a zero-latency
// host memory behind the DMA port (hw/homa/engine/harness.ts).
//
//  - gbps_min: a stream of one-byte requests (the smallest DATA frames, 91 bytes: every packet
//    a new server RPC, a bpage piece, a payload write and a completion), offered a beat every
//    cycle; the rate is the frames completed over the cycles from the first beat in to the
//    last completion's write, as Ethernet line rate (frame + 24 bytes of preamble, FCS and
//    gap) at the configuration's clock. Frames the engine had to drop are reported.
//  - gbps_mtu: the same for full-MTU DATA frames (1,514 bytes: 28 per 39,872-byte message).
//  - latency_cycles: a single-packet message alone: cycles from its frame's last beat into the
//    MAC port to its completion's DMA write request.
// Then `engine-rx: config=<c> gbps_min=<x> gbps_mtu=<x> latency_cycles=<n>`, the send path's
// rate (engine-tx.ts): `engine-tx: config=<c> gbps_min=<x> gbps_mtu=<x>`, and the grant
// scheduler's decision latency (engine-grant.ts): `engine-grant: config=<c> backlog=<n> cycles=<n>`.

import { simulate } from '../hw/hdl/sim/index.ts';
import { defaultTunables } from '../hw/homa/abi.ts';
import { engineConfig, rpcSlots } from '../hw/homa/engine/config.ts';
import { homaEngine } from '../hw/homa/engine/engine.ts';
import { EngineHarness } from '../hw/homa/engine/harness.ts';
import { grantLatency } from './engine-grant.ts';
import { txRate } from './engine-tx.ts';
import { dataPacket, encodeFrame, type IpFields } from '../hw/homa/wire/index.ts';

const name = process.argv[2] ?? 'u250';
const c = engineConfig(name);
const NIC = Uint8Array.from([10, 0, 0, 1]);
const ip = (client: number): IpFields => ({ version: 4, priority: 0, flow: 0, ttl: 64, protocol: 146, saddr: Uint8Array.from([10, 0, 1 + (client >> 8), client & 255]), daddr: NIC });
/** Senders that already have our cutoffs (a stale version costs a CUTOFFS packet back, once per tick per peer). */
const CUTOFF_VERSION = defaultTunables().cutoff_version;
const log = (s: string): void => { process.stderr.write(`${s}\n`); };

async function rig(): Promise<EngineHarness> {
  const sim = await simulate(homaEngine(c), { engine: 'js' });
  sim.reset(2);
  const hx = new EngineHarness(sim, c);
  hx.setAddress(NIC);
  hx.openQueuePair(0, 99, { bpages: Math.min(c.maxRegionBpages, 1024), cqLog: 14 });
  return hx;
}

interface Rate { frames: number; cycles: number; drops: number; gbps: number }

/** Offer `frames` back to back; the rate is completions per cycle as line rate. */
async function stream(what: string, frames: Uint8Array[], messages: number): Promise<Rate> {
  const hx = await rig();
  const cqBase = 0x10_0000_0000;
  for (const f of frames) hx.receive(f);
  const start = hx.sim.cycle;
  hx.runUntilIdle(50 * frames.length * Math.ceil(1514 / c.beatBytes) + 100_000);
  const cq = hx.writes.filter((w) => w.addr >= cqBase && w.addr < cqBase + 0x100000);
  const end = cq[cq.length - 1]?.cycle ?? hx.sim.cycle;
  const drops = hx.counter('rx_overruns');
  const done = hx.counter('server_requests_done');
  if (done !== messages - 0 && drops === 0) throw new Error(`${what}: ${done} of ${messages} messages completed and nothing was dropped`);
  const bytes = frames.reduce((a, f) => a + f.length + 24, 0) * (done / messages);
  const cycles = end - start + 1;
  const gbps = (bytes * 8 * c.clockMhz * 1e6) / cycles / 1e9;
  log(`${what}: ${frames.length} frames (${done}/${messages} messages) in ${cycles} cycles, ${drops} dropped: ${(cycles / frames.length).toFixed(2)} cycles per frame, ${gbps.toFixed(1)} Gb/s at ${c.clockMhz} MHz`);
  hx.sim.dispose();
  return { frames: frames.length, cycles, drops, gbps };
}

log(`engine ${c.name}: ${c.beatBytes}-byte beats at ${c.clockMhz} MHz`);
const n = 2000;
const small = Array.from({ length: n }, (_, i) => encodeFrame(1, 2, ip(i % 64), dataPacket(40000, 99, BigInt(2 + 2 * i), { message_length: 1, incoming: 1, offset: 0, payload: Uint8Array.of(i & 255), cutoff_version: CUTOFF_VERSION })));
const min = await stream('smallest DATA frames (1-byte requests, 91 bytes)', small, n);

const per = 28, msgs = 12, msgLen = per * 1424;
const mtu: Uint8Array[] = [];
for (let m = 0; m < msgs; m++) {
  for (let k = 0; k < per; k++) {
    mtu.push(encodeFrame(1, 2, ip(m), dataPacket(40000, 99, BigInt(2 + 2 * m), { message_length: msgLen, incoming: msgLen, offset: k * 1424, payload: new Uint8Array(1424).fill(k), cutoff_version: CUTOFF_VERSION })));
  }
}
const full = await stream('full-MTU DATA frames (1,514 bytes)', mtu, msgs);

const hx = await rig();
hx.runUntilIdle();
hx.receive(small[0]!);
hx.runUntilIdle();
const cqWrite = hx.writes.find((w) => w.addr >= 0x10_0000_0000 && w.addr < 0x10_0010_0000)!;
const latency = cqWrite.cycle - hx.lastBeatCycles[0]!;
log(`single-packet message: last beat in at cycle ${hx.lastBeatCycles[0]}, completion write requested at cycle ${cqWrite.cycle}`);
hx.sim.dispose();

const flag = (r: Rate): string => (r.drops > 0 ? ` (${r.drops} frames dropped)` : '');
if (min.drops || full.drops) log(`note: frames offered faster than the engine took them were dropped${flag(min)}${flag(full)}`);
console.log(`engine-rx: config=${c.name} gbps_min=${min.gbps.toFixed(1)} gbps_mtu=${full.gbps.toFixed(1)} latency_cycles=${latency}`);
const txMin = await txRate(c, 'send: 1-byte requests (91-byte DATA frames)', 1000, 1, log);
const txMtu = await txRate(c, 'send: 39,872-byte requests (1,514-byte DATA frames)', 12, 28 * 1424, log);
console.log(`engine-tx: config=${c.name} gbps_min=${txMin.gbps.toFixed(1)} gbps_mtu=${txMtu.gbps.toFixed(1)}`);
for (const backlog of [1024, 16384].filter((b) => b <= rpcSlots(c))) {
  const g = await grantLatency(c, backlog, log);
  log(`grant: backlog ${backlog}: set-up ${g.setupCycles} cycles; a change of the active set (rescan of the list) ${g.rebuildCycles} cycles`);
  console.log(`engine-grant: config=${c.name} backlog=${backlog} cycles=${g.cycles}`);
}
