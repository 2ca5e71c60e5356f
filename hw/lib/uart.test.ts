import { expect, test } from 'vitest';
import { simulate, Testbench } from '../hdl/sim/index.ts';
import { uartReceiver, uartTransmitter } from './uart.ts';
import { uartFrame } from './models.ts';
import { engines, Rng } from './testing.ts';

// Reference: an 8N1 frame is start (0), 8 data bits LSB first, stop (1), each `divisor` cycles.
for (const engine of engines) {
  test(`UART transmitter sends 8N1 frames at the configured divisor (${engine})`, async () => {
    const sim = await simulate(uartTransmitter(), { engine });
    sim.reset(2);
    const rng = new Rng(81);
    for (const divisor of [4, 7, 16]) {
      sim.poke('divisor', divisor);
      const tb = new Testbench(sim);
      const bytes = Array.from({ length: 12 }, () => rng.int(256));
      const input = tb.driver('data', { validProbability: 0.3, seed: divisor }).push(...bytes);
      const line: number[] = [];
      const stop = sim.onCycle(() => { line.push(Number(sim.peek('txd'))); });
      // Every byte taken and the last frame finished (the transmitter is idle again).
      await tb.until(() => input.pending === 0 && sim.peek('data_ready') === 1, { timeout: 40 * 10 * divisor });
      await tb.tick(2 * divisor);
      stop();
      // Decode the line as a receiver would: find each falling edge, sample mid-bit.
      const got: number[] = [];
      for (let i = 1; i < line.length; i++) {
        if (line[i - 1] === 1 && line[i] === 0) {
          const bits = Array.from({ length: 10 }, (_, k) => line[i + k * divisor + (divisor >> 1)]);
          expect(bits[0]).toBe(0);
          expect(bits[9]).toBe(1);
          got.push(bits.slice(1, 9).reduce((v: number, b, k) => v | (b! << k), 0));
          i += 10 * divisor - (divisor >> 1) - 1;
        }
      }
      expect(got).toEqual(bytes);
      tb.dispose();
    }
    sim.dispose();
  });

  test(`UART receiver decodes frames, flags a bad stop bit and an overrun (${engine})`, async () => {
    const sim = await simulate(uartReceiver(), { engine });
    sim.reset(2);
    const divisor = 9;
    sim.poke('divisor', divisor);
    sim.poke('rxd', 1);
    const rng = new Rng(82);
    // Line levels for a run of frames with random idle gaps (in cycles), the sender's clock
    // a little off ours (one cycle every other bit), as a real link would be.
    const send = (bytes: number[], stopBit = 1) => {
      const levels: number[] = [];
      for (const b of bytes) {
        for (let g = rng.int(3 * divisor); g > 0; g--) levels.push(1);
        uartFrame(b).forEach((bit, k) => {
          const v = k === 9 ? stopBit : bit;
          for (let t = 0; t < divisor + (k % 2 ? 0 : rng.int(2)) - (k % 4 === 3 ? 1 : 0); t++) levels.push(v);
        });
      }
      levels.push(...Array(2 * divisor).fill(1));
      return levels;
    };
    const run = (levels: number[]) => { for (const v of levels) { sim.poke('rxd', v); sim.step(); } };
    const tb = new Testbench(sim);
    const out = tb.monitor('data', { readyProbability: 0.5, seed: 3 });
    const bytes = Array.from({ length: 40 }, () => rng.int(256));
    run(send(bytes));
    expect(out.received).toEqual(bytes);
    expect(sim.peek('frameError')).toBe(0);
    expect(sim.peek('overrun')).toBe(0);
    run(send([0x5a], 0));
    expect(sim.peek('frameError')).toBe(1);
    expect(out.received).toEqual(bytes);
    tb.dispose();
    sim.poke('data_ready', 0);
    run(send([1, 2]));
    expect(sim.peek('overrun')).toBe(1);
    expect(sim.peek('data_valid')).toBe(1);
    expect(sim.peek('data_data')).toBe(1);
    sim.dispose();
  });
}
