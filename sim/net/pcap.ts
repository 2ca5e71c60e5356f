// sim/net/pcap.ts — capture frames to a pcap file (Ethernet link type, nanosecond
// timestamps) that tshark/Wireshark read, and a small reader for tests.
//
// A capture records each frame as its first bit leaves the transmitter, so attaching one
// writer to both directions of a cable gives one time-ordered file of that cable. Records
// are buffered and written in large chunks to keep capture off the simulation's hot path.

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { FrameTap, Link } from './link.ts';
import type { Cable } from './topology.ts';

const MAGIC_NANOSECONDS = 0xa1b23c4d;
const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;
const FLUSH_BYTES = 1 << 20;

export class PcapWriter implements FrameTap {
  private fd: number;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private closed = false;
  frames = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(MAGIC_NANOSECONDS, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeInt32LE(0, 8);
    header.writeUInt32LE(0, 12);
    header.writeUInt32LE(SNAPLEN, 16);
    header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    writeSync(this.fd, header);
  }

  /** Capture both directions of a cable into this file. */
  attach(cable: Cable): void {
    cable.forward.tap = this;
    cable.reverse.tap = this;
  }

  onTransmit(frame: Uint8Array, atPs: number, _link: Link): void {
    this.write(frame, atPs);
  }

  write(frame: Uint8Array, atPs: number): void {
    if (this.closed) return;
    const ns = Math.floor(atPs / 1000);
    const rec = Buffer.alloc(16 + Math.min(frame.length, SNAPLEN));
    rec.writeUInt32LE(Math.floor(ns / 1e9), 0);
    rec.writeUInt32LE(ns % 1e9, 4);
    rec.writeUInt32LE(Math.min(frame.length, SNAPLEN), 8);
    rec.writeUInt32LE(frame.length, 12);
    rec.set(frame.subarray(0, SNAPLEN), 16);
    this.chunks.push(rec);
    this.chunkBytes += rec.length;
    this.frames++;
    if (this.chunkBytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.chunks.length === 0) return;
    writeSync(this.fd, Buffer.concat(this.chunks));
    this.chunks = [];
    this.chunkBytes = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }
}

export interface PcapRecord {
  /** Timestamp in nanoseconds. */
  readonly timeNs: number;
  readonly originalLength: number;
  readonly data: Uint8Array;
}

export interface PcapFile {
  readonly linkType: number;
  readonly nanosecond: boolean;
  readonly records: PcapRecord[];
}

/** Read a little-endian classic pcap file (micro- or nanosecond). */
export function readPcap(path: string): PcapFile {
  const buf = readFileSync(path);
  if (buf.length < 24) throw new Error(`${path}: too short for a pcap header (${buf.length} bytes)`);
  const magic = buf.readUInt32LE(0);
  if (magic !== MAGIC_NANOSECONDS && magic !== MAGIC_MICROSECONDS) {
    throw new Error(`${path}: not a little-endian pcap file (magic 0x${magic.toString(16)})`);
  }
  const nanosecond = magic === MAGIC_NANOSECONDS;
  const records: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = buf.readUInt32LE(off);
    const frac = buf.readUInt32LE(off + 4);
    const incl = buf.readUInt32LE(off + 8);
    const orig = buf.readUInt32LE(off + 12);
    if (off + 16 + incl > buf.length) throw new Error(`${path}: record at byte ${off} runs past the end`);
    records.push({
      timeNs: sec * 1e9 + (nanosecond ? frac : frac * 1000),
      originalLength: orig,
      data: new Uint8Array(buf.subarray(off + 16, off + 16 + incl)),
    });
    off += 16 + incl;
  }
  return { linkType: buf.readUInt32LE(20), nanosecond, records };
}
