// hw/homa/engine/rx_parser.test.ts — the receive parser against its reference, frame by frame,
// on every engine and at every beat width (64, 8 and 1 bytes).
//
// A MAC sends frames (rx_parser_frames.ts: every packet type, IPv4 and IPv6, hijacked TCP,
// GSO forms, and frames broken to fail each check) with random idle gaps or back to back; the
// header stream is taken with random back-pressure (stream rules checked); a reader reads
// each accepted frame back through the read port and releases its beats in order after a
// random delay. Frames are told apart by their sender ids. At the end, every frame must have
// had exactly one outcome, the reference's: accepted with identical header fields and
// identical bytes in the buffer, or dropped with the reference's reason (one `drop` cycle).
// The one exception is 'overrun', which depends on the reader's pace: any frame may be
// dropped as an overrun, except where the reader keeps up (the line-rate phase).

import { describe, expect, test } from 'vitest';
import { simulate, Testbench, type Beat, type PortHandle, type Simulator } from '../../hdl/sim/index.ts';
import { Rng } from '../../hdl/sim/fuzz/random.ts';
import { engines } from '../../lib/testing.ts';
import { engineWidths, ENGINE_CONFIGS, type EngineConfig } from './config.ts';
import { rxDrop } from './types.ts';
import { rxParser } from './rx_parser.ts';
import { addr128, FrameGen, rxReference, type DropName, type Outcome, type RxHeaderValues, type TestFrame } from './rx_parser_frames.ts';

const V4_MAPPED = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
const NATIVE_V6 = Uint8Array.from([0xfd, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xef]);

interface Phase {
  readonly frames: readonly TestFrame[];
  readonly ipAddr: Uint8Array;
  /** Chance per cycle that the MAC has no beat (0: back to back). */
  readonly idle: number;
  /** Chance per cycle that `hdr` is ready. */
  readonly hdrReady: number;
  /** Cycles the reader waits, after reading a frame back, before releasing it. */
  readonly freeDelay: readonly [number, number];
  /** Hold every release until all of the phase's frames are decided (the ring fills up). */
  readonly stallReader?: boolean;
  readonly seed: number;
}

interface Pending { readonly index: number; readonly start: number; readonly beats: number }

/** Drives one parser and records what it does with each frame. */
class RxBench {
  readonly frames: TestFrame[] = [];
  readonly expected: Outcome[] = [];
  private readonly byId = new Map<bigint, number>();
  /** Frame indices accepted, in order, and the drop reasons seen, in order. */
  readonly accepted: number[] = [];
  readonly drops: DropName[] = [];
  readonly errors: string[] = [];
  private readonly depth: number;
  private readonly ptrMask: number;
  private nextStart = 0;
  private readonly h: Record<'valid' | 'data' | 'keep' | 'last' | 'error' | 'drop' | 'rdEn' | 'rdAddr' | 'rdData' | 'free' | 'ipAddr', PortHandle>;

  constructor(readonly sim: Simulator, readonly c: EngineConfig) {
    this.depth = c.rxBufferBeats;
    this.ptrMask = 2 ** (engineWidths(c).rxBufferAddr + 1) - 1;
    const p = (n: string) => sim.port(n);
    this.h = {
      valid: p('mac.valid'), data: p('mac.payload.data'), keep: p('mac.payload.keep'), last: p('mac.payload.last'), error: p('mac.payload.error'),
      drop: p('drop'), rdEn: p('buf_rd_en'), rdAddr: p('buf_rd_addr'), rdData: p('buf_rd_data'), free: p('buf_free'), ipAddr: p('ip_addr'),
    };
  }

  private fail(msg: string): void { if (this.errors.length < 20) this.errors.push(msg); }
  private decided(): number { return this.accepted.length + this.drops.length; }

  /** Beats of a frame as the MAC presents them: byte j of beat k in lane j. */
  private beats(bytes: Uint8Array): { data: number | bigint; keep: number | bigint; last: boolean }[] {
    const B = this.c.beatBytes, n = Math.ceil(bytes.length / B);
    return Array.from({ length: n }, (_, k) => {
      const lanes = bytes.subarray(k * B, k * B + B);
      let hex = '';
      for (let j = lanes.length - 1; j >= 0; j--) hex += lanes[j]!.toString(16).padStart(2, '0');
      const keep = 2n ** BigInt(lanes.length) - 1n;
      return { data: B * 8 > 32 ? BigInt(`0x${hex}`) : parseInt(hex, 16), keep: B > 32 ? keep : Number(keep), last: k === n - 1 };
    });
  }

  async run(phase: Phase): Promise<void> {
    const { sim, h, c } = this;
    const B = c.beatBytes;
    const rng = new Rng(phase.seed);
    h.ipAddr.set(addr128(phase.ipAddr));
    const first = this.frames.length;
    for (const f of phase.frames) {
      const index = this.frames.length;
      this.frames.push(f);
      const want = rxReference(f, phase.ipAddr);
      this.expected.push(want);
      if (want.reason === 'none') this.byId.set(want.header.sender_id, index);
    }
    const total = this.frames.length;

    // The reader: accepted frames are read back beat by beat, then released in order.
    const toRead: Pending[] = [];
    let reading: { p: Pending; k: number } | null = null;
    let checking: { p: Pending; k: number } | null = null;
    const toFree: { end: number; at: number }[] = [];
    const tb = new Testbench(sim);
    tb.monitor('hdr', {
      readyProbability: phase.hdrReady, seed: phase.seed + 1,
      onBeat: (beat) => this.header(beat, toRead),
    });
    let frame = first, beatList = this.beats(this.frames[first]?.bytes ?? new Uint8Array(0)), beat = 0;
    const stopHook = sim.onCycle((cycle) => {
      // MAC: one beat or none; it never waits.
      if (frame < total && !rng.chance(phase.idle)) {
        const b = beatList[beat]!;
        h.valid.set(1); h.data.set(b.data); h.keep.set(b.keep); h.last.set(b.last ? 1 : 0);
        h.error.set(b.last && this.frames[frame]!.error ? 1 : 0);
        if (++beat === beatList.length) { frame++; beat = 0; if (frame < total) beatList = this.beats(this.frames[frame]!.bytes); }
      } else h.valid.set(0);
      const d = Number(h.drop.get());
      if (d !== 0) this.drops.push(rxDrop.names[d]!);
      // Reader: check last cycle's read, issue the next one, release what is due.
      if (checking) {
        const { p, k } = checking;
        const bytes = this.frames[p.index]!.bytes;
        const got = BigInt(h.rdData.get());
        for (let j = 0; j < B && k * B + j < bytes.length; j++) {
          if (Number((got >> BigInt(8 * j)) & 0xffn) !== bytes[k * B + j]) {
            this.fail(`frame ${p.index} (${this.frames[p.index]!.kind}): buffer beat ${k} lane ${j} differs`);
            break;
          }
        }
        checking = null;
      }
      if (!reading && toRead.length) reading = { p: toRead.shift()!, k: 0 };
      if (reading) {
        const { p } = reading;
        h.rdEn.set(1);
        h.rdAddr.set((p.start + reading.k) % this.depth);
        checking = { p, k: reading.k };
        if (++reading.k === p.beats) {
          toFree.push({ end: (p.start + p.beats) & this.ptrMask, at: cycle + 1 + rng.range(phase.freeDelay[0], phase.freeDelay[1]) });
          reading = null;
        }
      } else h.rdEn.set(0);
      const holding = phase.stallReader && this.decided() < total;
      while (toFree.length && toFree[0]!.at <= cycle && !holding) h.free.set(toFree.shift()!.end);
    });
    try {
      await tb.until(() => this.decided() === total && !reading && !checking && !toRead.length && !toFree.length && frame === total,
        { timeout: 200 * phase.frames.reduce((s, f) => s + Math.ceil(f.bytes.length / B) + 2, 0) + 10_000 });
    } finally {
      stopHook();
      tb.dispose();
      h.valid.set(0);
      h.rdEn.set(0);
    }
  }

  private header(beat: Beat, toRead: Pending[]): void {
    const got = beat as Record<string, number | bigint>;
    const index = this.byId.get(BigInt(got['sender_id']!));
    if (index === undefined) { this.fail(`accepted a frame the reference drops (sender_id ${got['sender_id']})`); return; }
    const want = this.expected[index]!;
    if (want.reason !== 'none') { this.fail(`frame ${index} (${this.frames[index]!.kind}) accepted, want ${want.reason}`); return; }
    if (this.accepted.length && index <= this.accepted[this.accepted.length - 1]!) this.fail(`frame ${index} accepted out of order`);
    this.accepted.push(index);
    for (const [k, v] of Object.entries(want.header) as [keyof RxHeaderValues, number | bigint][]) {
      if (BigInt(got[k]!) !== BigInt(v)) this.fail(`frame ${index} (${this.frames[index]!.kind}): ${k} = ${got[k]}, want ${v}`);
    }
    // Frames sit back to back in the ring: dropped ones leave no beats behind.
    const beats = Math.ceil(this.frames[index]!.bytes.length / this.c.beatBytes);
    const start = Number(got['buf_start']), end = Number(got['buf_end']);
    if (start !== this.nextStart) this.fail(`frame ${index}: buf_start ${start}, want ${this.nextStart} (the previous frame's end)`);
    if (end !== ((start + beats) & this.ptrMask)) this.fail(`frame ${index}: buf_end ${end} for ${beats} beats from ${start}`);
    this.nextStart = end;
    toRead.push({ index, start, beats });
  }

  /** Every frame had exactly one outcome, the reference's (or an overrun); returns the overruns. */
  verdicts(): { overruns: number; byReason: Record<string, number> } {
    const acceptedSet = new Set(this.accepted);
    const dropped = this.frames.map((_, i) => i).filter((i) => !acceptedSet.has(i));
    if (dropped.length !== this.drops.length) this.fail(`${dropped.length} frames not accepted, ${this.drops.length} drop pulses`);
    let overruns = 0;
    const byReason: Record<string, number> = {};
    dropped.forEach((i, n) => {
      const got = this.drops[n], want = this.expected[i]!.reason;
      byReason[want] = (byReason[want] ?? 0) + 1;
      if (got === 'overrun') overruns++;
      else if (got !== want) this.fail(`frame ${i} (${this.frames[i]!.kind}): dropped as ${got}, want ${want === 'none' ? 'accepted' : want}`);
    });
    byReason['accepted'] = this.accepted.length;
    return { overruns, byReason };
  }
}

async function bench(c: EngineConfig, engine: string): Promise<RxBench> {
  const sim = await simulate(rxParser(c), { engine });
  sim.reset(2);
  return new RxBench(sim, c);
}

/** Frames per random phase: fewer at narrow beats, where every byte is a cycle. */
const scale = (c: EngineConfig): number => (c.beatBytes === 64 ? 1 : c.beatBytes === 8 ? 0.6 : 0.25);

for (const engine of engines) {
  describe(`rx_parser (${engine})`, () => {
    for (const c of [ENGINE_CONFIGS.u250, ENGINE_CONFIGS.arty, ENGINE_CONFIGS.ice40]) {
      test(`${c.name} (${c.beatBytes}-byte beats): every frame gets the reference's verdict, header and bytes`, async () => {
        const b = await bench(c, engine);
        const gen = new FrameGen(new Rng(7 + c.beatBytes), { ipAddr: V4_MAPPED, longPayloads: c.beatBytes === 1 ? 0.15 : 0.4 });
        const n = Math.round(1000 * scale(c));
        // IPv4-mapped address: IPv4 and IPv6 frames for us; idle gaps, back-pressure, a slow reader.
        await b.run({ frames: Array.from({ length: n }, () => gen.next()), ipAddr: V4_MAPPED, idle: 0.3, hdrReady: 0.7, freeDelay: [0, 40], seed: 1 });
        // A native IPv6 address: IPv4 frames are all for someone else.
        gen.options = { ...gen.options, ipAddr: NATIVE_V6 };
        await b.run({ frames: Array.from({ length: n >> 1 }, () => gen.next()), ipAddr: NATIVE_V6, idle: 0.05, hdrReady: 0.4, freeDelay: [0, 10], seed: 2 });
        const v = b.verdicts();
        expect(b.errors).toEqual([]);
        // The stimulus did reach every reason (overrun is the next test's).
        for (const r of rxDrop.names.filter((x) => x !== 'none' && x !== 'overrun')) expect(v.byReason[r] ?? 0, r).toBeGreaterThan(0);
        expect(v.byReason['accepted']).toBeGreaterThan(n / 4);
        b.sim.dispose();
      });

      test(`${c.name}: back to back at one beat per cycle, nothing lost while the reader keeps up; a stalled reader overruns, then it recovers`, async () => {
        const b = await bench(c, engine);
        const gen = new FrameGen(new Rng(11 + c.beatBytes), { ipAddr: V4_MAPPED, longPayloads: c.beatBytes === 1 ? 0.1 : 0.4 });
        const n = Math.round(600 * scale(c));
        const lineRate = (seed: number): Phase => ({
          frames: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? gen.next() : i % 3 === 1 ? gen.good() : gen.minimum())),
          ipAddr: V4_MAPPED, idle: 0, hdrReady: 1, freeDelay: [0, 0], seed,
        });
        await b.run(lineRate(3));
        expect(b.verdicts().overruns).toBe(0);
        // Nothing released while more than the ring's worth of frames arrives, and headers are
        // not taken at first either: both the ring and the header queue run out.
        const ringBytes = c.rxBufferBeats * c.beatBytes;
        const flood: TestFrame[] = [];
        for (let bytes = 0; bytes < 1.5 * ringBytes;) { const f = gen.good(); flood.push(f); bytes += f.bytes.length; }
        await b.run({ frames: flood, ipAddr: V4_MAPPED, idle: 0, hdrReady: 0.02, freeDelay: [0, 0], stallReader: true, seed: 4 });
        const afterStall = b.verdicts().overruns;
        expect(afterStall).toBeGreaterThan(0);
        await b.run(lineRate(5));
        const v = b.verdicts();
        expect(v.overruns).toBe(afterStall);
        expect(b.errors).toEqual([]);
        b.sim.dispose();
      });
    }

    // Small rings (4 KiB at 64 bytes per beat, 2 KiB at 8 and 1) and a reader that lags by up
    // to a few hundred cycles: overruns, some in the middle of a frame, interleave with
    // accepted and dropped frames, and the ring wraps many times.
    for (const [base, beats] of [[ENGINE_CONFIGS.u250, 64], [ENGINE_CONFIGS.arty, 256], [ENGINE_CONFIGS.ice40, 2048]] as const) {
      const c: EngineConfig = { ...base, name: `${base.name}_ring${beats}`, rxBufferBeats: beats };
      test(`${c.name}: overruns from a slow reader leave every other verdict, header and byte exact`, async () => {
        const b = await bench(c, engine);
        const gen = new FrameGen(new Rng(13 + c.beatBytes), { ipAddr: V4_MAPPED, longPayloads: c.beatBytes === 1 ? 0.15 : 0.4 });
        const n = Math.round(600 * scale(c));
        await b.run({ frames: Array.from({ length: n }, () => gen.next()), ipAddr: V4_MAPPED, idle: 0.1, hdrReady: 0.8, freeDelay: [0, 2 * beats], seed: 6 });
        const v = b.verdicts();
        expect(b.errors).toEqual([]);
        expect(v.overruns).toBeGreaterThan(0);
        expect(v.byReason['accepted']).toBeGreaterThan(n / 10);
        b.sim.dispose();
      });
    }
  });
}
