// Waveforms of RTL NICs in a co-simulation: the process-wide request (what --vcd sets) makes
// every RTL NIC write a VCD with the engine's hierarchy and FSM state names, stamped in
// simulated time, only inside the window.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseVcd } from '../../hw/hdl/sim/index.ts';
import { SimCluster } from '../../host-lib/backends/sim.ts';
import { RtlDevice } from '../../host-lib/backends/rtl.ts';
import { HomaDevice } from '../../host-lib/homa-device.ts';
import { claimWaveFile, labelWaves, parseWindow, requestWaves } from './waves.ts';

const dir = mkdtempSync(join(tmpdir(), 'homa-waves-'));
afterAll(() => { requestWaves(null); rmSync(dir, { recursive: true, force: true }); });

describe('RTL NIC waveforms', () => {
  test('windows are simulated times with units', () => {
    expect(parseWindow('10us:20us')).toEqual({ start: 10_000_000, end: 20_000_000 });
    expect(parseWindow(':1.5ns')).toEqual({ start: 0, end: 1500 });
    expect(parseWindow('2ms:')).toEqual({ start: 2e9, end: Infinity });
    expect(() => parseWindow('20us:10us')).toThrow(/start must be before the end/);
    expect(() => parseWindow('10:20')).toThrow(/not a time with a unit/);
  });

  test('each NIC gets its own file: numbered, or named after a label (a conformance test)', () => {
    requestWaves({ path: 'out/w.vcd', windowPs: { start: 0, end: 5 } });
    expect(claimWaveFile()).toEqual({ path: 'out/w.vcd', windowPs: { start: 0, end: 5 } });
    expect(claimWaveFile()?.path).toBe('out/w-1.vcd');
    labelWaves('rx/A 1-byte request');
    expect(claimWaveFile()?.path).toBe('out/w-rx-a-1-byte-request.vcd');
    expect(claimWaveFile()?.path).toBe('out/w-rx-a-1-byte-request-1.vcd');
    requestWaves(null);
    expect(claimWaveFile()).toBeNull();
  });

  test('every RTL NIC of a cluster writes a VCD: hierarchy, state names, simulated time, the window only', async () => {
    const path = join(dir, 'nic.vcd');
    const window = { start: 2_000_000, end: 30_000_000 };            // 2 us .. 30 us
    requestWaves({ path, windowPs: window });
    const cluster = new SimCluster({ engines: ['rtl', 'model', 'rtl'] });
    try {
      expect((cluster.device(0) as RtlDevice).nic.vcdPath).toBe(path);
      expect((cluster.device(2) as RtlDevice).nic.vcdPath).toBe(join(dir, 'nic-1.vcd'));
      const srvDev = new HomaDevice(cluster.device(0));
      const server = srvDev.socket({ port: 80, server: true });
      const client = new HomaDevice(cluster.device(1)).socket();
      await cluster.sleep(3000);
      void client.send({ address: srvDev.address, port: 80 }, new Uint8Array(20_000));
      for await (const m of server.requests()) { expect(m.length).toBe(20_000); m.release(); break; }
      client.close();
      server.close();
    } finally {
      cluster.close();
    }
    const text = readFileSync(path, 'utf8');
    const vcd = parseVcd(text);
    expect(vcd.timescale).toBe('1ps');
    const stamps = [...text.matchAll(/^#(\d+)$/gm)].map((m) => Number(m[1]));
    expect(stamps.length).toBeGreaterThan(10);
    expect(Math.min(...stamps)).toBeGreaterThanOrEqual(window.start);
    expect(Math.max(...stamps)).toBeLessThanOrEqual(window.end);
    // u250: a 250 MHz clock, so every rising edge is at a multiple of 4000 ps
    const rising = stamps.filter((_, i) => i % 2 === 0 && i < stamps.length - 1);
    expect(rising.every((t) => t % 4000 === 0)).toBe(true);
    expect(vcd.scopes.length).toBeGreaterThan(3);
    const states = vcd.vars.filter((v) => v.path.endsWith('_state') && v.type === 'string');
    expect(states.length).toBeGreaterThan(0);
    expect(vcd.vars.map((v) => v.path)).toEqual(expect.arrayContaining([expect.stringMatching(/\.mac_tx_valid$/)]));
  });
});
