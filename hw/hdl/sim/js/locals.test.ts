// The code generator's store forwarding (locals.ts), in-place register words and memories-first
// edge (codegen.ts), checked against a BigInt model: wide registers in a cycle (shadow copies),
// a wide product (a helper reading register offsets), a read register the edge itself reads,
// and the same design cut into tiny functions so values cross function boundaries.

import { describe, expect, test } from 'vitest';
import { bool, input, module, output, u, when } from '../../index.ts';
import { JsSimulator } from './engine.ts';
import { elaborate } from '../../design.ts';

const W = 70, M = (1n << 70n) - 1n;
const fwd = module('fwd', { a: input(u(W)), we: input(bool), q: output(u(W)), p: output(u(W)), xy: output(u(W)) }, (m, io) => {
  const r = m.regs({ x: u(W), y: u(W), z: u(W), k: u(4) });
  const ram = m.memory('ram', { layout: u(W), depth: 16, ports: ['w', 'r'] });
  const [wr, rd] = [ram.ports[0]!, ram.ports[1]!];
  const prod = m.let('prod', r.x.mul(r.y));
  m.seq(() => {
    r.x.set(r.y); r.y.set(r.x.add(io.a)); // x and y read each other: one keeps a shadow
    r.z.set(rd.data.xor(r.x.mul(r.y)));     // the edge reads the read register and multiplies registers
    r.k.set(r.k.add(1));
    when(io.we, () => wr.write(r.k, r.z));
    rd.read(r.k.sub(1));
  });
  io.q.set(r.z); io.p.set(rd.data); io.xy.set(prod);
});

describe('js engine: locals, in-place registers, memories first', () => {
  for (const chunkChars of [undefined, 150]) {
    test(`matches a BigInt model (chunkChars ${chunkChars ?? 'default'})`, () => {
      const sim = new JsSimulator(elaborate(fwd), { chunkChars });
      let x = 0n, y = 0n, z = 0n, k = 0, rd = 0n;
      const mem = Array.from({ length: 16 }, () => 0n);
      sim.reset();
      for (let c = 0; c < 60; c++) {
        const a = (BigInt(c) * 0x9e3779b97f4a7c15n + 12345n) & M, we = c % 3 !== 1;
        sim.poke('a', a); sim.poke('we', we);
        expect([sim.peek('q'), sim.peek('p'), sim.peek('xy'), sim.peek('x'), sim.peek('y')]).toEqual([z, rd, (x * y) & M, x, y]);
        sim.step(1);
        const nrd = mem[(k + 15) & 15]!;
        if (we) mem[k] = z;
        [x, y, z, k, rd] = [y, (x + a) & M, rd ^ ((x * y) & M), (k + 1) & 15, nrd];
      }
      for (let i = 0; i < 16; i++) expect(sim.peekMem('ram', i)).toBe(mem[i]);
    });
  }

  test('the state array is a global the generated code reads, removed once the simulator is garbage', () => {
    const sim = new JsSimulator(elaborate(fwd));
    const names = Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith('__hdl_sim'));
    expect(names.length).toBeGreaterThan(0);
    expect(Object.keys(globalThis).some((n) => n.startsWith('__hdl_sim'))).toBe(false); // not enumerable
    sim.dispose();
  });
});
