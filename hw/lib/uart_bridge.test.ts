import { expect, test } from 'vitest';
import { simulate, Testbench, type Simulator } from '../hdl/sim/index.ts';
import { uartBridge } from './uart_bridge.ts';
import { BridgeHost, encodeFrame, type BridgeMemory } from './uart_bridge_host.ts';
import { engines, Rng } from './testing.ts';

const DIVISOR = 4;
const BYTE = 10 * DIVISOR;

/** Host memory: sparse bytes, random where never written. */
class SparseMemory implements BridgeMemory {
  readonly bytes = new Map<bigint, number>();
  chunks = 0;
  read(addr: bigint, len: number): Uint8Array {
    return Uint8Array.from({ length: len }, (_, i) => this.at(addr + BigInt(i)));
  }
  write(addr: bigint, data: Uint8Array): void { this.chunks++; data.forEach((b, i) => this.bytes.set(addr + BigInt(i), b)); }
  at(a: bigint): number { return this.bytes.get(a) ?? Number((a * 2654435761n >> 7n) & 0xffn); }
}

/** What the line does to bytes on their way (garbage in, bytes dropped): none by default. */
type Mangle = (bytes: Uint8Array) => number[];

/**
 * The bridge between a TypeScript host (BridgeHost on a simulated serial line, both ways) and
 * a device model: a register file that counts writes, DMA requests queued by the test.
 */
class Rig {
  readonly regs = new Map<number, number>();
  readonly writesAt = new Map<string, number>();
  readonly memory = new SparseMemory();
  host: BridgeHost;
  private readonly toBoard: number[] = [];
  private level: number[] = [];
  private rxState = { busy: false, t: 0, bits: 0, n: 0 };
  private prevTxd = 1;
  private resp: number | null = null;
  mangleToBoard: Mangle = (b) => [...b];
  mangleToHost: Mangle = (b) => [...b];
  readonly tb: Testbench;

  constructor(readonly sim: Simulator) {
    this.tb = new Testbench(sim);
    this.host = this.newHost();
    sim.poke('divisor', DIVISOR);
    sim.poke('rxd', 1);
  }

  newHost(): BridgeHost {
    this.host = new BridgeHost(this.memory, (b) => this.toBoard.push(...this.mangleToBoard(b)), { retryAfter: 120 * BYTE, tries: 20 });
    return this.host;
  }

  step(): void {
    const s = this.sim;
    // Host -> board: one UART frame per queued byte.
    if (this.level.length === 0 && this.toBoard.length) {
      const b = this.toBoard.shift()!;
      for (let k = 0; k < 10; k++) for (let t = 0; t < DIVISOR; t++) this.level.push(k === 0 ? 0 : k === 9 ? 1 : (b >> (k - 1)) & 1);
    }
    s.poke('rxd', this.level.length ? this.level.shift()! : 1);
    // The device's registers: take a request, answer it the next cycle.
    let take = 0;
    if (this.resp === null && s.peek('reg_req_valid')) {
      const addr = Number(s.peek('reg_req_addr')), write = Number(s.peek('reg_req_write'));
      if (write) {
        const v = Number(s.peek('reg_req_wdata'));
        this.regs.set(addr, v);
        const k = `${addr}:${v}`;
        this.writesAt.set(k, (this.writesAt.get(k) ?? 0) + 1);
        this.resp = 0;
      } else this.resp = this.regs.get(addr) ?? (addr ^ 0x5a5a5a5a) >>> 0;
      take = 1;
    }
    s.poke('reg_req_ready', take);
    const answering = this.resp !== null && !take;
    s.poke('reg_resp_valid', answering ? 1 : 0);
    s.poke('reg_resp_data', answering ? this.resp! : 0);
    if (answering && s.peek('reg_resp_ready')) this.resp = null;
    s.step();
    // Board -> host: decode the line mid-bit.
    const txd = Number(s.peek('txd'));
    const r = this.rxState;
    if (!r.busy && this.prevTxd === 1 && txd === 0) { r.busy = true; r.t = 0; r.bits = 0; r.n = 0; }
    else if (r.busy) {
      r.t++;
      if (r.t % DIVISOR === DIVISOR >> 1) {
        if (r.n >= 1 && r.n <= 8) r.bits |= txd << (r.n - 1);
        r.n++;
        if (r.n === 10) { r.busy = false; if (txd) this.host.receive(Uint8Array.from(this.mangleToHost(Uint8Array.of(r.bits)))); }
      }
    }
    this.prevTxd = txd;
    this.host.poll(s.cycle);
  }

  /** A register access through the host, to its end; the value or the error. */
  reg(write: boolean, addr: number, value = 0): number {
    this.host.start(write, addr, value, this.sim.cycle);
    for (let i = 0; i < 400 * 120 * BYTE; i++) {
      const r = this.host.result();
      if (r) { if ('error' in r) throw r.error; return r.value; }
      this.step();
    }
    throw new Error('the host neither finished nor failed the request');
  }

  /** Bytes on the line to the board as they are (a host that died half way through a frame). */
  sendRaw(bytes: Uint8Array): void { this.toBoard.push(...bytes); }

  run(cycles: number): void { for (let i = 0; i < cycles; i++) this.step(); }
}

const rand = (rng: Rng, n: number) => Uint8Array.from({ length: n }, () => rng.int(256));

/** Register traffic checked against the device's register file; every write executed once. */
function registerTraffic(rig: Rig, rng: Rng, n: number): void {
  const want = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const addr = rng.int(1 << 22);
    if (rng.int(2)) {
      const v = rng.int(2 ** 32) >>> 0;
      expect(rig.reg(true, addr, v)).toBe(0);
      want.set(addr, v);
    } else {
      expect(rig.reg(false, addr)).toBe(want.get(addr) ?? rig.regs.get(addr) ?? (addr ^ 0x5a5a5a5a) >>> 0);
    }
  }
  for (const [addr, v] of want) expect(rig.regs.get(addr)).toBe(v);
}

/** DMA reads and writes and irqs from the device side; reads compared with host memory. */
async function dmaTraffic(rig: Rig, rng: Rng, o: { writesMayBeLost: boolean }): Promise<void> {
  const { tb, memory, sim } = rig;
  const reads = [1, 64, 65, 200].map((len, tag) => ({ addr: BigInt(0x1000 * (tag + 1)) + BigInt(rng.int(4096)), len, tag, qp: tag & 3 }));
  const rdOut = tb.monitor('dma_rd_data', { readyProbability: 0.5, seed: 7 });
  tb.driver('dma_rd_req', { validProbability: 1, seed: 8 }).push(...reads);
  const writes = [3, 64, 150].map((len, i) => ({ addr: 0x900000n + BigInt(i * 4096 + rng.int(100)), len, qp: i & 3, data: rand(rng, len) }));
  tb.driver('dma_wr_req', { validProbability: 1, seed: 9 }).push(...writes.map(({ addr, len, qp }) => ({ addr, len, qp })));
  tb.driver('dma_wr_data', { validProbability: 0.7, seed: 10 }).push(...writes.flatMap((w) => [...w.data].map((data, i) => ({ data, last: i === w.len - 1 ? 1 : 0 }))));
  tb.driver('irq', { validProbability: 1, seed: 11 }).push(1, 2, 3);
  const total = reads.reduce((a, r) => a + r.len, 0);
  for (let i = 0; i < 3_000_000 && rdOut.received.length < total; i++) rig.step();
  rig.run(40 * 20 * BYTE);
  const got = rdOut.received as { data: number; last: number; tag: number }[];
  let at = 0;
  for (const r of reads) {
    const beats = got.slice(at, at + r.len);
    at += r.len;
    expect(beats.map((b) => b.data)).toEqual([...memory.read(r.addr, r.len)]);
    expect(beats.map((b) => b.last)).toEqual(beats.map((_, i) => (i === r.len - 1 ? 1 : 0)));
    expect(beats.every((b) => b.tag === r.tag)).toBe(true);
  }
  const chunks = writes.reduce((a, w) => a + Math.ceil(w.len / 64), 0);
  if (!o.writesMayBeLost) {
    for (const w of writes) expect([...memory.read(w.addr, w.len)]).toEqual([...w.data]);
    expect(rig.host.lostWrites).toBe(0);
    expect(rig.host.irqs).toBe(3);
  }
  // A PING's answer carries the next write's number: every chunk arrived or is counted lost.
  const pongs = rig.host.pongs;
  for (let i = 0; i < 50 && rig.host.pongs === pongs; i++) { rig.host.ping(); rig.run(200 * BYTE); }
  expect(memory.chunks + rig.host.lostWrites).toBe(chunks);
  void sim;
}

for (const engine of engines) {
  test(`UART bridge: register reads and writes, DMA reads and writes, irqs on a clean line (${engine})`, async () => {
    const sim = await simulate(uartBridge({ addrBits: 22, qpBits: 2, tagBits: 4 }), { engine });
    sim.reset(2);
    const rig = new Rig(sim);
    const rng = new Rng(400);
    rig.host.ping();
    rig.run(200 * BYTE);
    expect(rig.host.pongs).toBe(1);
    registerTraffic(rig, rng, 40);
    await dmaTraffic(rig, rng, { writesMayBeLost: false });
    for (const n of rig.writesAt.values()) expect(n).toBe(1);
    expect(sim.peek('bad_frames')).toBe(0);
    expect(rig.host.badFrames).toBe(0);
    sim.dispose();
  });

  test(`UART bridge: resynchronises after garbage; a repeated write is not executed twice (${engine})`, async () => {
    const sim = await simulate(uartBridge({ addrBits: 22, qpBits: 2, tagBits: 4 }), { engine });
    sim.reset(2);
    const rig = new Rig(sim);
    const rng = new Rng(401);
    // Garbage before, inside and after frames both ways (sync bytes and fake headers among it).
    const garbage = () => [...rand(rng, rng.int(6)), ...(rng.int(3) === 0 ? [0xa5, rng.int(256), rng.int(80)] : [])];
    rig.mangleToBoard = (b) => [...b].flatMap((x) => (rng.int(40) === 0 ? [...garbage(), x] : [x]));
    rig.mangleToHost = (b) => [...b].flatMap((x) => (rng.int(40) === 0 ? [...garbage(), x] : [x]));
    rig.host.ping();
    rig.run(400 * BYTE);
    registerTraffic(rig, rng, 40);
    await dmaTraffic(rig, rng, { writesMayBeLost: true });
    // Answers lost to garbage made the host repeat requests; none ran twice.
    for (const n of rig.writesAt.values()) expect(n).toBe(1);
    expect(Number(sim.peek('bad_frames')) + rig.host.badFrames).toBeGreaterThan(0);
    sim.dispose();
  });

  test(`UART bridge: dropped bytes cost retries, DMA reads still complete, lost writes are reported (${engine})`, async () => {
    const sim = await simulate(uartBridge({ addrBits: 22, qpBits: 2, tagBits: 4 }), { engine });
    sim.reset(2);
    const rig = new Rig(sim);
    const rng = new Rng(402);
    rig.mangleToBoard = (b) => [...b].filter(() => rng.int(40) !== 0);
    rig.mangleToHost = (b) => [...b].filter(() => rng.int(40) !== 0);
    rig.host.ping();
    rig.run(400 * BYTE);
    registerTraffic(rig, rng, 30);
    await dmaTraffic(rig, rng, { writesMayBeLost: true });
    for (const n of rig.writesAt.values()) expect(n).toBe(1);
    sim.dispose();
  });

  test(`UART bridge: a reset of the board or of the host mid-frame, then traffic resumes (${engine})`, async () => {
    const sim = await simulate(uartBridge({ addrBits: 22, qpBits: 2, tagBits: 4 }), { engine });
    sim.reset(2);
    const rig = new Rig(sim);
    const rng = new Rng(403);
    rig.host.ping();
    rig.run(200 * BYTE);
    registerTraffic(rig, rng, 5);
    // The board resets while a request is on the line: the host's repeat gets the answer.
    rig.host.start(true, 0x1234, 0xdeadbeef, sim.cycle);
    rig.run(5 * BYTE);
    sim.reset(2);
    sim.poke('divisor', DIVISOR);
    for (let i = 0; i < 100_000 && !rig.host.result(); i++) rig.step();
    expect(rig.host.result()).toEqual({ value: 0 });
    expect(rig.regs.get(0x1234)).toBe(0xdeadbeef);
    // The host restarts half way through sending a frame: the new host's session works.
    rig.sendRaw(encodeFrame(0x01, Uint8Array.of(7, 0, 0x12, 0x34, 1, 2, 3, 4)).subarray(0, 6));
    rig.newHost();
    rig.host.ping();
    rig.run(300 * BYTE);
    expect(rig.host.pongs).toBe(1);
    expect(rig.reg(false, 0x1234)).toBe(0xdeadbeef);
    registerTraffic(rig, rng, 10);
    sim.dispose();
  });

  test(`UART bridge host reports a request nobody answers, with what to check (${engine})`, async () => {
    const sim = await simulate(uartBridge({ addrBits: 22, qpBits: 2, tagBits: 4 }), { engine });
    sim.reset(2);
    const rig = new Rig(sim);
    rig.mangleToBoard = () => [];
    expect(() => rig.reg(false, 0x10)).toThrow(/no answer to the read of register 0x10 after 20 tries/);
    sim.dispose();
  });
}
