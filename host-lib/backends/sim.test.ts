// host-lib/backends/sim.test.ts — the sim backend as a Device: simulated host memory, the
// register map, rings served by the model, simulated time, and the traffic breakdown.
import { describe, expect, test } from 'vitest';
import { BlockType, CompletionType, QpStatus, SendFlag, SendOpcode, discoverBlocks, v4Mapped } from '../../hw/homa/abi.ts';
import { HomaDevice } from '../homa-device.ts';
import { HostQueuePair, QP_REG, discoverLayout } from '../queue-pair.ts';
import { keyedBytes, serve, twoHosts } from '../testing.ts';
import { SimCluster } from './sim.ts';
import { SimMemory } from './sim-memory.ts';

describe('simulated host memory', () => {
  test('resolves addresses inside live buffers only', () => {
    const m = new SimMemory();
    const a = m.allocate(100, 64);
    const b = m.allocate(5000);
    expect(Number(a.address) % 64).toBe(0);
    expect(Number(b.address) % 4096).toBe(0);
    a.bytes[10] = 7;
    expect(m.resolve(a.address + 10n, 1)[0]).toBe(7);
    expect(m.resolve(b.address, 5000).length).toBe(5000);
    expect(() => m.resolve(a.address + 90n, 20)).toThrow(/outside/);
    expect(() => m.resolve(0n, 1)).toThrow(/outside/);
    m.free(a);
    expect(() => m.resolve(a.address, 1)).toThrow(/outside/);
    expect(() => m.free(a)).toThrow(/double free/);
    expect(m.liveBuffers).toBe(1);
  });
});

describe('the register map', () => {
  test('the driver-style walk finds every block; the layout matches the ABI', () => {
    const dev = new SimCluster().device(0);
    const types = discoverBlocks((o) => dev.read32(o)).map((b) => b.type);
    expect(types).toEqual([BlockType.IDENTITY, BlockType.CONFIG, BlockType.COUNTERS, BlockType.QUEUE_PAIRS]);
    expect(discoverLayout(dev)).toEqual({ numQueuePairs: 16, qpBase: 0x1000, qpStride: 0x1000, maxMessageLength: 1_000_000 });
  });

  test('counters are read from the NIC', async () => {
    const h = twoHosts();
    void serve(h.server, () => 'ok');
    await h.client.call(h.dest, 'x');
    const dev = h.cluster.device(0);
    const counters = discoverBlocks((o) => dev.read32(o)).find((b) => b.type === BlockType.COUNTERS)!;
    // client_requests_started is one of the 64-bit counters; find it by walking its block.
    const { registerBlocks } = await import('../../hw/homa/abi.ts');
    const reg = registerBlocks().find((b) => b.name === 'counters')!.registers.find((r) => r.name === 'client_requests_started')!;
    expect(dev.read32(counters.offset + reg.offset)).toBe(1);
    expect(dev.read32(counters.offset + reg.offset + 4)).toBe(0);
  });

  test('a queue pair becomes active only with a free port; disabling frees it', () => {
    const dev = new SimCluster().device(0);
    const layout = discoverLayout(dev);
    const a = new HostQueuePair(dev, layout, 0, 40);
    a.enable(500, true);
    expect(a.status() & QpStatus.ACTIVE).toBeTruthy();
    const b = new HostQueuePair(dev, layout, 1, 40);
    expect(() => b.enable(500, false)).toThrow(/EADDRINUSE/);
    expect(dev.read32(layout.qpBase + layout.qpStride + QP_REG['status']!) & QpStatus.PORT_IN_USE).toBeTruthy();
    a.disable();
    b.enable(500, false);
    expect(b.status() & QpStatus.ACTIVE).toBeTruthy();
  });

  test('a refused REQUEST sets BAD_DESCRIPTOR and still completes, with EINVAL', async () => {
    const dev = new SimCluster().device(0);
    const qp = new HostQueuePair(dev, discoverLayout(dev), 0, 40);
    qp.enable(9, false);
    const buf = dev.allocateDma(8);
    const seen = dev.eventCount();
    qp.postSend({ opcode: SendOpcode.REQUEST, flags: SendFlag.NOTIFY_ID, id: 4n, cookie: 17n, dport: 1, length: 8, buffer: buf.address, peer_addr: v4Mapped(dev.address) });
    expect(await dev.waitEvent(seen)).toBe('event');
    expect(qp.status() & QpStatus.BAD_DESCRIPTOR).toBeTruthy();
    expect(qp.pollCompletion()).toMatchObject({ type: CompletionType.ERROR, cookie: 17n, error: 22 });
    expect(dev.problems.join()).toMatch(/nonzero id/);
  });

  test('returning a bpage that holds nothing sets BPAGE_DOUBLE_FREE (§4: EINVAL in HomaModule)', async () => {
    const dev = new SimCluster().device(0);
    const qp = new HostQueuePair(dev, discoverLayout(dev), 0, 40);
    qp.enable(77, false);
    // Sockets track releases themselves and never do this; a raw queue pair can.
    const seen = dev.eventCount();
    qp.postReturns([0]);
    await dev.waitEvent(seen);
    expect(qp.status() & QpStatus.BPAGE_DOUBLE_FREE).toBeTruthy();
  });

  test('writes to registers the NIC owns are ignored', () => {
    const dev = new SimCluster().device(0);
    const layout = discoverLayout(dev);
    const qp = new HostQueuePair(dev, layout, 0, 40);
    qp.enable(9, false);
    dev.write32(layout.qpBase + QP_REG['sq_head']!, 77);
    dev.write32(layout.qpBase + QP_REG['status']!, 0);
    expect(qp.reg('sq_head')).toBe(0);
    expect(qp.status() & QpStatus.ACTIVE).toBeTruthy();
  });
});

describe('simulated time', () => {
  test('sleep advances simulated time exactly; time stands still otherwise', async () => {
    const c = new SimCluster();
    const t0 = c.now();
    await c.sleep(12_345);
    expect(c.now()).toBe(t0 + 12_345);
    await Promise.all([c.sleep(1000), c.device(1).sleep(3000)]);
    expect(c.now()).toBe(t0 + 15_345);
  });

  test('a wait for an event that cannot come ends as idle', async () => {
    const c = new SimCluster();
    const d = c.device(0);
    expect(await d.waitEvent(d.eventCount())).toBe('idle');
    expect(await d.waitEvent(d.eventCount(), d.now() + 500)).toBe('timeout');
  });

  test('the horizon ends waits that would otherwise spin forever', async () => {
    // A client RPC to a server that holds its request forever keeps the NIC busy (RESEND/BUSY).
    const h = twoHosts({ horizonNs: 20e6 });
    const call = h.client.call(h.dest, 'x');
    const req = await h.server.receive();
    await expect(call).rejects.toMatchObject({ code: 'EDEADLK' });
    expect(h.cluster.now()).toBeGreaterThanOrEqual(20e6);
    req.release();
  });
});

describe('where the bytes went', () => {
  test('a short message is all unscheduled; a long one is mostly granted (§3.1, §3.2)', async () => {
    const h = twoHosts();
    void serve(h.server, () => 'k');
    await h.client.call(h.dest, keyedBytes(1, 1000));
    const small = h.cluster.stats();
    expect(small.unscheduledBytes).toBe(1000 + 1);
    expect(small.grantedBytes).toBe(0);
    await h.client.call(h.dest, keyedBytes(2, 500_000));
    const big = h.cluster.stats();
    expect(big.unscheduledBytes - small.unscheduledBytes).toBe(40_000 + 1);
    expect(big.grantedBytes).toBe(460_000);
    expect(big.retransmittedBytes).toBe(0);
    expect(big.controlPackets).toBeGreaterThan(small.controlPackets);
  });

  test('lost packets show up as retransmitted bytes, and the RPC still completes', async () => {
    const h = twoHosts({ seed: 5 });
    h.cluster.network.setLinkFaults(h.cluster.network.cable('host0').forward, { drop: 0.2 });
    void serve(h.server, () => 'k');
    const m = await h.client.call(h.dest, keyedBytes(3, 200_000));
    expect(m.text()).toBe('k');
    expect(h.cluster.stats().retransmittedBytes).toBeGreaterThan(0);
  });
});

describe('one device, many sockets', () => {
  test('sockets on one NIC are isolated: each sees only its own messages', async () => {
    const cluster = new SimCluster({ hosts: 2 });
    const srv = new HomaDevice(cluster.device(1));
    const cli = new HomaDevice(cluster.device(0));
    const s1 = srv.socket({ port: 1, server: true });
    const s2 = srv.socket({ port: 2, server: true });
    void serve(s1, () => 'one');
    void serve(s2, () => 'two');
    const c = cli.socket();
    const [a, b] = await Promise.all([c.call({ address: srv.address, port: 1 }, 'x'), c.call({ address: srv.address, port: 2 }, 'y')]);
    expect([a.text(), b.text()]).toEqual(['one', 'two']);
  });
});
