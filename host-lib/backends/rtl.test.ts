// host-lib/backends/rtl.test.ts — an RTL NIC as host-lib's Device: on its own (a stand-in engine
// under SimCluster's time rules), and in SimCluster, chosen by option or by HOMA_NIC_ENGINE,
// beside model NICs, serving an application that does not know which NIC it has.

import { expect, test } from 'vitest';
import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import { DirectWire, type EventQueue } from '../../sim/model/harness.ts';
import { RtlNic } from '../../sim/cosim/rtl-nic.ts';
import { STAND_IN_REGS as R, standInEngine } from '../../sim/cosim/stand-in.ts';
import { enableQueuePair, engines, patternBytes } from '../../sim/cosim/testing.ts';
import type { WaitResult } from '../device.ts';
import { HomaDevice } from '../homa-device.ts';
import { RtlDevice, type SimClock } from './rtl.ts';
import { SimCluster, SimDevice } from './sim.ts';

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

test('HOMA_NIC_ENGINE picks the NIC of every cluster that does not name one; unknown kinds are refused by name', () => {
  const before = process.env['HOMA_NIC_ENGINE'];
  try {
    process.env['HOMA_NIC_ENGINE'] = 'rtl';
    const c = new SimCluster({ hosts: 2 });
    expect(c.engines).toEqual(['rtl', 'rtl']);
    expect(c.device(0)).toBeInstanceOf(RtlDevice);
    c.close();
    const mixed = new SimCluster({ hosts: 3, engines: ['model'] });
    expect(mixed.engines).toEqual(['model', 'rtl', 'rtl']);
    expect(mixed.device(0)).toBeInstanceOf(SimDevice);
    mixed.close();
    process.env['HOMA_NIC_ENGINE'] = 'fpga';
    expect(() => new SimCluster()).toThrow(/HOMA_NIC_ENGINE: no NIC kind 'fpga' \(known: model, rtl, rtl-verilator\)/);
  } finally {
    if (before === undefined) delete process.env['HOMA_NIC_ENGINE']; else process.env['HOMA_NIC_ENGINE'] = before;
  }
});

test('an application serves requests on an RTL NIC from model clients on the same network', async () => {
  const cluster = new SimCluster({ engines: ['rtl', 'model', 'model'] });
  const srvDev = new HomaDevice(cluster.device(0));
  const srv = srvDev.socket({ port: 80, server: true });
  const sizes = [1, 1400, 9000, 40000];
  const clients = [1, 2].map((i) => new HomaDevice(cluster.device(i)).socket());
  const sent: string[] = [];
  clients.forEach((cl, k) => sizes.forEach((n, i) => {
    const msg = Uint8Array.from({ length: n }, (_, j) => (j * 13 + i + 7 * k) & 255);
    sent.push(`${k}:${n}:${Buffer.from(msg).toString('base64')}`);
    void cl.send({ address: srvDev.address, port: 80 }, msg);
  }));
  const first = new HomaDevice(cluster.device(1)).address;
  const got: string[] = [];
  for await (const m of srv.requests()) {
    const k = m.peer.address === first ? 0 : 1;
    got.push(`${k}:${m.length}:${Buffer.from(m.bytes()).toString('base64')}`);
    m.release();
    if (got.length === sent.length) break;
  }
  expect(got.sort()).toEqual(sent.sort());
  for (const c of clients) c.close();
  srv.close();
  cluster.close();
});

test('RTL NICs on both ends: calls of every size class both ways, over IPv4, each response byte for byte', async () => {
  // Two RTL engines and no model on the wire: each is client and server, so every packet either
  // sends is received by RTL (DATA, GRANTs for the larger messages, CUTOFFS, ACKs).
  const cluster = new SimCluster({ engines: ['rtl', 'rtl'] });
  const devs = [0, 1].map((i) => new HomaDevice(cluster.device(i)));
  const servers = devs.map((d) => d.socket({ port: 90, server: true }));
  const echo = async (i: number): Promise<void> => {
    for await (const m of servers[i]!.requests()) { await servers[i]!.reply(m, m.bytes().reverse()); m.release(); }
  };
  void echo(0).catch(() => {});
  void echo(1).catch(() => {});
  const sizes = [1, 1424, 1425, 40_000, 40_001, 150_000];
  for (const [from, to] of [[0, 1], [1, 0]] as const) {
    const client = devs[from]!.socket();
    for (const [i, n] of sizes.entries()) {
      const msg = Uint8Array.from({ length: n }, (_, j) => (j * 31 + i + 5 * from) & 255);
      const r = await client.call({ address: devs[to]!.address, port: 90 }, msg);
      expect(r.length).toBe(n);
      expect(Buffer.from(r.bytes()).equals(Buffer.from(msg.slice().reverse()))).toBe(true);
      r.release();
    }
    client.close();
  }
  for (const s of servers) s.close();
  cluster.close();
}, 300_000);
