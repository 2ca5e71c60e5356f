// sim/model/sender.ts — the transmit side: packet geometry, GRANT/RESEND handling for
// outgoing messages, and the transmit scheduler the link pulls from (spec §3.1, §3.4, §3.5).
//
// The link calls pull() whenever it can serialise a frame, so the NIC decides at the last
// moment and never queues ahead of the wire. On top of that the pacer of §3.4 runs as
// HomaModule's does: an estimate of when the link (at link_mbps x max_link_usage %) goes idle
// advances with every frame, and new DATA of messages with more than defer_min_bytes left
// waits while that estimate is more than max_nic_est_backlog_usecs ahead (flag DONT_THROTTLE
// turns it off). With link_mbps at or above the real link it never engages. Order of service:
// control packets, then retransmissions, then new DATA by SRPT (fewest bytes left, then
// oldest), except that pacer_fifo_fraction per mille of picks go to the oldest message.

import { HomaType, RESEND_ALL, dataPacket } from '../../hw/homa/wire/index.ts';
import type { ResendPacket } from '../../hw/homa/wire/index.ts';
import type { ModelNic } from './nic.ts';
import { RpcState } from './rpc.ts';
import type { Rpc } from './rpc.ts';

interface Retransmit { rpc: Rpc; offset: number; end: number; priority: number }

const EMPTY = new Uint8Array(0);
/** Ethernet bytes on the wire beyond the frame: preamble 8, FCS 4, inter-frame gap 12. */
const ETH_WIRE_OVERHEAD = 24;
const HOMA_FLAG_DONT_THROTTLE = 2;                  // §2.1

export class Transmitter {
  private readonly nic: ModelNic;
  private ctrl: Uint8Array[] = [];
  private ctrlHead = 0;
  private resends: Retransmit[] = [];
  private resendHead = 0;
  /** Messages with granted bytes not yet sent. */
  readonly sendable: Rpc[] = [];
  private fifoCredit = 0;
  /** Payload bytes per DATA packet: MTU - IP header - 56 (§1.4). */
  readonly maxPayload: number;
  /** Pacer (§3.4): when the link is estimated to go idle, and its cost per byte. */
  private linkIdlePs = 0;
  private readonly psPerByte: number;
  private readonly backlogPs: number;
  private paceWakeArmed = false;

  constructor(nic: ModelNic) {
    this.nic = nic;
    const ipHeader = nic.cfg.address.length === 4 ? 20 : 40;
    this.maxPayload = nic.cfg.mtu - ipHeader - 56;
    const usage = Math.min(100, Math.max(5, nic.cfg.max_link_usage)) / 100;
    this.psPerByte = 8e12 / (nic.cfg.link_mbps * 1e6 * usage);
    this.backlogPs = nic.cfg.max_nic_est_backlog_usecs * 1e6;
  }

  get idle(): boolean {
    return this.ctrlHead >= this.ctrl.length && this.resendHead >= this.resends.length && this.sendable.length === 0;
  }

  queueControl(frame: Uint8Array): void {
    this.ctrl.push(frame);
    this.nic.wake();
  }

  /** Start transmitting a message (§3.1): unscheduled = min(unsched_bytes, length). */
  startMessage(rpc: Rpc, payload: Uint8Array | null, length: number, unschedBytes: number): void {
    rpc.outPayload = payload;
    rpc.outLength = length;
    rpc.nextXmit = 0;
    rpc.unscheduled = Math.min(unschedBytes, length);
    rpc.outGranted = rpc.unscheduled;
    rpc.outBirth = this.nic.now();
    this.makeSendable(rpc);
  }

  makeSendable(rpc: Rpc): void {
    if (rpc.sendSlot < 0 && rpc.nextXmit < rpc.outGranted && rpc.nextXmit < rpc.outLength) {
      rpc.sendSlot = this.sendable.length;
      this.sendable.push(rpc);
      this.nic.wake();
    }
  }

  remove(rpc: Rpc): void {
    const i = rpc.sendSlot;
    if (i < 0) return;
    const last = this.sendable.pop()!;
    if (last !== rpc) { this.sendable[i] = last; last.sendSlot = i; }
    rpc.sendSlot = -1;
  }

  /** GRANT (§3.1): granted = max(granted, offset) capped at length; take its priority. */
  grant(rpc: Rpc, offset: number, priority: number): void {
    if (rpc.outLength < 0) return;
    const g = Math.min(offset, rpc.outLength);
    if (g > rpc.outGranted) rpc.outGranted = g;
    rpc.schedPriority = priority;
    this.makeSendable(rpc);
  }

  /**
   * RESEND for a known RPC (§3.5 homa_resend_pkt): BUSY if there is no outgoing message yet
   * or nothing was sent at `offset`; else retransmit the sent part of the range at the
   * RESEND's priority. An end beyond the grant is a lost grant: it raises the grant. Length
   * 0xFFFFFFFF ("everything you have sent") is taken as [offset, bytes sent) and grants nothing.
   */
  resend(rpc: Rpc, p: ResendPacket): void {
    if (rpc.outLength < 0) { this.nic.sendBare(rpc, HomaType.BUSY); return; }
    const end = p.length === RESEND_ALL ? rpc.nextXmit : Math.min(p.offset + p.length, rpc.outLength);
    if (p.length !== RESEND_ALL && end > rpc.outGranted) { rpc.outGranted = end; this.makeSendable(rpc); }
    if (p.offset < rpc.nextXmit && p.offset < end) {
      this.retransmit(rpc, p.offset, Math.min(end, rpc.nextXmit), p.priority);
    } else if (rpc.sendSlot < 0) {
      this.nic.sendBare(rpc, HomaType.BUSY);
    }
  }

  /** Queue retransmission of the packets overlapping [offset, end) (§3.5). */
  retransmit(rpc: Rpc, offset: number, end: number, priority: number): void {
    if (end <= offset) return;
    this.resends.push({ rpc, offset: this.segmentStart(rpc, offset), end, priority });
    this.nic.wake();
  }

  /** Packet boundaries: every maxPayload bytes, with a boundary forced at `unscheduled` (§1.4). */
  segmentEnd(rpc: Rpc, offset: number): number {
    const mp = this.maxPayload;
    return offset < rpc.unscheduled ? Math.min(offset + mp, rpc.unscheduled) : Math.min(offset + mp, rpc.outLength);
  }
  segmentStart(rpc: Rpc, offset: number): number {
    const mp = this.maxPayload;
    if (offset < rpc.unscheduled) return offset - (offset % mp);
    return rpc.unscheduled + (offset - rpc.unscheduled) - ((offset - rpc.unscheduled) % mp);
  }

  /** The next frame for the link, or null. */
  pull(): Uint8Array | null {
    const f = this.next();
    if (f) this.linkIdlePs = Math.max(this.linkIdlePs, this.nic.now()) + (f.length + ETH_WIRE_OVERHEAD) * this.psPerByte;
    return f;
  }

  /** Must new DATA of a long message wait for the pacer (§3.4)? Arms a wake-up if so. */
  private throttled(rpc: Rpc): boolean {
    const cfg = this.nic.cfg;
    if ((cfg.flags & HOMA_FLAG_DONT_THROTTLE) !== 0 || rpc.outLength - rpc.nextXmit <= cfg.defer_min_bytes) return false;
    const now = this.nic.now();
    if (this.linkIdlePs <= now + this.backlogPs) return false;
    if (!this.paceWakeArmed) {
      this.paceWakeArmed = true;
      this.nic.port.at(Math.ceil(this.linkIdlePs - this.backlogPs), () => { this.paceWakeArmed = false; this.nic.wake(); });  // integer ps (Endpoint)
    }
    return true;
  }

  private next(): Uint8Array | null {
    if (this.ctrlHead < this.ctrl.length) {
      const f = this.ctrl[this.ctrlHead]!;
      this.ctrl[this.ctrlHead++] = EMPTY;
      if (this.ctrlHead > 1024 && this.ctrlHead * 2 > this.ctrl.length) { this.ctrl = this.ctrl.slice(this.ctrlHead); this.ctrlHead = 0; }
      return f;
    }
    while (this.resendHead < this.resends.length) {
      const r = this.resends[this.resendHead]!;
      if (r.rpc.state === RpcState.DEAD || r.offset >= r.end) { this.popResend(); continue; }
      const end = this.segmentEnd(r.rpc, r.offset);
      const frame = this.dataFrame(r.rpc, r.offset, end, r.priority, 1, r.end);
      r.offset = end;
      if (r.offset >= r.end) this.popResend();
      this.nic.counters['resent_packets']!++;
      return frame;
    }
    if (this.sendable.length === 0) return null;
    const rpc = this.pick();
    if (this.throttled(rpc)) return null;
    const start = rpc.nextXmit;
    const end = this.segmentEnd(rpc, start);
    const prio = start < rpc.unscheduled
      ? this.nic.unschedPriority(rpc.peer, this.nic.cfg.unschedPrioFromRemaining ? rpc.outLength - start : rpc.outLength)
      : rpc.schedPriority;
    const frame = this.dataFrame(rpc, start, end, prio, 0, rpc.unscheduled);
    rpc.nextXmit = end;
    if (end >= rpc.outGranted || end >= rpc.outLength) this.remove(rpc);
    if (end >= rpc.outLength) this.nic.messageSent(rpc);
    return frame;
  }

  private popResend(): void {
    this.resendHead++;
    if (this.resendHead === this.resends.length) { this.resends.length = 0; this.resendHead = 0; }
  }

  /** SRPT over sendable messages, with the FIFO share going to the oldest (§3.4). */
  private pick(): Rpc {
    const s = this.sendable;
    if (s.length === 1) return s[0]!;
    this.fifoCredit += this.nic.cfg.pacer_fifo_fraction;
    let best = s[0]!;
    if (this.fifoCredit >= 1000) {
      this.fifoCredit -= 1000;
      for (let i = 1; i < s.length; i++) if (s[i]!.outBirth < best.outBirth) best = s[i]!;
      this.nic.counters['pacer_fifo_bytes']! += Math.min(this.maxPayload, best.outLength - best.nextXmit);
      return best;
    }
    let bestLeft = best.outLength - best.nextXmit;
    for (let i = 1; i < s.length; i++) {
      const r = s[i]!;
      const left = r.outLength - r.nextXmit;
      if (left < bestLeft || (left === bestLeft && r.outBirth < best.outBirth)) { best = r; bestLeft = left; }
    }
    return best;
  }

  private dataFrame(rpc: Rpc, start: number, end: number, priority: number, retransmit: number, incoming: number): Uint8Array {
    const nic = this.nic;
    const ack = rpc.peer.acks.pop();          // one piggy-backed ack per DATA packet (§3.6)
    const payload = rpc.outPayload ? rpc.outPayload.subarray(start, end) : nic.zeroPayload(end - start);
    const pkt = dataPacket(rpc.qp.port, rpc.peerPort, rpc.wireId, {
      message_length: rpc.outLength, incoming, offset: start, payload, retransmit,
      ack: ack ? { client_id: BigInt(ack.clientId), server_port: ack.serverPort } : undefined,
      cutoff_version: rpc.peer.cutoffVersion, pad: rpc.incast && rpc.isClient ? 1 : 0,
    });
    nic.counters['sent_msg_bytes']! += end - start;
    return nic.frame(rpc.peer, priority, pkt);
  }
}
