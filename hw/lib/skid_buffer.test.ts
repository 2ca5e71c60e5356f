import { expect, test } from 'vitest';
import { u } from '../hdl/index.ts';
import { pipeStage, skidBuffer } from './skid_buffer.ts';
import { bench, engines, Rng } from './testing.ts';

// Reference: a register stage is a wire with memory; the beats out are the beats in, in order.
for (const engine of engines) {
  for (const [name, gen] of [['skid buffer', skidBuffer], ['pipe stage', pipeStage]] as const) {
    test(`${name} passes every beat in order under random valid and back-pressure (${engine})`, async () => {
      const { sim, tb } = await bench(gen(u(32)), engine);
      const rng = new Rng(7);
      const beats = Array.from({ length: 600 }, () => rng.next());
      const input = tb.driver('in', { validProbability: 0.7, seed: 3 }).push(...beats);
      const output = tb.monitor('out', { readyProbability: 0.6, seed: 4 });
      await tb.until(() => output.received.length === beats.length, { timeout: 5000 });
      expect(input.pending).toBe(0);
      expect(output.received).toEqual(beats);
      sim.dispose();
    });
  }
  test(`skid buffer moves one beat per cycle with no back-pressure (${engine})`, async () => {
    const { sim, tb } = await bench(skidBuffer(u(32)), engine);
    tb.driver('in').push(...Array.from({ length: 100 }, (_, i) => i));
    const output = tb.monitor('out');
    await tb.until(() => output.received.length === 100, { timeout: 102 });
    expect(output.received).toEqual(Array.from({ length: 100 }, (_, i) => i));
    sim.dispose();
  });
}
