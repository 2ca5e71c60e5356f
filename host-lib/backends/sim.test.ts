// host-lib/backends/sim.test.ts — the sim backend as a Device: simulated host memory, the
// register map, rings served by the model, simulated time, and the traffic breakdown.
import { describe, expect, test } from 'vitest';
import {
  BlockType, CompletionType, QP_CTRL_BASE, QP_CTRL_REG, QP_USER_BASE, QP_USER_REG, QpStatus, SendFlag, SendOpcode, discoverBlocks,
  gatherBpages, registerOffset, v4Mapped,
} from '../../hw/homa/abi.ts';
import { HomaDevice } from '../homa-device.ts';
import { HostQueuePair, discoverLayout } from '../queue-pair.ts';
import type { HostCompletion } from '../queue-pair.ts';
import { keyedBytes, serve, twoHosts } from '../testing.ts';
import { SimCluster } from './sim.ts';
import type { SimDevice } from './sim.ts';

const SEND = 1 << 20;
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
  test('the driver-style walk finds every block; the layout comes from them', () => {
    const dev = new SimCluster().modelDevice(0);
    const types = discoverBlocks((o) => dev.read32(o)).map((b) => b.type);
    expect(types).toEqual([BlockType.IDENTITY, BlockType.CONFIG, BlockType.COUNTERS, BlockType.QUEUE_PAIRS]);
    expect(discoverLayout(dev)).toEqual({
      numQueuePairs: 16, ctrlBase: QP_CTRL_BASE, userBase: QP_USER_BASE, stride: 0x1000, maxMessageLength: 1_000_000,
      minRegionBpages: 33, maxRegionBpages: 65536,
    });
  });

  test('identity reports the model\'s limits; the config block its address', () => {
    const dev = new SimCluster({ nic: { minRegionBpages: 40, maxGaps: 3 } }).modelDevice(1);
    const at = (block: 'identity' | 'config', name: string, k = 0): number => dev.read32(registerOffset(block, name) + 4 * k);
    expect(at('identity', 'min_region_bpages')).toBe(40);
    expect(at('identity', 'max_gaps')).toBe(3);
    expect([0, 1, 2, 3].map((k) => at('config', 'ip_addr', k) >>> 0)).toEqual([0, 0, 0xffff, 0x0a000002]);
    // A device that wants more than the ABI's minimum gets it: socket() reads the register.
    expect(() => new HomaDevice(dev).socket({ regionBytes: 33 * 65536 })).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'regionBytes' }));
    expect(new HomaDevice(dev).socket({ regionBytes: 40 * 65536 }).port).toBeGreaterThan(0);
  });

  test('counters are read from the NIC', async () => {
    const h = twoHosts();
    void serve(h.server, () => 'ok');
    await h.client.call(h.dest, 'x');
    const dev = h.cluster.modelDevice(0);
    const off = registerOffset('counters', 'client_requests_started');
    expect(dev.read32(off)).toBe(1);
    expect(dev.read32(off + 4)).toBe(0);
  });
});

describe('queue pairs: the control page (the kernel\'s) and the user page (doorbells)', () => {
  test('a queue pair becomes active only with a free port; disabling unbinds it at once', () => {
    const dev = new SimCluster().modelDevice(0);
    const layout = discoverLayout(dev);
    const a = new HostQueuePair(dev, layout, 0, 40, SEND);
    a.enable(500, true);
    expect(a.status() & QpStatus.ACTIVE).toBeTruthy();
    const b = new HostQueuePair(dev, layout, 1, 40, SEND);
    expect(() => b.enable(500, false)).toThrow(/EADDRINUSE/);
    expect(dev.read32(layout.userBase + layout.stride + QP_USER_REG['status']!) & QpStatus.PORT_IN_USE).toBeTruthy();
    expect(dev.read32(layout.ctrlBase + layout.stride + QP_CTRL_REG['status']!) & QpStatus.PORT_IN_USE).toBeTruthy();
    expect(a.disable()).toBe(true);
    b.enable(500, false);
    expect(b.status() & QpStatus.ACTIVE).toBeTruthy();
  });

  test('the engine refuses a bad configuration at ENABLE (BAD_CONFIG) and stays disabled', () => {
    const dev = new SimCluster().modelDevice(0);
    const layout = discoverLayout(dev);
    const small = new HostQueuePair(dev, layout, 0, 32, SEND);                     // under min_region_bpages
    expect(() => small.enable(9, false)).toThrow(expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/BAD_CONFIG/) }));
    expect(small.status()).toBe(QpStatus.BAD_CONFIG);
    const rings = new HostQueuePair(dev, layout, 1, 40, SEND, { sqLog: 1, cqLog: 4, bretLog: 4 });
    expect(() => rings.enable(9, false)).toThrow(/BAD_CONFIG/);
    expect(dev.problems.join('\n')).toMatch(/sq_log_size 1/);
    expect(dev.nic.queuePairs.size).toBe(0);
  });

  test('writes to the control page while enabled are ignored, except ctrl', async () => {
    const h = twoHosts();
    void serve(h.server, (b) => b);
    const dev = h.cluster.modelDevice(0);
    const layout = discoverLayout(dev);
    const qp = new HostQueuePair(dev, layout, 5, 40, SEND);
    qp.enable(777, false);
    const elsewhere = dev.allocateDma(1 << 16);
    const ctrl = (name: string): number => layout.ctrlBase + 5 * layout.stride + QP_CTRL_REG[name]!;
    for (const r of ['sq_base_lo', 'cq_base_lo', 'bpool_base_lo', 'send_base_lo']) dev.write32(ctrl(r), Number(elsewhere.address & 0xffffffffn));
    dev.write32(ctrl('send_size'), 1 << 30);
    dev.write32(ctrl('port'), 99);
    expect(dev.read32(ctrl('sq_base_lo'))).toBe(Number(qp.sq.address & 0xffffffffn));
    expect(dev.read32(ctrl('port'))).toBe(777);
    expect(dev.problems.filter((p) => /while enabled: ignored/.test(p)).length).toBe(6);
    // The queue pair still runs on the memory it was enabled with.
    qp.send.bytes.set([1, 2, 3], 0);
    qp.postSend({ opcode: SendOpcode.REQUEST, cookie: 1n, dport: h.dest.port, length: 3, peer_addr: v4Mapped(ipv4(h.serverDevice.address)) });
    const c = await completion(dev, qp, CompletionType.RESPONSE);
    expect(Array.from(qp.region.bytes.subarray(c.bpageOffsets[0]!, c.bpageOffsets[0]! + 3))).toEqual([1, 2, 3]);
    expect(elsewhere.bytes.every((b) => b === 0)).toBe(true);
  });

  test('the user page takes only its doorbells', () => {
    const dev = new SimCluster().modelDevice(0);
    const layout = discoverLayout(dev);
    const qp = new HostQueuePair(dev, layout, 0, 40, SEND);
    qp.enable(9, false);
    const avail = qp.availBytes();
    expect(avail).toBe(40 * 65536);
    for (const r of ['sq_head', 'cq_tail', 'bret_head', 'status', 'bpool_avail_bytes']) dev.write32(layout.userBase + QP_USER_REG[r]!, 77);
    expect([qp.reg('sq_head'), qp.reg('cq_tail'), qp.reg('bret_head'), qp.status(), qp.availBytes()]).toEqual([0, 0, 0, QpStatus.ACTIVE, avail]);
  });

  test('a descriptor whose bytes leave the send region is refused: ERROR EINVAL, BAD_DESCRIPTOR, nothing read', async () => {
    const dev = new SimCluster().modelDevice(0);
    const qp = new HostQueuePair(dev, discoverLayout(dev), 0, 40, SEND);
    qp.enable(9, false);
    const seen = dev.eventCount();
    qp.postSend({ opcode: SendOpcode.REQUEST, flags: SendFlag.NOTIFY_ID, cookie: 17n, dport: 1, send_offset: SEND - 8, length: 9, peer_addr: v4Mapped(dev.address) });
    expect(await dev.waitEvent(seen)).toBe('event');
    expect(qp.status() & QpStatus.BAD_DESCRIPTOR).toBeTruthy();
    expect(qp.pollCompletion()).toMatchObject({ type: CompletionType.ERROR, id: 0n, cookie: 17n, error: 22 });
    expect(dev.nic.counters['bad_descriptors']).toBe(1);
    expect(dev.nic.counters['client_requests_started']).toBe(0);
    expect(dev.problems.join()).toMatch(/leave the \d+-byte send region/);
    // The queue pair goes on: the same bytes inside the region are taken; a request with an id is not.
    qp.postSend({ opcode: SendOpcode.REQUEST, flags: SendFlag.NOTIFY_ID, cookie: 18n, dport: 1, send_offset: SEND - 9, length: 9, peer_addr: v4Mapped(dev.address) });
    expect(await completion(dev, qp, CompletionType.ACCEPTED)).toMatchObject({ id: 2n, cookie: 18n });
    qp.postSend({ opcode: SendOpcode.REQUEST, flags: SendFlag.NOTIFY_ID, id: 4n, cookie: 19n, dport: 1, length: 9, peer_addr: v4Mapped(dev.address) });
    expect(await completion(dev, qp, CompletionType.ERROR)).toMatchObject({ id: 4n, cookie: 19n, error: 22 });
    expect(dev.problems.join()).toMatch(/the engine assigns request ids/);
    expect(dev.nic.counters['bad_descriptors']).toBe(2);
  });

  test('returning a bpage that holds nothing sets BPAGE_DOUBLE_FREE (§4: EINVAL in HomaModule)', async () => {
    const dev = new SimCluster().modelDevice(0);
    const qp = new HostQueuePair(dev, discoverLayout(dev), 0, 40, SEND);
    qp.enable(77, false);
    // Sockets track releases themselves and never do this; a raw queue pair can.
    const seen = dev.eventCount();
    qp.postReturns([0]);
    await dev.waitEvent(seen);
    expect(qp.status() & QpStatus.BPAGE_DOUBLE_FREE).toBeTruthy();
    expect(dev.nic.counters['bpage_double_frees']).toBe(1);
  });

  test('1 MB responses through a 4-entry completion ring: continuations wrap, nothing is lost', async () => {
    const h = twoHosts();
    void serve(h.server, () => new Uint8Array(1_000_000).fill(0x3c));
    const dev = h.cluster.modelDevice(0);
    const qp = new HostQueuePair(dev, discoverLayout(dev), 7, 64, SEND, { sqLog: 4, cqLog: 2, bretLog: 6 });
    qp.enable(4321, false);
    const peer = v4Mapped(ipv4(h.serverDevice.address));
    for (let i = 0; i < 3; i++) qp.postSend({ opcode: SendOpcode.REQUEST, cookie: BigInt(10 + i), dport: h.dest.port, length: 10, peer_addr: peer });
    const got: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await completion(dev, qp, CompletionType.RESPONSE);
      expect(c.bpageOffsets.length).toBe(16);
      expect(gatherBpages(qp.region.bytes, c.bpageOffsets, c.length).every((b) => b === 0x3c)).toBe(true);
      qp.postReturns(c.bpageOffsets);
      got.push(c.cookie);
    }
    expect(got.sort()).toEqual([10n, 11n, 12n]);
    expect(qp.reg('cq_tail')).toBe(6);
  });
});

describe('closing a socket: memory goes back only once the engine is inactive', () => {
  test('with a slow disable, the queue pair and its memory are held until ACTIVE clears', async () => {
    const h = twoHosts({ disableNs: 50_000 });
    const dev = h.cluster.modelDevice(1);
    expect(dev.memory.liveBuffers).toBe(5);                               // rings, region, send region
    h.server.close();
    expect(dev.memory.liveBuffers).toBe(5);                               // the engine may still touch them
    const again = h.serverDevice.socket({ port: h.dest.port });          // the port is free at once...
    expect(again.port).toBe(h.dest.port);
    expect(dev.modelQueuePair(0)!.model).toBeNull();                      // ...but queue pair 0 is not yet
    expect(dev.modelQueuePair(1)!.model).not.toBeNull();
    expect(dev.memory.liveBuffers).toBe(10);
    await h.cluster.sleep(60_000);
    expect(dev.memory.liveBuffers).toBe(5);
    expect(h.serverDevice.socket().port).toBeGreaterThan(0);             // and now queue pair 0 can be had again
    expect(dev.modelQueuePair(0)!.model).not.toBeNull();
  });
});

const ipv4 = (text: string): Uint8Array => Uint8Array.from(text.split('.').map(Number));

/** Service `qp` until a completion of `type` comes (others are dropped). */
async function completion(dev: SimDevice, qp: HostQueuePair, type: number): Promise<HostCompletion> {
  for (;;) {
    const seen = dev.eventCount();
    for (let c = qp.pollCompletion(); c; c = qp.pollCompletion()) if (c.type === type) return c;
    if (await dev.waitEvent(seen) === 'idle') throw new Error(`no completion of type ${type}`);
  }
}

describe('simulated time', () => {
  test('sleep advances simulated time exactly; time stands still otherwise', async () => {
    const c = new SimCluster();
    const t0 = c.now();
    await c.sleep(12_345);
    expect(c.now()).toBe(t0 + 12_345);
    await Promise.all([c.sleep(1000), c.modelDevice(1).sleep(3000)]);
    expect(c.now()).toBe(t0 + 15_345);
  });

  test('a sleep past the horizon ends with an error that names the horizon, not a loop', async () => {
    const c = new SimCluster({ horizonNs: 10_000 });
    await c.sleep(5_000);
    await expect(c.sleep(20_000)).rejects.toThrow(/horizon/);
    expect(c.now()).toBe(10_000);
  });

  test('a wait for an event that cannot come ends as idle', async () => {
    const c = new SimCluster();
    const d = c.modelDevice(0);
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
    const srv = new HomaDevice(cluster.modelDevice(1));
    const cli = new HomaDevice(cluster.modelDevice(0));
    const s1 = srv.socket({ port: 1, server: true });
    const s2 = srv.socket({ port: 2, server: true });
    void serve(s1, () => 'one');
    void serve(s2, () => 'two');
    const c = cli.socket();
    const [a, b] = await Promise.all([c.call({ address: srv.address, port: 1 }, 'x'), c.call({ address: srv.address, port: 2 }, 'y')]);
    expect([a.text(), b.text()]).toEqual(['one', 'two']);
  });
});
