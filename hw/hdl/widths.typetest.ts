// hw/hdl/widths.typetest.ts — compile-time tests: `tsc --noEmit` (part of `npm test`) must
// reject every line marked @ts-expect-error. If one of them ever compiles, the marker itself
// becomes an error, so these tests cannot silently rot.

import { bool, lit, module, output, slit, u, s as sint, input } from './index.ts';
import type { Bool, SInt, UInt } from './index.ts';

export const typeTests = module('type_tests', { a: input(u(8)), b: input(u(16)), c: input(sint(8)), f: input(bool), o: output(u(8)) }, (_m, io) => {
  const a: UInt<8> = io.a;
  const b: UInt<16> = io.b;
  const c: SInt<8> = io.c;
  const f: Bool = io.f;

  // @ts-expect-error u8.add(u16): widths differ
  a.add(b);
  // @ts-expect-error u8.eq(u16): widths differ
  a.eq(b);
  // @ts-expect-error unsigned and signed do not mix
  a.add(c);
  // @ts-expect-error a Bool is not a UInt<8>
  a.and(f);
  // @ts-expect-error a 16-bit value cannot drive an 8-bit output
  io.o.set(b);

  // Width arithmetic is in the type:
  const sum: UInt<9> = a.addW(a);
  const prod: UInt<16> = a.mulW(a);
  const joined: UInt<24> = a.cat(b);
  const ext: UInt<16> = a.zext(16);
  const top: UInt<4> = a.bits(7, 4);
  const big: UInt<4104> = lit(4096, 0).cat(lit(8, 0));
  const neg: SInt<9> = c.subW(slit(8, -1));
  // @ts-expect-error addW gives 9 bits, not 8
  const wrong: UInt<8> = a.addW(a);
  // @ts-expect-error bits(7, 4) is 4 bits wide
  const wrongSlice: UInt<5> = a.bits(7, 4);
  // @ts-expect-error cat widths add up: 8 + 16 = 24
  const wrongCat: UInt<16> = a.cat(b);

  // Computed widths flow freely and are checked at elaboration instead.
  const n: number = 8;
  const dyn: UInt<number> = lit(n, 1);
  dyn.add(a);
  void [sum, prod, joined, ext, top, big, neg, wrong, wrongSlice, wrongCat];
  io.o.set(a);
});
