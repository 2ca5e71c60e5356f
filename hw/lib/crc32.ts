// hw/lib/crc32.ts — the Ethernet CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, initial
// value and final XOR 0xFFFFFFFF) of each packet, `bytes` bytes per beat.
//
// The CRC of n more bytes is linear in (state, data), so each output bit is the XOR of a fixed
// set of state and data bits, worked out here at elaboration from the bit-serial definition.
// Whole beats go through the `bytes`-wide function in one cycle (the state feeds back to
// itself, so this is the block's longest path). A packet's last beat, holding k < bytes bytes,
// goes down a pipeline of halving widths (bytes/2, bytes/4, ..., 1): the stage of width w
// takes the next w bytes when bit w of k is set. Only that tail is pipelined: the next
// packet starts from the initial value and does not wait for it. One beat per cycle; the
// CRC leaves log2(bytes) + 1 cycles after the last beat. `keep` must be a prefix (bytes 0..k-1).

import { bool, cat, type ModuleBuilder, clog2, lit, module, mux, record, stream, u, when, type Bool, type UInt } from '../hdl/index.ts';
import { beat, isPow2, requireParam } from './beat.ts';

const POLY = 0xedb88320;

/** CRC-32 state after `bytes` more bytes, bit-serial (the definition the hardware is derived from). */
export function crc32Update(state: number, data: Uint8Array): number {
  let c = state >>> 0;
  for (const b of data) {
    c ^= b;
    for (let i = 0; i < 8; i++) c = (c >>> 1) ^ (c & 1 ? POLY : 0);
  }
  return c >>> 0;
}

/** Which state bits and data bits each of the 32 output bits XORs, for `n` bytes. */
export function crc32Matrix(n: number): { state: number[][]; data: number[][] } {
  const state: number[][] = Array.from({ length: 32 }, () => []);
  const data: number[][] = Array.from({ length: 32 }, () => []);
  const zeros = new Uint8Array(n);
  for (let i = 0; i < 32; i++) {
    const col = crc32Update((1 << i) >>> 0, zeros);
    for (let o = 0; o < 32; o++) if ((col >>> o) & 1) state[o]!.push(i);
  }
  for (let j = 0; j < 8 * n; j++) {
    const d = new Uint8Array(n);
    d[j >> 3] = 1 << (j & 7);
    const col = crc32Update(0, d);
    for (let o = 0; o < 32; o++) if ((col >>> o) & 1) data[o]!.push(j);
  }
  return { state, data };
}

/** The hardware for `n` more bytes: state and the low n bytes of `data` to the new state (no final XOR). */
export function crcStep(m: ModuleBuilder, name: string, state: UInt<number>, data: UInt<number>, n: number): UInt<number> {
  const mx = crc32Matrix(n);
  const bits: Bool[] = [];
  for (let o = 0; o < 32; o++) {
    const taps = [...mx.state[o]!.map((i) => state.bit(i)), ...mx.data[o]!.map((j) => data.bit(j))];
    // One named wire per bit keeps each Verilog line short (tools choke on 70 K-character lines).
    bits.push(m.let(`${name}_${o}`, taps.length === 1 ? taps[0]! : cat(...taps).xorR()));
  }
  return cat(...bits.reverse());
}

export function crc32(o: { readonly bytes: number }) {
  const B = o.bytes;
  requireParam(isPow2(B), `crc32: bytes must be a power of two (got ${B})`);
  const kb = clog2(B);
  return module(`crc32_${B}B`, {
    in: stream.sink(beat(B)),
    crc: stream.source(u(32)),
  }, (m, io) => {
    const out = m.reg('out', record({ valid: bool, crc: u(32) }));
    const advance = m.let('advance', out.valid.not().or(io.crc.ready));
    io.in.ready.set(advance);
    io.crc.valid.set(out.valid);
    io.crc.payload.set(out.crc);
    const state = m.reg('state', u(32), 0xffffffff);
    const p = io.in.payload;
    const whole = m.let('whole', crcStep(m, 'whole', state, p.data, B));
    // Bytes present in a prefix-keep beat, modulo B: bit b is the XOR of keep[j*2^b - 1].
    let rest: UInt<number> = lit(1, 0);
    if (B > 1) {
      const bits: Bool[] = [];
      for (let b = 0; b < kb; b++) {
        const taps: Bool[] = [];
        for (let j = 1; j * 2 ** b <= B; j++) taps.push(p.keep.bit(j * 2 ** b - 1));
        bits.push(taps.length === 1 ? taps[0]! : cat(...taps).xorR());
      }
      rest = m.let('rest', cat(...bits.reverse()));
    }
    const full = m.let('full', p.keep.bit(B - 1));
    m.seq(() => when(io.in.fire(), () => state.set(mux(p.last, lit(32, 0xffffffff), whole).as(32))));
    // The tail: stage w takes the next w bytes of a last beat when bit w of `rest` is set.
    let tv: Bool = io.in.valid.and(p.last), ts: UInt<number> = mux(full, whole, state);
    let td: UInt<number> = p.data, tr: UInt<number> = rest;
    for (let w = B / 2; w >= 1; w /= 2) {
      // At most 2w-1 bytes remain here, so the stage keeps only those and the low rest bits.
      const lw = Math.log2(w);
      const st = m.reg(`tail${w}`, record({ valid: bool, state: u(32), data: u(8 * (2 * w - 1)), rest: u(lw + 1) }));
      const [v, s, d, r] = [tv, ts, td.trunc(8 * (2 * w - 1)), tr.trunc(lw + 1)];
      m.seq(() => when(advance, () => {
        st.valid.set(v);
        st.state.set(s.as(32));
        st.data.set(d);
        st.rest.set(r);
      }));
      const take = st.rest.bit(lw);
      tv = st.valid;
      ts = m.let(`tail${w}_next`, mux(take, crcStep(m, `tail${w}_crc`, st.state, st.data, w), st.state));
      td = w > 1 ? mux(take, st.data.shr(8 * w), st.data) : st.data;
      tr = st.rest;
    }
    m.seq(() => when(advance, () => {
      out.valid.set(tv);
      out.crc.set(ts.xor(0xffffffff).as(32));
    }));
  }, { bytes: B });
}
