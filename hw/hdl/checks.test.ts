// Each elaboration check: the message says what is wrong and points at the designer's line.
// A marker comment on the line the error must name keeps the expected location honest.

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ElaborationError, bool, elaborate, input, lit, module, output, u, when, connect, stream } from './index.ts';
import type { UInt } from './index.ts';

const source = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
const file = 'hw/hdl/checks.test.ts';
/** `file:line` of the line carrying `// @mark NAME`. */
function at(name: string): string {
  const i = source.findIndex((l) => l.includes(`// @mark ${name}`) && !l.includes('at('));
  if (i < 0) throw new Error(`marker ${name} not found`);
  return `${file}:${i + 1}`;
}

function elaborationError(fn: () => unknown): ElaborationError {
  try { fn(); } catch (e) {
    if (e instanceof ElaborationError) return e;
    throw e;
  }
  throw new Error('expected an ElaborationError, got none');
}

describe('elaboration checks', () => {
  test('width mismatch with computed widths', () => {
    const w = 12 as number;
    const d = module('widths', { a: input(u(8)), o: output(u(8)) }, (_m, io) => {
      const b: UInt<number> = lit(w, 3);
      io.o.set(io.a.add(b as UInt<8>)); // @mark width
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain('width mismatch in add: 8 bits vs 12 bits');
    expect(e.loc.text).toBe(at('width'));
  });

  test('as() narrowing a computed width checks it', () => {
    const d = module('cast', { o: output(u(8)) }, (_m, io) => {
      io.o.set(lit(9 as number, 0).as(8)); // @mark as
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain('as(8): the value is 9 bits wide');
    expect(e.loc.text).toBe(at('as'));
  });

  test('literal out of range', () => {
    const d = module('lits', { a: input(u(4)), o: output(u(4)) }, (_m, io) => {
      io.o.set(io.a.add(16)); // @mark literal
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain('literal 16 does not fit in UInt<4> (0..15)');
    expect(e.loc.text).toBe(at('literal'));
  });

  test('latch: a combinational signal not assigned on every path', () => {
    const d = module('latchy', { c: input(bool), a: input(u(4)), o: output(u(4)) }, (m, io) => {
      m.comb(() => {
        when(io.c, () => io.o.set(io.a)); // @mark latch
      });
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toMatch(/'o' is not assigned on every path of the combinational block at .* which would infer a latch/);
    expect(e.loc.text).toBe(at('latch'));
  });

  test('combinational loop, hop by hop', () => {
    const d = module('loopy', { a: input(u(4)), o: output(u(4)) }, (m, io) => {
      const w = m.wires({ x: u(4), y: u(4) });
      w.x.set(w.y.add(io.a)); // @mark loop-x
      w.y.set(w.x.xor(1)); // @mark loop-y
      io.o.set(w.y);
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain('combinational loop through 2 signals');
    // The loop may be reported from either signal; each hop names its driver's line.
    expect(e.message).toMatch(/\n {2}(x|y) \(driven at [^)]+\)\n {2}-> (x|y) \(driven at [^)]+\)\n {2}-> (x|y)$/);
    expect(e.message).toContain(`x (driven at ${at('loop-x')})`);
    expect(e.message).toContain(`y (driven at ${at('loop-y')})`);
  });

  test('combinational loop across a module boundary', () => {
    const passThrough = module('pass', { i: input(u(4)), o: output(u(4)) }, (_m, io) => {
      io.o.set(io.i.add(1)); // @mark pass
    });
    const d = module('outer', { o: output(u(4)) }, (m, io) => {
      const p = m.instance('p', passThrough);
      p.i.set(p.o); // @mark outer-feedback
      io.o.set(p.o);
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain('combinational loop');
    expect(e.message).toContain(`p.o (driven at ${at('pass')})`);
    // The headline is the parent's feedback assignment, the one that closes the loop.
    expect(e.loc.text).toBe(at('outer-feedback'));
    expect(e.message).toContain('closed by the assignment to p_i here');
  });

  test('two drivers', () => {
    const d = module('twice', { a: input(u(4)), o: output(u(4)) }, (m, io) => {
      io.o.set(io.a); // @mark first-driver
      m.comb(() => io.o.set(io.a.add(1))); // @mark second-driver
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain("'o' has two drivers");
    expect(e.loc.text).toBe(at('second-driver'));
    expect(e.message).toContain(at('first-driver'));
  });

  test('undriven output', () => {
    const d = module('silent', { a: input(u(4)), o: output(u(4)), p: output(u(4)) }, (_m, io) => { // @mark undriven
      io.o.set(io.a);
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain("output 'p' of module 'silent' is never driven");
    expect(e.loc.text).toBe(at('undriven'));
  });

  test('wire used but never driven', () => {
    const d = module('floating', { o: output(u(4)) }, (m, io) => {
      const w = m.wire('w', u(4)); // @mark floating
      io.o.set(w);
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain("wire 'w' is read but never driven");
    expect(e.loc.text).toBe(at('floating'));
  });

  test('child input left unconnected', () => {
    const child = module('child', { i: input(u(4)), o: output(u(4)) }, (_m, io) => io.o.set(io.i));
    const d = module('parent', { o: output(u(4)) }, (m, io) => {
      const c = m.instance('c', child); // @mark unconnected
      io.o.set(c.o);
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain("input 'i' of instance 'c' (child) is not connected");
    expect(e.loc.text).toBe(at('unconnected'));
  });

  test('unused input is a warning, not an error', () => {
    const d = module('idle_in', { a: input(u(4)), b: input(u(4)), o: output(u(4)) }, (_m, io) => io.o.set(io.a));
    const design = elaborate(d);
    expect(design.warnings.map((w) => w.message)).toEqual(["input 'b' is never used"]);
  });

  test('register assigned outside a clocked block', () => {
    const d = module('misplaced', { a: input(u(4)), o: output(u(4)) }, (m, io) => {
      const r = m.reg('r', u(4));
      m.comb(() => r.set(io.a)); // @mark reg-comb
      io.o.set(r);
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain("register 'r' can only be assigned inside m.seq");
    expect(e.loc.text).toBe(at('reg-comb'));
  });

  test('driving an input, and connect with no drivable side', () => {
    const d = module('backwards', { a: input(u(4)), o: output(u(4)) }, (_m, io) => {
      io.a.set(1); // @mark drive-input
      io.o.set(io.a);
    });
    expect(elaborationError(() => elaborate(d)).loc.text).toBe(at('drive-input'));
    const s = module('streams', { x: stream.sink(u(4)), y: stream.sink(u(4)) }, (_m, io) => {
      connect(io.x, io.y); // @mark connect
    });
    const e = elaborationError(() => elaborate(s));
    expect(e.message).toContain('connect: cannot tell which side drives');
    expect(e.loc.text).toBe(at('connect'));
  });

  test('the same name twice', () => {
    const d = module('names', { o: output(u(4)) }, (m, io) => {
      m.reg('o', u(4)); // @mark name
      io.o.set(0);
    });
    const e = elaborationError(() => elaborate(d));
    expect(e.message).toContain("the name 'o' is used twice in module 'names'");
    expect(e.loc.text).toBe(at('name'));
  });
});
