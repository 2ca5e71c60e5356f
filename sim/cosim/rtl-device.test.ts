// Tests of host-lib/backends/rtl.ts (RtlDevice), kept here for now because host-lib is being
// migrated to ABI v2 elsewhere and only rtl.ts may change there; this file moves to
// host-lib/backends/rtl.test.ts with the SimCluster integration (sim/cosim/README.md), where
// SimCluster replaces the small clock below.

import { expect, test } from 'vitest';
import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import { RtlDevice, type SimClock } from '../../host-lib/backends/rtl.ts';
import type { WaitResult } from '../../host-lib/device.ts';
import { DirectWire, type EventQueue } from '../model/harness.ts';
import { RtlNic } from './rtl-nic.ts';
import { STAND_IN_REGS as R, standInEngine } from './stand-in.ts';
import { enableQueuePair, engines, patternBytes } from './testing.ts';

/** SimCluster's time rules on one event queue: run the queue only while someone waits. */
class QueueClock implements SimClock {
  private woke = false;
  constructor(private readonly q: EventQueue) {}
  now(): number { return this.q.now / 1000; }
  wake(): void { this.woke = true; }
  async sleep(ns: number): Promise<void> {
    const until = this.q.now + Math.round(ns * 1000);
    this.q.run(until);
  }
  async waitEvent(device: { readonly events: number } | null, after: number, deadlineNs?: number): Promise<WaitResult> {
    const deadlinePs = deadlineNs === undefined ? Infinity : Math.ceil(deadlineNs * 1000);
    for (;;) {
      if (device && device.events > after) return 'event';
      if (this.q.now >= deadlinePs) return 'timeout';
      if (this.q.size === 0) { if (deadlinePs !== Infinity) { this.q.run(deadlinePs); return 'timeout'; } return 'idle'; }
      this.woke = false;
      this.q.run(deadlinePs, () => this.woke);
    }
  }
}

for (const engine of engines) {
  test(`an RTL NIC as a Device: registers, DMA buffers, events and waits in simulated time (${engine})`, async () => {
    const config = ENGINE_CONFIGS.u250;
    const make = (i: number) => RtlNic.create({ config, top: standInEngine(config), engine, ip: Uint8Array.of(10, 0, 0, i), mac: Uint8Array.of(2, 0, 0, 0, 0, i) });
    const [a, b] = [await make(1), await make(2)];
    const wire = new DirectWire(a, b, { bitsPerSecond: 100e9 });
    const clock = new QueueClock(wire.q);
    const dev = new RtlDevice(clock, 0, a);
    expect(dev.url).toBe('rtl:0');
    expect([...dev.address]).toEqual([10, 0, 0, 1]);
    expect(dev.endpoint).toBe(a);

    dev.write32(R.scratch, 42);
    expect(dev.read32(R.scratch)).toBe(42);

    // Nothing will ever happen: the wait ends as 'idle', and a deadline as 'timeout' at that time.
    const seen = dev.eventCount();
    expect(await dev.waitEvent(seen)).toBe('idle');
    expect(await dev.waitEvent(seen, dev.now() + 500)).toBe('timeout');
    expect(dev.now()).toBe(500);
    await dev.sleep(1500);
    expect(dev.now()).toBe(2000);

    // An irq is an event, at the engine cycle that raised it.
    dev.write32(R.irq, 7);
    expect(await dev.waitEvent(seen, dev.now() + 1000)).toBe('event');
    expect(dev.eventCount()).toBe(seen + 1);
    expect(dev.now()).toBeGreaterThan(2000);
    expect(dev.now()).toBeLessThan(2000 + 20 * a.periodPs / 1000);

    // A DMA buffer from the Device is host memory the engine writes.
    const pool = dev.allocateDma(1 << 16);
    expect(pool.address % 4096n).toBe(0n);
    enableQueuePair(a, 0, { bpool: { buffer: pool, bpages: 1 } });
    for (const [k, v] of [[R.dmaAddrLo, Number(pool.address & 0xffffffffn) + 9], [R.dmaAddrHi, Number(pool.address >> 32n)], [R.dmaLen, 300], [R.dmaQp, 0], [R.dmaLane, 0], [R.pattern, 4]] as const) dev.write32(k, v);
    dev.write32(R.goWrite, 1);
    await dev.sleep(1000);
    expect([...pool.bytes.subarray(9, 309)]).toEqual([...patternBytes(300, 4)]);
    dev.freeDma(pool);
    dev.close();
    a.dispose();
    b.dispose();
  });
}
