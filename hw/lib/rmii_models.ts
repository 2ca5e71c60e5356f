// hw/lib/rmii_models.ts — RMII line references for the MAC's tests and the simulated board,
// written from IEEE 802.3 clause 4 and the RMII specification 1.2, not from the hardware:
// a PHY's receive side (a frame to CRS_DV/RXD dibits) and a PHY's view of the transmit side
// (TX_EN/TXD dibits back to frames).

import { ethernetCrc32 } from './models.ts';

/** One REF_CLK cycle of the receive pins. */
export interface RmiiRxCycle { readonly crsDv: number; readonly rxd: number }

/** A frame as it goes on the wire after the SFD: padded to 60 bytes, then the FCS. */
export function withFcs(frame: Uint8Array, corrupt = false): Uint8Array {
  const padded = new Uint8Array(Math.max(60, frame.length));
  padded.set(frame);
  const fcs = (ethernetCrc32(padded) ^ (corrupt ? 1 : 0)) >>> 0;
  const out = new Uint8Array(padded.length + 4);
  out.set(padded);
  for (let i = 0; i < 4; i++) out[padded.length + i] = (fcs >>> (8 * i)) & 0xff;
  return out;
}

/** Bytes to dibits, least significant first (the order RMII sends them). */
export function dibits(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const b of bytes) for (let k = 0; k < 4; k++) out.push((b >> (2 * k)) & 3);
  return out;
}

/**
 * What a PHY presents for one received frame (`wire`: the bytes after the SFD, FCS included):
 * `lead` cycles of CRS_DV with RXD 00 before the preamble is decoded, the preamble and SFD,
 * the bytes, with CRS_DV toggling over the last `drain` nibbles (carrier gone, FIFO draining),
 * then `gap` idle cycles.
 */
export function rmiiReceive(wire: Uint8Array, o: { lead?: number; drain?: number; gap?: number } = {}): RmiiRxCycle[] {
  const out: RmiiRxCycle[] = [];
  for (let i = 0; i < (o.lead ?? 0); i++) out.push({ crsDv: 1, rxd: 0 });
  const pre = new Uint8Array(8).fill(0x55);
  pre[7] = 0xd5;
  for (const d of dibits(pre)) out.push({ crsDv: 1, rxd: d });
  const data = dibits(wire);
  const drainFrom = data.length - 2 * (o.drain ?? 0);
  data.forEach((d, i) => out.push({ crsDv: i >= drainFrom ? i % 2 : 1, rxd: d }));
  for (let i = 0; i < (o.gap ?? 48); i++) out.push({ crsDv: 0, rxd: 0 });
  return out;
}

/** A frame the transmit side sent, as a receiving PHY and MAC would take it. */
export interface SentFrame {
  /** The bytes after the SFD without the FCS (padding included). */
  readonly bytes: Uint8Array;
  readonly fcsOk: boolean;
  readonly preambleOk: boolean;
  /** REF_CLK cycles with TX_EN low before this frame (Infinity for the first). */
  readonly gapBefore: number;
}

/** Splits a TX_EN/TXD trace (one entry per REF_CLK cycle) into frames. */
export function rmiiDecode(txEn: readonly number[], txd: readonly number[]): SentFrame[] {
  const frames: SentFrame[] = [];
  let i = 0, idle = Infinity;
  while (i < txEn.length) {
    if (!txEn[i]) { idle++; i++; continue; }
    const d: number[] = [];
    while (i < txEn.length && txEn[i]) d.push(txd[i++]!);
    const bytes = new Uint8Array(d.length >> 2);
    for (let b = 0; b < bytes.length; b++) bytes[b] = d[4 * b]! | (d[4 * b + 1]! << 2) | (d[4 * b + 2]! << 4) | (d[4 * b + 3]! << 6);
    const preambleOk = bytes.length >= 8 && bytes.subarray(0, 7).every((x) => x === 0x55) && bytes[7] === 0xd5 && d.length % 4 === 0;
    const body = bytes.subarray(8, bytes.length - 4);
    const fcs = bytes.length >= 12 ? (bytes[bytes.length - 4]! | (bytes[bytes.length - 3]! << 8) | (bytes[bytes.length - 2]! << 16) | (bytes[bytes.length - 1]! << 24)) >>> 0 : -1;
    frames.push({ bytes: body.slice(), fcsOk: fcs === ethernetCrc32(body), preambleOk, gapBefore: idle });
    idle = 0;
  }
  return frames;
}
