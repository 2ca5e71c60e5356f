// sim/cosim/bench.ts — what co-simulation costs, on the stand-in engine (a test double: the
// real engine is far larger, so its own cycles will dominate there). Prints cycles of engine
// time simulated per second of wall time:
//  - raw: the bare simulator stepping the stand-in, no adapters (sim.step(n) in one call);
//  - loopback: frames streaming through the MAC adapter and back, paced at the line rate;
//  - dma: back-to-back 64 KiB DMA writes then reads through the DMA port and watchdog;
// for chunkCycles 1 (exact input timing, the default) and 64. Each case warms up first
// (V8 optimises after ~50 K cycles), then measures for a fixed wall-clock budget.
//
//   npx tsx sim/cosim/bench.ts [--engines js,verilator] [--ms 2000]

import { simulate } from '../../hw/hdl/sim/index.ts';
import { ENGINE_CONFIGS, type EngineConfig } from '../../hw/homa/engine/config.ts';
import { engines as registered } from '../../test/engines.ts';
import { STAND_IN_REGS as R, standInEngine } from './stand-in.ts';
import { enableQueuePair, standInRig } from './testing.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const budgetMs = Number(arg('ms') ?? 2000);
const engines = (arg('engines')?.split(',') ?? registered).filter((e) => registered.includes(e));

/** Runs `work` (returns cycles done) repeatedly for the budget; cycles per wall second. */
function measure(work: () => number): number {
  const warmEnd = performance.now() + budgetMs / 4;
  while (performance.now() < warmEnd) work();
  let cycles = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < budgetMs) { cycles += work(); t = performance.now(); }
  return cycles / ((t - t0) / 1000);
}

async function raw(engine: string, c: EngineConfig): Promise<number> {
  const sim = await simulate(standInEngine(c), { engine });
  sim.reset(2);
  const r = measure(() => { sim.step(10_000); return 10_000; });
  sim.dispose();
  return r;
}

async function loopback(engine: string, c: EngineConfig, chunkCycles: number): Promise<number> {
  const { nic, q } = await standInRig(engine, c, { chunkCycles, linkBitsPerSecond: c.beatBytes === 64 ? 100e9 : 10e9 });
  const frame = new Uint8Array(1500).map((_, i) => i);
  const r = measure(() => {
    const before = nic.counters.cyclesStepped;
    q.at(q.now, () => { for (let i = 0; i < 50; i++) nic.receive(frame); });
    q.run();
    return nic.counters.cyclesStepped - before;
  });
  nic.dispose();
  return r;
}

async function dma(engine: string, c: EngineConfig, chunkCycles: number): Promise<number> {
  const rig = await standInRig(engine, c, { chunkCycles });
  const { nic, q } = rig;
  const pool = nic.allocateDma(1 << 16);
  const send = nic.allocateDma(1 << 16);
  enableQueuePair(nic, 0, { bpool: { buffer: pool, bpages: 1 }, send: { buffer: send, bytes: 1 << 16 } });
  nic.write32(R.dmaAddrHi, Number(pool.address >> 32n));
  nic.write32(R.dmaLen, 65535);
  const r = measure(() => {
    const before = nic.counters.cyclesStepped;
    nic.write32(R.dmaAddrLo, Number(pool.address & 0xffffffffn));
    nic.write32(R.goWrite, 1);
    q.run();
    nic.write32(R.dmaAddrLo, Number(send.address & 0xffffffffn));
    nic.write32(R.goRead, 1);
    q.run();
    return nic.counters.cyclesStepped - before;
  });
  nic.dispose();
  return r;
}

const fmt = (x: number): string => `${(x / 1000).toFixed(0).padStart(6)} K`;
console.log(`co-simulation cost on the stand-in engine (test double), cycles/s of wall time, ${budgetMs} ms per case after a warm-up`);
console.log('engine     config           raw    loopback(c=1)  loopback(c=64)  dma(c=1)  dma(c=64)');
for (const engine of engines) {
  for (const c of [ENGINE_CONFIGS.u250, ENGINE_CONFIGS.arty]) {
    const row = [await raw(engine, c), await loopback(engine, c, 1), await loopback(engine, c, 64), await dma(engine, c, 1), await dma(engine, c, 64)];
    console.log(`${engine.padEnd(10)} ${`${c.name} (${c.beatBytes} B)`.padEnd(13)} ${row.map(fmt).join('      ')}`);
  }
}
