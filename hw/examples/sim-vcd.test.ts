// hw/examples/sim-vcd.test.ts — hw/hdl/sim's waveforms on the example designs (here, not in
// hw/hdl/sim, because the DSL never imports the designs built on it).
//
// Waveforms: a VCD written by a run holds the hierarchy, every signal, the FSM state names and
// the values the simulator reported; GTKWave's own converter (Debian's gtkwave package) reads
// it; the ASCII printer draws a run as text for snapshot tests.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { bufferedUart, counter, trafficLight } from './index.ts';
import { parseVcd, recordWaves, simulate, type Simulator, testEngines } from '../hdl/sim/index.ts';

const engines = testEngines().run;

const dir = mkdtempSync(join(tmpdir(), 'homa-vcd-'));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Sends one byte through the buffered UART, recording txd and the transmitter's state per cycle. */
async function uartRun(path: string): Promise<{ txd: number[]; states: number[]; sim: Simulator }> {
  const sim = await simulate(bufferedUart(2, 16), { vcd: path });
  sim.reset();
  sim.poke('countEnable', 1);
  sim.poke('data.valid', 1);
  sim.poke('data.payload', 0x5a);
  sim.step(1);
  sim.poke('data.valid', 0);
  const txd: number[] = [], states: number[] = [];
  for (let c = 0; c < 30; c++) { txd.push(Number(sim.peek('txd'))); states.push(Number(sim.peek('tx.state'))); sim.step(1); }
  sim.dispose();
  return { txd, states, sim };
}

describe('VCD', () => {
  test('holds the hierarchy, every signal, state names, and the values the simulator reported', async () => {
    const path = join(dir, 'uart.vcd');
    const { txd, states } = await uartRun(path);
    const vcd = parseVcd(readFileSync(path, 'utf8'));
    expect(vcd.timescale).toBe('1ns');
    expect(vcd.scopes).toEqual(expect.arrayContaining(['buffered_uart', 'buffered_uart.fifo', 'buffered_uart.tx', 'buffered_uart.accepted_count']));
    const paths = vcd.vars.map((v) => v.path);
    expect(paths).toEqual(expect.arrayContaining(['buffered_uart.clk', 'buffered_uart.txd', 'buffered_uart.data_data', 'buffered_uart.tx.state', 'buffered_uart.tx.state_state', 'buffered_uart.fifo.ram_rdata1']));
    expect(vcd.vars.find((v) => v.path === 'buffered_uart.fifo.wptr')!.width).toBe(4);
    // Cycle c is dumped at time 10c (clk rises), so the VCD agrees with every peek.
    for (let c = 0; c < txd.length; c++) {
      expect(vcd.valueAt('buffered_uart.txd', 10 * (c + 2))).toBe(BigInt(txd[c]!));
      expect(vcd.valueAt('buffered_uart.tx.state', 10 * (c + 2))).toBe(BigInt(states[c]!));
    }
    const names = new Set((vcd.changes.get(vcd.vars.find((v) => v.path === 'buffered_uart.tx.state_state')!.id) ?? []).map(([, v]) => v));
    expect([...names].sort()).toEqual(['bits', 'idle', 'start', 'stop']);
    expect(vcd.valueAt('buffered_uart.clk', 15)).toBe(0n);
    expect(vcd.valueAt('buffered_uart.clk', 20)).toBe(1n);
  });

  test('a window dumps only its cycles, every value at its first, stamped in the caller\'s time', async () => {
    const full = await uartRun(join(dir, 'uart-full.vcd'));
    const path = join(dir, 'uart-window.vcd');
    // The same run, cycle c stamped at 4000c ps (a 250 MHz clock), only [40 ns, 80 ns) dumped.
    const sim = await simulate(bufferedUart(2, 16));
    sim.traceVcd(path, { timescale: '1ps', period: 4000, timeOf: (c) => c * 4000, window: { start: 40_000, end: 80_000 } });
    sim.reset();
    sim.poke('countEnable', 1);
    sim.poke('data.valid', 1);
    sim.poke('data.payload', 0x5a);
    sim.step(1);
    sim.poke('data.valid', 0);
    sim.step(30);
    sim.dispose();
    const text = readFileSync(path, 'utf8');
    const vcd = parseVcd(text);
    expect(vcd.timescale).toBe('1ps');
    const stamps = [...text.matchAll(/^#(\d+)$/gm)].map((m) => Number(m[1]));
    expect(stamps[0]).toBe(40_000);
    expect(Math.max(...stamps)).toBeLessThanOrEqual(80_000);
    expect(text.indexOf('$dumpvars')).toBeGreaterThan(text.indexOf('#40000'));
    // cycles 10..19 hold what the whole run's VCD holds at those cycles (there at 10c ns)
    for (let c = 10; c < 20; c++) {
      for (const p of ['buffered_uart.txd', 'buffered_uart.tx.state', 'buffered_uart.tx.state_state']) {
        expect(vcd.valueAt(p, c * 4000), `${p} at cycle ${c}`).toEqual(parseVcd(readFileSync(join(dir, 'uart-full.vcd'), 'utf8')).valueAt(p, c * 10));
      }
    }
    expect(full.txd.length).toBe(30);
  });

  test.runIf(has('vcd2fst') && has('fst2vcd'))('GTKWave\'s reader takes it: the FST round trip keeps signals, states and values', async () => {
    const path = join(dir, 'uart2.vcd');
    await uartRun(path);
    const fst = join(dir, 'uart2.fst');
    expect(spawnSync('vcd2fst', [path, fst]).status).toBe(0);
    const back = spawnSync('fst2vcd', [fst], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(back.status).toBe(0);
    const a = parseVcd(readFileSync(path, 'utf8')), b = parseVcd(back.stdout);
    expect(b.vars.map((v) => v.path).sort()).toEqual(a.vars.map((v) => v.path).sort());
    for (const p of ['buffered_uart.txd', 'buffered_uart.tx.state', 'buffered_uart.tx.state_state', 'buffered_uart.fifo.count']) {
      for (let t = 0; t < 300; t += 5) expect(b.valueAt(p, t), `${p} at ${t}`).toEqual(a.valueAt(p, t));
    }
  });
});

for (const engine of engines) {
  test(`ASCII waveform of a counter and a traffic light (${engine})`, async () => {
    const sim = await simulate(counter(4), { engine });
    const wave = recordWaves(sim, ['rst', 'enable', 'count', { name: 'wrap', label: 'wrap!' }]);
    sim.reset();
    sim.poke('enable', 1);
    sim.step(4);
    sim.poke('enable', 0);
    sim.step(2);
    expect('\n' + wave.render({ cellWidth: 4 })).toBe(`
cycle   0   1   2   3   4   5   6
rst     ----\\_______________________
enable  ____/---------------\\_______
count    0      X1  X2  X3  X4
wrap!   ____________________________
`.replace(/ +\n/g, '\n'));
    sim.dispose();
    const def = trafficLight(2, 1, 2);
    const light = await simulate(def, { engine });
    const w2 = recordWaves(light, ['request', 'phase', 'walk', 'cars'], { design: def });
    light.reset();
    light.poke('request', 1);
    light.step(8);
    // green 2 cycles, amber 1, walk 2; the request stays high, so it cycles straight round.
    expect('\n' + w2.render({ from: 1 })).toBe(`
cycle    1     2     3     4     5     6     7     8
request  ------------------------------------------------
phase     go   Xslow Xcross      Xgo         Xslow Xcross
walk     ____________/-----------\\_________________/-----
cars      greenXamberXred        Xgreen      XamberXred
`.replace(/ +\n/g, '\n'));
    light.dispose();
  });
}
