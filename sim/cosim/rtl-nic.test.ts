import { expect, test } from 'vitest';
import { registerOffset } from '../../hw/homa/abi.ts';
import { ENGINE_CONFIGS, engineParams } from '../../hw/homa/engine/config.ts';
import { regFifo } from '../../hw/lib/fifo.ts';
import { u } from '../../hw/hdl/index.ts';
import { simulate } from '../../hw/hdl/sim/index.ts';
import { Rng } from '../../hw/hdl/sim/fuzz/random.ts';
import { RtlNic } from './rtl-nic.ts';
import { STAND_IN_REGS as R, silentEngine, standInEngine } from './stand-in.ts';
import { EventQueue } from '../model/harness.ts';
import { ProbePort, enableQueuePair, engines, fletcher, patternBytes, standInRead, standInRig, standInWrite } from './testing.ts';

// The RtlNic's host side on the stand-in engine (a test double with the engine top's ports):
// registers, DMA both ways at both beat widths, irq events, and the time model.

const configs = [ENGINE_CONFIGS.u250, ENGINE_CONFIGS.arty];

for (const engine of engines) {
  for (const config of configs) {
    const tag = `${config.name}, ${config.beatBytes}-byte beats, ${engine}`;

    test(`registers round trip; ip_addr and mac_addr were programmed at attach (${tag})`, async () => {
      const { nic } = await standInRig(engine, config);
      nic.write32(R.scratch, 0xdeadbeef);
      expect(nic.read32(R.scratch)).toBe(0xdeadbeef);
      nic.write32(R.scratch, 7);
      expect(nic.read32(R.scratch)).toBe(7);
      const p = engineParams(config);
      const ip = registerOffset('config', 'ip_addr', p);
      expect([0, 1, 2, 3].map((i) => nic.read32(ip + 4 * i))).toEqual([0, 0, 0x0000ffff, 0x0a000001]);   // ::ffff:10.0.0.1
      const mac = registerOffset('config', 'mac_addr', p);
      expect([nic.read32(mac), nic.read32(mac + 4)]).toEqual([0x00000001, 0x0200]);                      // 02:00:00:00:00:01
      // The register RAM answers a cycle later than flip-flop registers: both work, one access at a time.
      expect(nic.counters.regReads).toBe(8);
      expect(() => nic.read32(3)).toThrow(/multiple of 4/);
      nic.dispose();
    });

    test(`DMA writes land in host memory byte-exact at odd addresses, lengths and lanes (${tag})`, async () => {
      const rig = await standInRig(engine, config);
      const { nic } = rig;
      const pool = nic.allocateDma(1 << 16);
      enableQueuePair(nic, 1, { bpool: { buffer: pool, bpages: 1 } });
      const B = config.beatBytes;
      const rng = new Rng(3);
      const cases = [
        { off: 0, len: 1, lane: 0 }, { off: 1, len: 1, lane: B - 1 }, { off: 3, len: 7, lane: 5 % B }, { off: 63, len: 64, lane: B - 1 },
        { off: 4095, len: 129, lane: 1 }, { off: 65535 - 3001, len: 3001, lane: 7 % B }, { off: 0, len: 65535, lane: 0 },
        ...Array.from({ length: 12 }, () => ({ off: rng.int(60000), len: 1 + rng.int(5000), lane: rng.int(B) })),
      ];
      let writes = 0;
      for (const [i, c] of cases.entries()) {
        pool.bytes.fill(0);
        const pattern = (i * 29 + 1) & 0xff;
        standInWrite(rig, { address: pool.address + BigInt(c.off), length: c.len, qp: 1, lane: c.lane, pattern });
        expect(nic.read32(R.writesDone)).toBe(++writes);
        const want = new Uint8Array(1 << 16);
        want.set(patternBytes(c.len, pattern), c.off);
        const diff = want.findIndex((x, k) => x !== pool.bytes[k]);
        expect(diff, `case ${JSON.stringify(c)}: first wrong byte`).toBe(-1);
      }
      expect(nic.counters.dmaBytesWritten).toBe(cases.reduce((s, c) => s + c.len, 0));
      expect(nic.watchdog.checked).toBe(cases.length);
      nic.dispose();
    });

    test(`DMA reads return the right bytes, in order, with their tag (${tag})`, async () => {
      const rig = await standInRig(engine, config);
      const { nic } = rig;
      const send = nic.allocateDma(70000);
      const rng = new Rng(5);
      for (let i = 0; i < send.bytes.length; i++) send.bytes[i] = rng.int(256);
      enableQueuePair(nic, 2, { send: { buffer: send, bytes: 70000 } });
      const cases = [[0, 1], [1, 2], [5, 63], [7, 64], [13, 65], [999, 1500], [70000 - 65535, 65535],
        ...Array.from({ length: 10 }, () => [rng.int(60000), 1 + rng.int(9000)])];
      for (const [i, [off, len]] of cases.entries()) {
        const got = standInRead(rig, { address: send.address + BigInt(off!), length: len!, qp: 2, pattern: i });
        const want = fletcher(send.bytes.subarray(off!, off! + len!));
        expect({ ...got, at: [off, len] }).toEqual({ a: want.a, b: want.b, tag: i & 15, at: [off, len] });
      }
      expect(nic.read32(R.readsDone)).toBe(cases.length);
      nic.dispose();
    });

    test(`irq pulses count as events per queue pair, at the time of their cycle (${tag})`, async () => {
      const seen: { qp: number; t: number }[] = [];
      const rig = await standInRig(engine, config, { onEvent: (qp) => seen.push({ qp, t: rig.q.now }) });
      const { nic, q } = rig;
      q.run(1_000_000);                                                  // 1 us of nothing
      nic.write32(R.irq, 3);
      q.run();
      nic.write32(R.irq, 3);
      nic.write32(R.irq, config.queuePairs - 1);
      q.run();
      expect(nic.events).toBe(3);
      expect(nic.eventsByQueuePair[3]).toBe(2);
      expect(nic.eventsByQueuePair[config.queuePairs - 1]).toBe(1);
      expect(seen.map((s) => s.qp)).toEqual([3, 3, config.queuePairs - 1]);
      // Raised the cycle after the write was taken, so a few cycles after 1 us, on a cycle boundary.
      expect(seen[0]!.t).toBeGreaterThan(1_000_000);
      expect(seen[0]!.t).toBeLessThanOrEqual(1_000_000 + 4 * nic.periodPs);
      expect(seen[0]!.t % nic.periodPs).toBe(0);
      nic.dispose();
    });
  }

  test(`added DMA latency delays reads and writes by whole cycles (${engine})`, async () => {
    const config = ENGINE_CONFIGS.u250;
    const fast = await standInRig(engine, config);
    const slow = await standInRig(engine, config, { dma: { readLatencyCycles: 250, writeLatencyCycles: 100 } });
    const spent: number[] = [];
    for (const rig of [fast, slow]) {
      const send = rig.nic.allocateDma(4096);
      send.bytes.fill(9);
      const pool = rig.nic.allocateDma(1 << 16);
      enableQueuePair(rig.nic, 0, { send: { buffer: send, bytes: 4096 }, bpool: { buffer: pool, bpages: 1 } });
      const before = rig.nic.counters.cyclesStepped;
      expect(standInRead(rig, { address: send.address, length: 640, qp: 0 })).toEqual({ ...fletcher(send.bytes.subarray(0, 640)), tag: 0 });
      standInWrite(rig, { address: pool.address + 1n, length: 100, qp: 0, pattern: 1 });
      expect([...pool.bytes.subarray(0, 102)]).toEqual([0, ...patternBytes(100, 1), 0]);
      spent.push(rig.nic.counters.cyclesStepped - before);
      rig.nic.dispose();
    }
    expect(spent[1]! - spent[0]!).toBeGreaterThanOrEqual(350);
    expect(spent[1]! - spent[0]!).toBeLessThan(360);
  });

  test(`a long quiet stretch costs no stepped cycles; inputs catch the engine up first (${engine})`, async () => {
    const config = ENGINE_CONFIGS.u250;
    const { nic, q, port } = await standInRig(engine, config);
    const atStart = nic.counters.cyclesStepped;
    const frame = Uint8Array.from({ length: 200 }, (_, i) => i);
    q.at(1e12, () => nic.receive(frame));                              // one frame 1 s from now
    q.run();
    const c = nic.counters;
    expect(port.pulled.length).toBe(1);
    expect(port.pulled[0]!.t).toBeGreaterThan(1e12);
    expect(port.pulled[0]!.t).toBeLessThan(1e12 + 20 * nic.periodPs);
    expect(c.cyclesStepped - atStart).toBeLessThan(30);
    expect(c.cyclesSkipped).toBeGreaterThanOrEqual(1e12 / nic.periodPs - 30);
    expect(nic.cycle).toBe(c.cyclesStepped + c.cyclesSkipped);
    // A register access 1 ms later: the engine skips to then, answers, and is quiet again.
    q.run(1e12 + 1e9);
    nic.write32(R.scratch, 5);
    expect(nic.cycle).toBeGreaterThanOrEqual((1e12 + 1e9) / nic.periodPs);
    expect(nic.cycle).toBeLessThan((1e12 + 1e9) / nic.periodPs + 5);
    expect(nic.quiet).toBe(true);
    nic.dispose();
  });
  test(`running ahead in chunks changes no output time; an input arriving meanwhile waits less than a chunk (${engine})`, async () => {
    const config = ENGINE_CONFIGS.u250;
    const runs: { frames: number[]; irq: number }[] = [];
    for (const chunkCycles of [1, 64]) {
      let irq = -1;
      const { nic, q, port } = await standInRig(engine, config, { chunkCycles, onEvent: () => { irq = q.now; } });
      const frames = Array.from({ length: 5 }, (_, i) => Uint8Array.from({ length: 700 }, (_, k) => k + i));
      q.at(1_000_000, () => { for (const f of frames) nic.receive(f); });
      // A register access while the engine is busy, between two cycle boundaries: with chunks
      // the engine has already run ahead, so the access (and the irq it raises) comes later.
      q.at(1_000_000 + 10 * nic.periodPs + 1234, () => nic.write32(R.irq, 1));
      q.run();
      runs.push({ frames: port.pulled.map((p) => p.t), irq });
      nic.dispose();
    }
    const [exact, chunked] = runs as [{ frames: number[]; irq: number }, { frames: number[]; irq: number }];
    expect(exact.frames.length).toBe(5);
    expect(chunked.frames).toEqual(exact.frames);
    expect(exact.irq).toBe(1_000_000 + 12 * 4000);          // taken in cycle 11 (the first after it), pulsed in 12
    expect(chunked.irq - exact.irq).toBeGreaterThan(0);
    expect(chunked.irq - exact.irq).toBeLessThan(64 * 4000);
  });
}

test('a design without the engine top\'s ports is refused with the ports that are wrong', async () => {
  const sim = await simulate(regFifo(u(8), 4));
  expect(() => new RtlNic(sim, { config: ENGINE_CONFIGS.arty, ip: Uint8Array.of(10, 0, 0, 1), mac: new Uint8Array(6) }))
    .toThrow(/does not have the engine top's ports for configuration 'arty'.*missing input 'reg_req_valid'/);
});

test('host access before attach says to attach first', async () => {
  const nic = new RtlNic(await simulate(standInEngine(ENGINE_CONFIGS.arty)), { config: ENGINE_CONFIGS.arty, ip: Uint8Array.of(10, 0, 0, 2), mac: new Uint8Array(6) });
  expect(() => nic.read32(0)).toThrow(/not attached to a network yet/);
});

test('a register access the engine never answers fails the run, naming the register (attach programs ip_addr first)', async () => {
  const config = ENGINE_CONFIGS.arty;
  const nic = await RtlNic.create({ config, top: silentEngine(config), ip: Uint8Array.of(10, 0, 0, 1), mac: new Uint8Array(6), regTimeoutCycles: 100 });
  const port = new ProbePort(new EventQueue(), 1e9);
  const ip = registerOffset('config', 'ip_addr', engineParams(config));
  expect(() => nic.attach(port)).toThrow(new RegExp(`register write at 0x${ip.toString(16)} got no answer in 100 cycles`));
  expect(() => nic.read32(0)).toThrow(/got no answer/);
});
