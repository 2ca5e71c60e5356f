// hw/homa/wire/checksum.ts — Internet (ones' complement) checksums: the IPv4 header
// checksum and the TCP-style checksum Homa carries at common-header offset 16 (spec §1.7).
//
// HomaModule seeds the field with the TCP pseudo-header sum computed with protocol 6 (it
// calls tcp_v4_check / tcp_v6_check) even for protocol-146 packets, and the NIC completes it
// over the Homa header and payload; so the pseudo-header here always says protocol 6.

/** Ones' complement sum of `len` bytes from `off`, added to `acc` (not folded, not inverted). */
export function sum16(b: Uint8Array, off: number, len: number, acc = 0): number {
  let s = acc;
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

/** Fold a 32-bit+ accumulator to 16 bits (end-around carry). */
export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Checksum of the IPv4 header at `off` (its checksum field must read 0 or be skipped). */
export function ipv4HeaderChecksum(b: Uint8Array, off: number, headerBytes: number): number {
  const s = sum16(b, off, headerBytes) - ((b[off + 10]! << 8) | b[off + 11]!);
  return (~fold(s)) & 0xffff;
}

/** The TCP protocol number: HomaModule's pseudo-header uses it for every packet (§1.7). */
export const PSEUDO_HEADER_PROTOCOL = 6;

/**
 * TCP-style checksum over the pseudo-header and `len` bytes of Homa header + payload at
 * `off`; the checksum field inside (offset 16 of the common header) is treated as zero.
 * `saddr`/`daddr` are 4 bytes (IPv4) or 16 bytes (IPv6).
 */
export function homaChecksum(b: Uint8Array, off: number, len: number, saddr: Uint8Array, daddr: Uint8Array): number {
  let s = sum16(saddr, 0, saddr.length);
  s = sum16(daddr, 0, daddr.length, s);
  if (saddr.length === 4) {
    s += PSEUDO_HEADER_PROTOCOL + len;              // zero, protocol, TCP length (RFC 793)
  } else {
    s += Math.floor(len / 0x10000) + (len & 0xffff) + PSEUDO_HEADER_PROTOCOL; // RFC 8200 §8.1
  }
  s = sum16(b, off, len, s) - ((b[off + 16]! << 8) | b[off + 17]!);
  while (s < 0) s += 0xffff;                        // subtracting in ones' complement
  const c = (~fold(s)) & 0xffff;
  return c;
}
