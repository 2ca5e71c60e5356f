// The emitter's rules, each on a small module: what a reader of the Verilog relies on.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { bool, enumType, input, lit, module, output, record, s, switchOn, toVerilog, u, vec, when, unpack, pack, eq, mux, slit } from './index.ts';

const emitted: { top: string; text: string }[] = [];
const body = (def: Parameters<typeof toVerilog>[0]) => {
  const v = toVerilog(def);
  emitted.push({ top: v.top, text: v.text });
  return v.text;
};
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('Verilog emitter', () => {
  test('signed comparison and arithmetic shift keep their meaning inside larger expressions', () => {
    const d = module('signs', { a: input(s(8)), b: input(s(8)), n: input(u(3)), lt: output(bool), y: output(s(8)) }, (_m, io) => {
      io.lt.set(io.a.lt(io.b));
      io.y.set(io.a.shr(io.n).add(io.b));
    });
    const v = body(d);
    expect(v).toContain('assign lt = $signed(a) < $signed(b);');
    // Without $unsigned(...) around it, `+ b` would make the shift logical in Verilog.
    expect(v).toContain('assign y = $unsigned($signed(a) >>> n) + b;');
  });

  test('sign extension of an expression names it first; zero extension does not need to', () => {
    const d = module('ext', { a: input(s(4)), b: input(s(4)), c: input(u(4)), y: output(s(8)), z: output(u(8)) }, (_m, io) => {
      io.y.set(io.a.add(io.b).sext(8));
      io.z.set(io.c.add(1).zext(8));
    });
    const v = body(d);
    expect(v).toContain('wire [3:0] y_sx;');
    expect(v).toMatch(/assign y_sx = a \+ b;/);
    expect(v).toContain('assign y = {{4{y_sx[3]}}, y_sx};');
    expect(v).toContain("assign z = {4'd0, (c + 4'd1)};");
  });

  test('a bit range of an expression gets a temporary named after what it feeds', () => {
    const d = module('slices', { a: input(u(8)), b: input(u(8)), hi: output(u(4)) }, (_m, io) => {
      io.hi.set(io.a.add(io.b).bits(7, 4));
    });
    const v = body(d);
    expect(v).toContain('wire [7:0] hi_sum;');
    expect(v).toContain('assign hi_sum = a + b;');
    expect(v).toContain('assign hi = hi_sum[7:4];');
    // One lint region per module, around the declarations that may go partly unread.
    expect(v.match(/lint_off UNUSEDSIGNAL/g)).toHaveLength(1);
    expect(v).toMatch(/lint_off UNUSEDSIGNAL \*\/\n  wire \[7:0\] hi_sum;\n  \/\* verilator lint_on UNUSEDSIGNAL/);
  });

  test('a subexpression used twice is computed once, under a stable name', () => {
    const d = module('shared', { a: input(u(8)), b: input(u(8)), y: output(u(8)) }, (_m, io) => {
      const t = io.a.mul(io.b);
      io.y.set(mux(t.gt(100), t, t.add(1)));
    });
    const v = body(d);
    expect(v).toContain('assign y_prod = a * b;');
    expect(v).toContain("assign y = (y_prod > 8'd100) ? y_prod : (y_prod + 8'd1);");
  });

  test('names that are Verilog or SystemVerilog keywords are escaped', () => {
    const hdr = record({ type: u(8), priority: u(3) });
    const d = module('kw', { h: input(hdr), bit: output(u(8)) }, (_m, io) => {
      io.bit.set(io.h.type.add(io.h.priority.zext(8)));
    });
    const v = body(d);
    expect(v).toContain('input  wire [7:0] h_type,');
    expect(v).toContain('input  wire [2:0] h_priority,');
    expect(v).toContain('output wire [7:0] bit_');
  });

  test('records are ports per field; pack/unpack put the first field in the top bits', () => {
    const hdr = record({ sport: u(16), dport: u(16) });
    const d = module('rec', { h: input(hdr), word: output(u(32)), same: output(bool) }, (_m, io) => {
      io.word.set(pack(io.h).as(32));
      io.same.set(eq(unpack(hdr, pack(io.h)), io.h));
    });
    const v = body(d);
    expect(v).toContain('input  wire [15:0] h_sport,');
    expect(v).toContain('assign word = {h_sport, h_dport};');
  });

  test('enums and FSM states appear as localparams, in resets, cases and comparisons', () => {
    const op = enumType('opcode', ['nop', 'load', 'store']);
    const d = module('fsmy', { op: input(op), busy: output(bool) }, (m, io) => {
      const f = m.fsm('mode', ['idle', 'work']);
      m.seq(() => {
        switchOn(io.op).is('load', () => f.goto('work')).is(['store', 'nop'], () => f.goto('idle'));
      });
      io.busy.set(f.is('work'));
    });
    const v = body(d);
    expect(v).toContain("localparam [1:0] OPCODE_LOAD = 2'd1;");
    expect(v).toContain("localparam MODE_IDLE = 1'b0;");
    expect(v).toContain('mode <= MODE_IDLE;');
    expect(v).toContain('OPCODE_STORE, OPCODE_NOP: begin');
    expect(v).toContain('assign busy = mode == MODE_WORK;');
  });

  test('byte-enable writes become one guarded write per lane; reads are registered', () => {
    const d = module('ram', { we: input(u(4)), addr: input(u(6)), d: input(u(32)), q: output(u(32)) }, (m, io) => {
      const mem = m.memory('store', { layout: u(32), depth: 64, byteEnables: true, init: [1, 2, 3] });
      m.seq(() => {
        when(io.we.ne(0), () => mem.ports[0]!.write(io.addr, io.d, io.we));
        mem.ports[0]!.read(io.addr);
      });
      io.q.set(mem.ports[0]!.data);
    });
    const v = body(d);
    expect(v).toContain('reg  [31:0] store [0:63];');
    expect(v).toContain('if (we[2]) store[addr][23:16] <= d[23:16];');
    expect(v).toContain('store_rdata <= store[addr];');
    expect(v).toContain("store[2] = 32'd3;");
  });

  test('a combinational block that reads what it assigned computes its temporaries in place', () => {
    const d = module('inplace', { a: input(u(8)), c: input(bool), y: output(u(4)) }, (m, io) => {
      const t = m.wire('t', u(8));
      m.comb(() => {
        t.set(io.a);
        when(io.c, () => t.set(io.a.add(1)));
        io.y.set(t.add(io.a).bits(3, 0));
      });
    });
    const v = body(d);
    // The temporary must see t's final value, so it is assigned inside the block after t.
    expect(v).toMatch(/always @\* begin[^]*y_sum = 8'd0;[^]*t = a;[^]*y_sum = t \+ a;\n\s+y = y_sum\[3:0\];/);
  });

  test('vectors index by hardware value through a mux chain; slit/lit range checks pass', () => {
    const d = module('vecs', { i: input(u(2)), y: output(u(8)) }, (m, io) => {
      const v = m.reg('table', vec(u(8), 4), [1, 2, 3, 4]);
      m.seq(() => v.at(0).set(v.at(0).add(lit(8, 1))));
      io.y.set(v.get(io.i));
      void slit(8, -128);
    });
    const v = body(d);
    // One source comment for the four resets from one line.
    expect(v).toContain("table_1 <= 8'd2;  // hw/hdl/verilog.test.ts");
    expect(v).toMatch(/table_3 <= 8'd4;\n/);
    expect(v).toMatch(/reg  \[7:0\] table_3;/);
    expect(v).toContain("assign y = (i == 2'd3) ? table_3 : ((i == 2'd2) ? table_2 : ((i == 2'd1) ? table_1 : table_0));");
  });

  test('constant shift amounts print as small numbers, clamped to the width; equal mux arms fold', () => {
    const d = module('shifts', { a: input(u(8)), sa: input(s(8)), c: input(bool), y: output(u(8)), z: output(s(8)), w: output(u(9)) }, (_m, io) => {
      io.y.set(io.a.shl(lit(52, 2n ** 51n)).or(io.a.shr(lit(8, 3))));
      io.z.set(io.sa.shr(lit(40, 2n ** 33n)));
      io.w.set(mux(io.c, io.a.zext(9), io.a.zext(9)));
    });
    const v = body(d);
    expect(v).toContain('assign y = (a << 8) | (a >> 3);');
    expect(v).toContain('assign z = $unsigned($signed(sa) >>> 8);');
    expect(v).toContain("assign w = {1'b0, a};");
  });

  test('a combinational block of constants becomes continuous assignments (an always @* reading nothing never runs)', () => {
    const d = module('consts', { y: output(u(4)), z: output(bool) }, (m, io) => {
      m.comb(() => {
        io.y.set(3);
        io.z.set(false);
        when(lit(1, 1).eq(1), () => io.y.set(5));
      });
    });
    const v = body(d);
    expect(v).not.toContain('always @*');
    expect(v).toMatch(/assign y = .*4'd5.*;/);
    expect(v).toContain("assign z = 1'b0;");
  });

  test('a JS value read by several statements is computed once, as a temporary named after its first use', () => {
    const d = module('shared_js', { a: input(u(8)), b: input(u(8)), y: output(u(8)), z: output(u(8)), q: output(u(8)) }, (m, io) => {
      const sum = io.a.add(io.b);
      io.y.set(sum);
      io.z.set(sum.xor(3));
      const r = m.reg('r', u(8));
      m.seq(() => r.set(sum));
      io.q.set(r);
    });
    const v = body(d);
    expect(v.match(/a \+ b/g)).toHaveLength(1);
    expect(v).toContain('assign y_sum = a + b;');
    expect(v).toContain("assign z = y_sum ^ 8'd3;");
    expect(v).toMatch(/r <= y_sum;/);
  });

  test('identities fold: x + 0, x | 0, x & all-ones, 0 ^ x print as x', () => {
    const d = module('identities', { a: input(u(8)), y: output(u(8)), z: output(u(8)), w: output(u(8)) }, (_m, io) => {
      io.y.set(io.a.add(0).or(0));
      io.z.set(io.a.and(255));
      io.w.set(lit(8, 0).xor(io.a));
    });
    const v = body(d);
    expect(v).toContain('assign y = a;');
    expect(v).toContain('assign z = a;');
    expect(v).toContain('assign w = a;');
  });

  test('a source comment only where the source line changes', () => {
    const d = module('loop_lines', { a: input(u(8)), y: output(u(8)) }, (m, io) => {
      const r = m.reg('r', vec(u(8), 6));
      m.seq(() => { for (let i = 0; i < 6; i++) r.at(i).set(io.a.add(i)); });
      io.y.set(r.at(5));
    });
    const v = body(d);
    // The always block names the line; the six statements from it do not repeat it.
    expect(v).toMatch(/always @\(posedge clk\) begin {2}\/\/ hw\/hdl\/verilog\.test\.ts:\d+\n/);
    for (let i = 1; i < 6; i++) expect(v).toContain(`r_${i} <= a + 8'd${i};\n`);
    expect(v).toContain('r_0 <= a;\n');
  });

  // Runs last: every module above, through the tools (each exercises an unusual emitter path).
  test.runIf(has('verilator') && has('iverilog'))('every module above passes verilator -Wall and iverilog -g2005', () => {
    expect(emitted.length).toBeGreaterThan(8);
    const dir = mkdtempSync(join(tmpdir(), 'homa-emit-'));
    for (const { top, text } of emitted) {
      const file = join(dir, `${top}.v`);
      writeFileSync(file, text);
      const lint = spawnSync('verilator', ['--lint-only', '-Wall', '-Wno-UNUSEDSIGNAL', file], { encoding: 'utf8' });
      expect(`${lint.stdout}${lint.stderr}`, top).toBe('');
      const iv = spawnSync('iverilog', ['-g2005', '-o', '/dev/null', file], { encoding: 'utf8' });
      expect(`${iv.stdout}${iv.stderr}`, top).toBe('');
    }
  });
});
