// sim/cosim/mac-port.ts — the Ethernet MAC between the network simulator and the engine's
// mac_rx / mac_tx streams (hw/homa/engine/types.ts: frames without FCS as beats {data, keep,
// last}, receive beats also carrying `error` on the last beat).
//
// Receive: the link delivers whole frames (already serialised at its bit rate), so they wait
// in a queue and go in at one beat per clock, back to back, as a MAC's receive FIFO drains.
// Transmit: a MAC cannot take bytes faster than its line, so mac_tx.ready paces the engine at
// the link's bit rate, counting each frame's preamble, FCS and inter-frame gap (24 bytes) and
// the padding of a runt to 60 bytes, with one beat of buffering (ready while the line will be
// free within a beat's time), which keeps the long-run rate exact. A frame is handed to the
// link when its last beat is taken (store and forward): the link then serialises it again,
// which adds one frame time of latency, not a loss of rate.

import type { PortHandle, PortValue, Simulator } from '../../hw/hdl/sim/simulator.ts';
import type { BeatCodec } from './beats.ts';
import { PortProtocolError } from './protocol-error.ts';

/** Bytes a frame occupies on the wire beyond its own: preamble+SFD 8, FCS 4, gap 12. */
export const WIRE_OVERHEAD_BYTES = 24;
/** Frames shorter than this (without FCS) are padded on the wire. */
export const MIN_FRAME_BYTES = 60;

interface RxFrame { readonly frame: Uint8Array; readonly error: boolean }

export class MacPort {
  framesIn = 0;
  framesOut = 0;
  /** Cycles a receive beat was offered and the engine did not take it. */
  rxStallCycles = 0;
  private readonly rx: RxFrame[] = [];
  private rxHead = 0;
  private rxOffset = 0;
  private rxPresented = 0;
  private rxValidPoked = 0;
  private rxKeepPoked: PortValue = -1;
  private rxFlagsPoked = -1;
  private txBuf = new Uint8Array(2048);
  private txLength = 0;
  private txReadyPoked = -1;
  /** Time (ps, fractional) at which the line has sent every byte taken so far. */
  private lineFreePs = 0;
  private psPerByte = 0;
  private beatPs = 0;

  private readonly rxValid: PortHandle; private readonly rxReady: PortHandle; private readonly rxData: PortHandle;
  private readonly rxKeep: PortHandle; private readonly rxLast: PortHandle; private readonly rxError: PortHandle;
  private readonly txValid: PortHandle; private readonly txReady: PortHandle; private readonly txData: PortHandle;
  private readonly txKeep: PortHandle; private readonly txLast: PortHandle;

  /**
   * @param onFrame a finished transmit frame and the cycle its last beat was taken.
   */
  constructor(sim: Simulator, private readonly codec: BeatCodec, private readonly periodPs: number,
    private readonly onFrame: (frame: Uint8Array, cycle: number) => void, private readonly where: () => string = () => '') {
    const p = (n: string): PortHandle => sim.port(n);
    this.rxValid = p('mac_rx_valid'); this.rxReady = p('mac_rx_ready'); this.rxData = p('mac_rx_data');
    this.rxKeep = p('mac_rx_keep'); this.rxLast = p('mac_rx_last'); this.rxError = p('mac_rx_error');
    this.txValid = p('mac_tx_valid'); this.txReady = p('mac_tx_ready'); this.txData = p('mac_tx_data');
    this.txKeep = p('mac_tx_keep'); this.txLast = p('mac_tx_last');
    this.rxValid.set(0);
  }

  /** The line's bit rate (transmit pacing); Infinity = no pacing. */
  setLinkRate(bitsPerSecond: number): void {
    if (!(bitsPerSecond > 0)) throw new RangeError(`link rate ${bitsPerSecond} b/s: must be > 0`);
    this.psPerByte = 8e12 / bitsPerSecond;
    this.beatPs = this.codec.bytes * this.psPerByte;
  }

  /** A frame from the link (whole, without FCS); `error` marks a bad FCS on its last beat. */
  receive(frame: Uint8Array, error = false): void {
    if (frame.length === 0) throw new RangeError('MAC receive: an empty frame');
    this.rx.push({ frame, error });
    this.framesIn++;
  }

  /** No receive beat waiting (transmit needs nothing from the MAC's side to move). */
  get quiet(): boolean { return this.rxHead === this.rx.length; }

  /** Frames waiting to enter the engine (the one going in included). */
  get rxQueued(): number { return this.rx.length - this.rxHead; }

  drive(cycle: number): void {
    if (this.rxHead < this.rx.length) {
      if (this.rxPresented === 0) {
        const { frame, error } = this.rx[this.rxHead]!;
        const n = Math.min(this.codec.bytes, frame.length - this.rxOffset);
        const last = this.rxOffset + n === frame.length;
        this.rxData.set(this.codec.encode(frame, this.rxOffset, n));
        // keep, last and error change only at a frame's end: poke them only then (a wide poke costs).
        const keep = this.codec.keep(n);
        if (keep !== this.rxKeepPoked) { this.rxKeep.set(keep); this.rxKeepPoked = keep; }
        const flags = (last ? 1 : 0) | (last && error ? 2 : 0);
        if (flags !== this.rxFlagsPoked) { this.rxLast.set(flags & 1); this.rxError.set(flags >> 1); this.rxFlagsPoked = flags; }
        this.rxPresented = n;
      }
      if (this.rxValidPoked !== 1) { this.rxValid.set(1); this.rxValidPoked = 1; }
    } else if (this.rxValidPoked !== 0) { this.rxValid.set(0); this.rxValidPoked = 0; }
    const ready = this.lineFreePs <= cycle * this.periodPs + this.beatPs ? 1 : 0;
    if (ready !== this.txReadyPoked) { this.txReady.set(ready); this.txReadyPoked = ready; }
  }

  sample(cycle: number): void {
    if (this.rxPresented > 0) {
      if (this.rxReady.get() === 1) {
        this.rxOffset += this.rxPresented;
        this.rxPresented = 0;
        if (this.rxOffset === this.rx[this.rxHead]!.frame.length) this.nextRxFrame();
      } else this.rxStallCycles++;
    }
    if (this.txReadyPoked === 1 && this.txValid.get() === 1) this.takeTxBeat(cycle);
  }

  private nextRxFrame(): void {
    this.rxOffset = 0;
    this.rxHead++;
    if (this.rxHead > 32 && this.rxHead * 2 > this.rx.length) { this.rx.splice(0, this.rxHead); this.rxHead = 0; }
  }

  private takeTxBeat(cycle: number): void {
    const last = this.txLast.get() === 1;
    const n = this.codec.keepCount(this.txKeep.get());
    if (n <= 0 || (n < this.codec.bytes && !last)) {
      const at = this.where();
      throw new PortProtocolError(`mac_tx: a beat with keep=0x${this.txKeep.get().toString(16)} (last=${last ? 1 : 0}) at byte ${this.txLength} of a frame; `
        + `keep must be contiguous from lane 0, all ones except on the last beat, and never 0 (hw/lib/beat.ts)${at ? ` (${at})` : ''}`);
    }
    if (this.txLength + n > this.txBuf.length) {
      const bigger = new Uint8Array(this.txBuf.length * 2);
      bigger.set(this.txBuf.subarray(0, this.txLength));
      this.txBuf = bigger;
    }
    this.codec.decode(this.txData.get(), this.txBuf, this.txLength, n);
    this.txLength += n;
    const now = cycle * this.periodPs;
    this.lineFreePs = Math.max(this.lineFreePs, now) + n * this.psPerByte;
    if (!last) return;
    this.lineFreePs += (Math.max(0, MIN_FRAME_BYTES - this.txLength) + WIRE_OVERHEAD_BYTES) * this.psPerByte;
    const frame = this.txBuf.slice(0, this.txLength);
    this.txLength = 0;
    this.framesOut++;
    this.onFrame(frame, cycle);
  }
}
