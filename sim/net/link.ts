// sim/net/link.ts — one direction of a cable: a transmitter that pulls frames from a source
// (a host's endpoint or a switch output port) whenever it is idle, serialises them at the
// link rate, and hands them to a sink after the propagation delay.
//
// Serialisation takes (max(frame, 60) + 24) bytes x 8 / rate: preamble, FCS and inter-frame
// gap are on the wire but not in the frame (endpoint.ts). Delivery is store-and-forward: the
// sink sees the frame when its last bit has arrived, plus the sink's own fixed delay.

import type { EventHandler, Simulator } from './events.ts';
// The receiving MAC's FCS check is real: a corrupted frame carries a CRC computed before the fault.
import { ethernetCrc32 as crc32 } from '../../hw/lib/models.ts';
import type { LinkFaults } from './faults.ts';
import { ETH_MIN_FRAME_BYTES, ETH_WIRE_OVERHEAD_BYTES } from './frame.ts';

export interface FrameSource {
  /** The next frame to put on the wire now, or null. Frames must not be modified afterwards. */
  pullFrame(): Uint8Array | null;
}

export interface FrameSink {
  /** A whole frame has arrived (and passed the FCS check). */
  acceptFrame(frame: Uint8Array, from: Link): void;
}

/** Sees every frame as its first bit leaves the transmitter (pcap capture). */
export interface FrameTap {
  onTransmit(frame: Uint8Array, atPs: number, link: Link): void;
}

export interface LinkConfig {
  readonly name: string;
  readonly bitsPerSecond: number;
  readonly propagationDelayPs?: number;
  /** Fixed delay the receiving device adds before it acts on the frame (switch latency). */
  readonly sinkDelayPs?: number;
  readonly overheadBytes?: number;
  readonly minFrameBytes?: number;
}

export class LinkCounters {
  framesSent = 0;
  /** Frame bytes (without preamble/FCS/gap). */
  bytesSent = 0;
  /** Bytes on the wire including padding and per-frame overhead. */
  wireBytesSent = 0;
  framesDelivered = 0;
  droppedByFault = 0;
  /** Frames in flight when the link went down. */
  droppedLinkDown = 0;
  /** Frames the receiving MAC discarded because the FCS did not match. */
  fcsErrors = 0;
  duplicated = 0;
  reordered = 0;
  corrupted = 0;
}

const PULL = 1;
const TX_DONE = 2;
const ARRIVE = 3;

export class Link implements EventHandler {
  readonly name: string;
  readonly bitsPerSecond: number;
  readonly propagationDelayPs: number;
  readonly sinkDelayPs: number;
  readonly overheadBytes: number;
  readonly minFrameBytes: number;
  readonly counters = new LinkCounters();
  faults: LinkFaults | null = null;
  tap: FrameTap | null = null;

  private source: FrameSource | null = null;
  private sink: FrameSink | null = null;
  private readonly psPerByte: number;
  private readonly integralPsPerByte: boolean;
  private busy = false;
  private pullScheduled = false;
  private upState = true;
  private epoch = 0;
  /** downAtPs[e]: when the link went down ending epoch e (frames sent in e may be lost). */
  private readonly downAtPs: number[] = [];
  private txEndPs = 0;
  private busyPsTotal = 0;

  constructor(
    private readonly sim: Simulator,
    config: LinkConfig,
  ) {
    if (!(config.bitsPerSecond > 0)) throw new RangeError(`link ${config.name}: bitsPerSecond must be > 0`);
    this.name = config.name;
    this.bitsPerSecond = config.bitsPerSecond;
    this.propagationDelayPs = config.propagationDelayPs ?? 0;
    this.sinkDelayPs = config.sinkDelayPs ?? 0;
    this.overheadBytes = config.overheadBytes ?? ETH_WIRE_OVERHEAD_BYTES;
    this.minFrameBytes = config.minFrameBytes ?? ETH_MIN_FRAME_BYTES;
    for (const [k, v] of [['propagationDelayPs', this.propagationDelayPs], ['sinkDelayPs', this.sinkDelayPs]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`link ${config.name}: ${k} = ${v} must be a non-negative integer`);
    }
    this.psPerByte = 8e12 / this.bitsPerSecond;
    this.integralPsPerByte = Number.isInteger(this.psPerByte);
  }

  connect(source: FrameSource, sink: FrameSink): void {
    this.source = source;
    this.sink = sink;
  }

  /** Serialisation time of a frame of `frameBytes`, picoseconds (integer). */
  serialisationPs(frameBytes: number): number {
    const wire = Math.max(frameBytes, this.minFrameBytes) + this.overheadBytes;
    return this.integralPsPerByte ? wire * this.psPerByte : Math.ceil((wire * 8e12) / this.bitsPerSecond);
  }

  get isUp(): boolean {
    return this.upState;
  }

  get isBusy(): boolean {
    return this.busy;
  }

  /** Total time the transmitter has been serialising up to `atPs` (<= now's frame end). */
  busyTimeUntil(atPs: number): number {
    return this.busyPsTotal - Math.max(0, this.txEndPs - atPs);
  }

  /** The source may have a frame: pull as soon as the link is idle. */
  kick(): void {
    if (this.busy || this.pullScheduled || !this.upState) return;
    // Pull in an event of its own rather than inside the caller, so a source that kicks in
    // the middle of updating its state is never re-entered.
    this.pullScheduled = true;
    this.sim.schedule(this.sim.now(), this, PULL);
  }

  /** Take the link down: frames in flight are lost, nothing is pulled until it is up. */
  setUp(up: boolean): void {
    if (up === this.upState) return;
    this.upState = up;
    if (!up) {
      this.downAtPs[this.epoch] = this.sim.now();
      this.epoch++;
    } else this.kick();
  }

  handleEvent(kind: number, frame: Uint8Array | null, arg: number, arg2: number): void {
    if (kind === TX_DONE) {
      this.busy = false;
      this.pullNow();
    } else if (kind === ARRIVE) {
      this.arrive(frame!, arg, arg2);
    } else {
      this.pullScheduled = false;
      this.pullNow();
    }
  }

  private pullNow(): void {
    if (this.busy || !this.upState) return;
    const frame = this.source!.pullFrame();
    if (frame !== null) this.transmit(frame);
  }

  private transmit(frame: Uint8Array): void {
    const sim = this.sim;
    const now = sim.now();
    const ser = this.serialisationPs(frame.length);
    const c = this.counters;
    this.busy = true;
    this.txEndPs = now + ser;
    this.busyPsTotal += ser;
    c.framesSent++;
    c.bytesSent += frame.length;
    c.wireBytesSent += Math.max(frame.length, this.minFrameBytes) + this.overheadBytes;
    if (this.tap !== null) this.tap.onTransmit(frame, now, this);
    sim.schedule(now + ser, this, TX_DONE);
    let arriveAt = now + ser + this.propagationDelayPs + this.sinkDelayPs;
    const f = this.faults;
    if (f === null) {
      sim.schedule(arriveAt, this, ARRIVE, frame, -1, this.epoch);
      return;
    }
    if (f.drop > 0 && f.rng.float() < f.drop) {
      c.droppedByFault++;
      return;
    }
    if (f.reorder > 0 && f.rng.float() < f.reorder) {
      c.reordered++;
      arriveAt += f.reorderDelayPs;
    }
    let fcs = -1;
    let onWire = frame;
    if (f.corrupt > 0 && f.rng.float() < f.corrupt) {
      c.corrupted++;
      onWire = f.corruptCopy(frame);
      fcs = f.corruptBeforeFcs ? -1 : crc32(frame);     // damaged before the FCS: the MAC passes it
    }
    sim.schedule(arriveAt, this, ARRIVE, onWire, fcs, this.epoch);
    if (f.duplicate > 0 && f.rng.float() < f.duplicate) {
      c.duplicated++;
      // The copy has the same bytes in a buffer of its own, so each delivery is the last use of
      // its frame (a receiver may hand a delivered frame back to its sender for reuse).
      sim.schedule(arriveAt, this, ARRIVE, onWire.slice(), fcs, this.epoch);
    }
  }

  private arrive(frame: Uint8Array, fcs: number, epoch: number): void {
    // Lost if the link went down before the last bit reached the far end (the sink's own
    // delay is spent inside the receiving device, after the wire).
    if (epoch !== this.epoch && this.downAtPs[epoch]! <= this.sim.now() - this.sinkDelayPs) {
      this.counters.droppedLinkDown++;
      return;
    }
    // fcs >= 0 only for frames a fault touched: the receiving MAC recomputes and compares.
    if (fcs >= 0 && crc32(frame) !== fcs) {
      this.counters.fcsErrors++;
      return;
    }
    this.counters.framesDelivered++;
    this.sink!.acceptFrame(frame, this);
  }
}
