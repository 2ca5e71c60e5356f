// homa-nic stats: counters read through the register map under HomaModule's names, from a
// simulated host after a burst (model and RTL NICs), deltas with --watch, clear URL errors.

import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { COUNTERS } from '../../hw/homa/abi.ts';
import { SimDevice } from '../../host-lib/backends/sim.ts';
import { UsageError } from '../../sim/experiments/cli-args.ts';
import { SimBurst } from './burst.ts';
import { parseStatsArgs, parseStatsUrl, runStats } from './cli.ts';
import { counterDeltas, formatCounters, readCounters } from './counters.ts';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } }), text: () => text };
}

test('the counters block read through read32 holds what the NIC counted, by name', async () => {
  const burst = await SimBurst.create({ hosts: 3, host: 1, nic: 'model' });
  try {
    await burst.round();
    const dev = burst.cluster.device(1) as SimDevice;
    const c = readCounters(dev);
    expect([...c.keys()]).toEqual(COUNTERS);
    for (const name of COUNTERS) expect(c.get(name), name).toBe(BigInt(dev.nic.counters[name] ?? 0));
    expect(c.get('server_requests_done')).toBe(BigInt(burst.requestsPerRound));
    expect(c.get('packets_rcvd_DATA')).toBeGreaterThan(0n);
    await burst.round();
    const d = counterDeltas(c, readCounters(dev));
    expect(d.get('server_requests_done')).toBe(BigInt(burst.requestsPerRound));
  } finally {
    await burst.close();
  }
});

test('counters print as "name value", zeros left out unless asked, deltas with a sign', () => {
  const v = new Map([['packets_rcvd_DATA', 12n], ['short_packets', 0n], ['bad_checksums', 2n]]);
  expect(formatCounters(v)).toBe('packets_rcvd_DATA  12\nbad_checksums       2  the TCP-style Homa checksum (spec §1.7) did not verify\n');
  expect(formatCounters(v, { all: true })).toContain('short_packets       0');
  expect(formatCounters(new Map([['packets_rcvd_DATA', 3n]]), { delta: true, seconds: 0.5 })).toBe('packets_rcvd_DATA  +3  6.0/s\n');
  expect(formatCounters(new Map([['x', 0n]]), { delta: true })).toBe('(no counter moved)\n');
});

test('stats sim: a burst to host N, its counters; --watch prints what each burst changed', async () => {
  const out = sink(), err = sink();
  expect(await runStats(parseStatsArgs(['sim:2', '--hosts', '3', '--watch', '--count', '2']), out.stream, err.stream)).toBe(0);
  const text = out.text();
  expect(text).toContain('stats sim:2 (model NIC) reading 1/2: 8 RPCs to it');
  expect(text).toContain('stats sim:2 (model NIC) reading 2/2');
  expect(text).toMatch(/^server_requests_done\s+\+8$/m);
  expect(text).toMatch(/^packets_sent_GRANT\s+\+\d+$/m);
});

test('stats sim --nic rtl: the engine\'s own counters through the same register map', async () => {
  const out = sink(), err = sink();
  expect(await runStats(parseStatsArgs(['sim', '--nic', 'rtl', '--hosts', '2']), out.stream, err.stream)).toBe(0);
  expect(out.text()).toContain('stats sim:0 (rtl NIC, 2 hosts): after 3 requests to it');
  expect(out.text()).toMatch(/^server_requests_done\s+3$/m);
  expect(out.text()).toMatch(/^packets_rcvd_DATA\s+\d+$/m);
});

test('device URLs: sim, sim:N, pcie:; everything else refused with the forms that work', async () => {
  expect(parseStatsUrl('sim')).toEqual({ kind: 'sim', host: 0 });
  expect(parseStatsUrl('sim:3')).toEqual({ kind: 'sim', host: 3 });
  expect(parseStatsUrl('pcie:/dev/homa_nic0')).toMatchObject({ kind: 'pcie', path: '/dev/homa_nic0' });
  expect(() => parseStatsUrl('serial:/dev/ttyUSB0')).toThrow(/serial backend is not built yet/);
  expect(() => parseStatsUrl('tcp://x')).toThrow(new UsageError('"tcp://x" is not a device URL: use sim, sim:N (host N of a simulated cluster) or pcie:/dev/homa_nic0'));
  expect(() => parseStatsUrl('pcie:/dev/x?address=1.2.3')).toThrow(/is not an IPv4 address/);
  expect(() => parseStatsArgs(['sim:7'])).toThrow(/sim:7: the cluster has hosts 0..3; give --hosts 8 or more/);
  expect(() => parseStatsArgs(['sim', '--nic', 'fpga'])).toThrow(/--nic "fpga": expected one of model, rtl, rtl-verilator/);
  expect(() => parseStatsArgs(['sim', '--vcd-window', '0us:1us'])).toThrow(/--vcd-window goes with --vcd FILE/);
  expect(() => parseStatsArgs(['pcie:/dev/x', '--nic', 'rtl'])).toThrow(/for simulated devices/);
  expect(() => parseStatsArgs([])).toThrow(/give a device/);
  expect(parseStatsArgs(['pcie:/dev/x', '--watch', '2'])).toMatchObject({ watch: true, intervalMs: 2000 });
  expect(parseStatsArgs(['pcie:/dev/x', '--watch', '250ms'])).toMatchObject({ intervalMs: 250 });
  const out = sink(), err = sink();
  expect(await runStats(parseStatsArgs(['pcie:/dev/no_such_homa_nic']), out.stream, err.stream)).toBe(1);
  expect(err.text()).toContain('cannot open pcie:/dev/no_such_homa_nic');
});
