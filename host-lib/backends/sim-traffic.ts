// host-lib/backends/sim-traffic.ts — where the bytes went: every frame a simulated NIC puts on
// its link, sorted into DATA that was unscheduled (sent on the sender's own initiative, at an
// unscheduled priority, spec §3.1/§3.3), granted (at a scheduled priority after a GRANT,
// §3.2), retransmitted (after a RESEND, §3.5), and control packets. Message bytes are payload
// bytes; wire bytes add headers, preamble, FCS and the inter-frame gap.

import { byteFields } from '../../hw/hdl/layout.ts';
import { HomaType, commonHeader, dataHeader } from '../../hw/homa/wire/index.ts';
import type { Endpoint, EndpointPort } from '../../sim/net/endpoint.ts';
import { framePriority, wireBytes } from '../../sim/net/frame.ts';

const ETH = 14;
const TYPE_OFFSET = byteFields(commonHeader).find((f) => f.name === 'type')!.offset;
const RETRANSMIT_OFFSET = byteFields(dataHeader).find((f) => f.name === 'retransmit')!.offset;
const DATA_HEADER_BYTES = dataHeader.width / 8;

export interface TrafficStats {
  /** Payload bytes of DATA packets sent unscheduled, granted, and as retransmissions. */
  readonly unscheduledBytes: number;
  readonly grantedBytes: number;
  readonly retransmittedBytes: number;
  readonly dataPackets: number;
  /** GRANT, RESEND, BUSY, ACK, NEED_ACK, CUTOFFS, RPC_UNKNOWN packets and their wire bytes. */
  readonly controlPackets: number;
  readonly controlWireBytes: number;
  /** Everything on host links, headers and Ethernet overhead included. */
  readonly wireBytes: number;
}

export class TrafficTap {
  private unscheduled = 0;
  private granted = 0;
  private retransmitted = 0;
  private data = 0;
  private control = 0;
  private controlWire = 0;
  private wire = 0;

  /** An Endpoint that is `nic`, with every frame it sends counted here (`maxSchedPrio`: the highest scheduled level, §3.3). */
  wrap(nic: Endpoint, maxSchedPrio: () => number): Endpoint {
    return {
      // sim/net's event queue takes integer picoseconds; round a NIC's timer up to the next one.
      attach: (port: EndpointPort): void => nic.attach({
        now: () => port.now(), at: (t, fn) => port.at(Math.ceil(t), fn), cancel: (h) => port.cancel(h), wake: () => port.wake(),
        linkBitsPerSecond: port.linkBitsPerSecond,
      }),
      receive: (frame: Uint8Array, fcsError?: boolean): void => nic.receive(frame, fcsError),
      pull: (): Uint8Array | null => {
        const f = nic.pull();
        if (f) this.count(f, maxSchedPrio());
        return f;
      },
    };
  }

  /** Fixed-offset reads (the frames come from our own NICs, so they are well formed). */
  private count(frame: Uint8Array, maxSchedPrio: number): void {
    const w = wireBytes(frame.length);
    this.wire += w;
    const v4 = frame[12] === 0x08 && frame[13] === 0x00;
    const ipHeader = v4 ? (frame[14]! & 0x0f) * 4 : 40;
    const homa = ETH + ipHeader;
    if (frame[homa + TYPE_OFFSET] !== HomaType.DATA) { this.control++; this.controlWire += w; return; }
    this.data++;
    const ipPayload = v4 ? ((frame[16]! << 8) | frame[17]!) - ipHeader : (frame[18]! << 8) | frame[19]!;
    const n = ipPayload - DATA_HEADER_BYTES;
    if (frame[homa + RETRANSMIT_OFFSET] !== 0) this.retransmitted += n;
    else if (framePriority(frame) > maxSchedPrio) this.unscheduled += n;
    else this.granted += n;
  }

  snapshot(): TrafficStats {
    return {
      unscheduledBytes: this.unscheduled, grantedBytes: this.granted, retransmittedBytes: this.retransmitted,
      dataPackets: this.data, controlPackets: this.control, controlWireBytes: this.controlWire, wireBytes: this.wire,
    };
  }
}
