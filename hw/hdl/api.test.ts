// The DSL as a user imports it (through the package's subpath export), and its behaviour at
// construction: values, layouts, enables, warnings.

import { describe, expect, test } from 'vitest';
import { bool, elaborate, input, module, output, record, toVerilog, u, vec, enumType, lit, pack, unpack, ElaborationError } from 'homa-nic/hdl';
import { byteFields, leaves } from './layout.ts';

describe('hdl API', () => {
  test('a clock enable wraps the whole clocked block', () => {
    const d = module('ce', { en: input(bool), q: output(u(4)) }, (m, io) => {
      const r = m.reg('r', u(4), 3);
      m.seq(() => r.set(r.add(1)), { enable: io.en });
      io.q.set(r);
    });
    expect(toVerilog(d).text).toMatch(/end else begin\n\s+if \(en\) begin[^\n]*\n\s+r <= r \+ 4'd1;/);
  });

  test('record layouts are packed first field on top, with byte offsets for codecs', () => {
    const hdr = record({ sport: u(16), dport: u(16), type: u(8), pad: u(24) });
    expect(hdr.width).toBe(64);
    expect(byteFields(hdr).map((f) => [f.name, f.offset, f.bytes])).toEqual([['sport', 0, 2], ['dport', 2, 2], ['type', 4, 1], ['pad', 5, 3]]);
    expect(leaves(hdr).map((l) => [l.path.join('.'), l.lsb])).toEqual([['sport', 48], ['dport', 32], ['type', 24], ['pad', 0]]);
    const v = vec(u(4), 3);
    expect(leaves(v).map((l) => [l.path.join('.'), l.lsb])).toEqual([['2', 8], ['1', 4], ['0', 0]]);
  });

  test('unpack is the inverse of pack for vectors and records (element 0 in the low bits)', () => {
    const l = record({ tag: u(4), items: vec(u(4), 3) });
    const d = module('roundtrip', { x: input(l), bits: output(u(16)), first: output(u(4)) }, (_m, io) => {
      const back = unpack(l, pack(io.x));
      io.bits.set(pack(back).as(16));
      io.first.set(back.items.at(0));
    });
    const v = toVerilog(d).text;
    expect(v).toContain('assign bits = {x_tag, x_items};');
    // items packs element 2 on top, so element 0 is the low nibble of the port.
    expect(v).toContain('assign first = x_items[3:0];');
  });

  test('bad layouts and literals are refused with a clear message', () => {
    expect(() => u(0)).toThrow(/a width must be a positive integer/);
    expect(() => record({ 'bad name': u(1) })).toThrow(/not a valid identifier/);
    expect(() => enumType('e', ['a', 'b'], { a: 1, b: 1 })).toThrow(/two names share the value 1/);
    expect(() => lit(8, 256)).toThrow(ElaborationError);
    expect(() => lit(8, 1.5)).toThrow(/not an integer/);
  });

  test('warnings name the module and line; unused inputs do not stop elaboration', () => {
    const d = module('warned', { a: input(u(2)), b: input(u(2)), o: output(u(2)) }, (m, io) => {
      m.reg('stuck', u(2), 1);
      io.o.set(io.a);
    });
    const w = elaborate(d).warnings.map((x) => x.message).sort();
    expect(w).toEqual(["input 'b' is never used", "register 'stuck' is never assigned: it keeps its reset value"]);
  });
});
