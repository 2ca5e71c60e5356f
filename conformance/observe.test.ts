// conformance/observe.test.ts — the suite checking itself: the oracle comparison names every
// difference (and nothing else), and the command's flags are refused with what to do.

import { expect, test } from 'vitest';
import { UsageError } from '../sim/experiments/cli-args.ts';
import { parseConformanceArgs } from './cli.ts';
import { Observations, compareObservations, type MessageRecord } from './observe.ts';

const msg = (id: string, peer: string, offsets: number[]): MessageRecord => ({ kind: 'request', id, cookie: '0', peer, length: 10, sha: 'ab', offsets });

test('the comparison names each difference, and only those', () => {
  const a = new Observations();
  const b = new Observations();
  a.counters('counters', { packets_rcvd_DATA: 3, unknown_rpcs: 1, packets_sent_GRANT: 9 }, ['packets_rcvd_DATA', 'unknown_rpcs']);
  b.counters('counters', { packets_rcvd_DATA: 3, unknown_rpcs: 0, packets_sent_GRANT: 1 }, ['packets_rcvd_DATA', 'unknown_rpcs']);
  a.messages('requests', [msg('3', 'x:1', [0]), msg('5', 'y:1', [100])], 'arrival');
  b.messages('requests', [msg('3', 'x:1', [0]), msg('5', 'y:1', [200])], 'arrival');
  a.put('only here', 1);
  expect(compareObservations(a, b, 'rtl')).toEqual([
    'counters.unknown_rpcs: rtl 1, model 0',
    'requests[1].offsets[0]: rtl 100, model 200',
    'only here: recorded only by the rtl run (the scenario took another path)',
  ]);
});

test('messages kept by key compare whatever order they arrived in', () => {
  const a = new Observations();
  const b = new Observations();
  a.messages('m', [msg('3', 'x:1', [0]), msg('3', 'y:1', [64])], 'key');
  b.messages('m', [msg('3', 'y:1', [0]), msg('3', 'x:1', [64])], 'key');
  expect(compareObservations(a, b, 'rtl')).toEqual([]);
});

test('the conformance command refuses bad flags with what to do', () => {
  expect(parseConformanceArgs(['--nic', 'rtl', '--group', 'rx'])).toEqual({ nic: 'rtl', group: 'rx', list: false, help: false });
  expect(parseConformanceArgs(['--nic=model'])).toMatchObject({ nic: 'model', group: undefined });
  expect(parseConformanceArgs(['--list'])).toMatchObject({ list: true });
  expect(() => parseConformanceArgs([])).toThrow(new UsageError('give the NIC under test: --nic model|rtl|rtl-verilator'));
  expect(() => parseConformanceArgs(['--nic', 'fpga'])).toThrow(/--nic "fpga": expected one of model, rtl, rtl-verilator/);
  expect(() => parseConformanceArgs(['--nic', 'rtl', '--group', 'tcp'])).toThrow(/--group "tcp": expected one of rx, grants, tx, reliability, host/);
  expect(() => parseConformanceArgs(['--nic'])).toThrow(/--nic needs a value/);
  expect(() => parseConformanceArgs(['--nic', 'rtl', '--fast'])).toThrow(/unknown flag "--fast"/);
});

test('the conformance command takes a waveform file and a window of simulated time for the RTL NIC', () => {
  expect(parseConformanceArgs(['--nic', 'rtl', '--vcd', 'w.vcd', '--vcd-window', '5us:25us'])).toMatchObject({ vcd: 'w.vcd', vcdWindowPs: { start: 5e6, end: 25e6 } });
  expect(parseConformanceArgs(['--nic', 'rtl', '--vcd', 'w.vcd'])).toMatchObject({ vcd: 'w.vcd' });
  expect(() => parseConformanceArgs(['--nic', 'model', '--vcd', 'w.vcd'])).toThrow(/--vcd records RTL NICs/);
  expect(() => parseConformanceArgs(['--nic', 'rtl', '--vcd-window', '1us:2us'])).toThrow(/--vcd-window goes with --vcd FILE/);
  expect(() => parseConformanceArgs(['--nic', 'rtl', '--vcd', 'w.vcd', '--vcd-window', '2us:1us'])).toThrow(/start must be before the end/);
});
