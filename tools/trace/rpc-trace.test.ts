// One RPC's packets from a capture: its DATA both ways, the GRANTs and RESENDs between them,
// acks that close it; other RPCs (another client with the same id too) left out.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, expect, test } from 'vitest';
import { HomaType, ackPacket, bareControl, dataPacket, encodeFrame, grantPacket, resendPacket, type HomaPacket, type IpFields } from '../../hw/homa/wire/index.ts';
import { UsageError } from '../../sim/experiments/cli-args.ts';
import { PcapWriter } from '../../sim/net/pcap.ts';
import { parseTraceArgs, runTrace } from './cli.ts';
import { formatTrace, traceRpc, type CapturedFrame } from './rpc-trace.ts';

const dir = mkdtempSync(join(tmpdir(), 'homa-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLIENT = Uint8Array.of(10, 0, 0, 1);
const OTHER_CLIENT = Uint8Array.of(10, 0, 0, 3);
const SERVER = Uint8Array.of(10, 0, 0, 2);
const ip = (saddr: Uint8Array, daddr: Uint8Array, priority: number): IpFields => ({ version: 4, priority, flow: 0, ttl: 64, protocol: 146, saddr, daddr });
const payload = (n: number): Uint8Array => new Uint8Array(n);

/** An RPC of id 8: a 3000-byte request with a lost packet resent, a 100-byte response, an ACK. */
function capture(): CapturedFrame[] {
  const c2s = (p: HomaPacket, prio = 3) => encodeFrame(2, 1, ip(CLIENT, SERVER, prio), p);
  const s2c = (p: HomaPacket, prio = 7) => encodeFrame(1, 2, ip(SERVER, CLIENT, prio), p);
  const req = (offset: number, n: number, retransmit = 0) => dataPacket(101, 80, 8n, { message_length: 3000, incoming: 2000, offset, payload: payload(n), retransmit });
  const frames: [number, Uint8Array][] = [
    [1000, c2s(req(0, 1000))],
    [1100, encodeFrame(2, 3, ip(OTHER_CLIENT, SERVER, 3), dataPacket(101, 80, 8n, { message_length: 50, incoming: 50, offset: 0, payload: payload(50) }))],
    [1200, c2s(req(1000, 1000))],
    [1900, s2c(grantPacket(80, 101, 9n, 3000, 2))],
    [2300, c2s(req(2000, 1000), 2)],
    [2400, c2s(dataPacket(101, 80, 10n, { message_length: 10, incoming: 10, offset: 0, payload: payload(10) }))],
    [5000, s2c(resendPacket(80, 101, 9n, 1000, 1000, 5))],
    [5200, c2s(req(1000, 1000, 1), 5)],
    [6000, s2c(dataPacket(80, 101, 9n, { message_length: 100, incoming: 100, offset: 0, payload: payload(100) }))],
    [6100, c2s(bareControl(HomaType.NEED_ACK, 101, 80, 10n))],
    [7000, c2s(ackPacket(101, 80, 12n, [{ client_id: 4n, server_port: 80 }, { client_id: 8n, server_port: 80 }]))],
  ];
  return frames.map(([timeNs, data]) => ({ timeNs, data }));
}

test('an RPC\'s packets in order, with times, directions, priorities and a summary per message', () => {
  const t = traceRpc(capture(), 8n, '10.0.0.1')!;
  expect('\n' + formatTrace(t)).toBe(`
RPC 8: client 10.0.0.1:101, server 10.0.0.2:80; 8 packets over 6.000 us (first at 1.000 us in the capture)
    time us     gap us  dir  prio  type         details
      0.000      0.000  c>s     3  DATA         off=0 len=1000 msg=3000 incoming=2000
      0.200      0.200  c>s     3  DATA         off=1000 len=1000 msg=3000 incoming=2000
      0.900      0.700  s>c     7  GRANT        off=3000 prio=2
      1.300      0.400  c>s     2  DATA         off=2000 len=1000 msg=3000 incoming=2000
      4.000      2.700  s>c     7  RESEND       off=1000 len=1000 prio=5
      4.200      0.200  c>s     5  DATA         off=1000 len=1000 msg=3000 incoming=2000 retransmit
      5.000      0.800  s>c     7  DATA         off=0 len=100 msg=100 incoming=100
      6.000      1.000  c>s     3  ACK          acks=4,8 (acks this RPC)
request: 3000 B, 3000 B seen in 4 DATA packets (1 retransmitted), 1 GRANTs, 1 RESENDs, first to last DATA 4.200 us
response: 100 B, 100 B seen in 1 DATA packets (0 retransmitted), 0 GRANTs, 0 RESENDs, first to last DATA 0.000 us
other: 1 ACK
`);
  // The server's id names the same RPC.
  expect(traceRpc(capture(), 9n, '10.0.0.1:101')!.lines.length).toBe(8);
  expect(traceRpc(capture(), 8n, '10.0.0.3')!.lines.length).toBe(1);
  expect(traceRpc(capture(), 14n)).toBeNull();
});

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } }), text: () => text };
}

test('homa-nic trace: asks which client when an id is used by two, names what is missing', () => {
  const path = join(dir, 'rpc.pcap');
  const w = new PcapWriter(path);
  for (const f of capture()) w.write(f.data, f.timeNs * 1000);
  w.close();
  const out = sink(), err = sink();
  expect(runTrace(parseTraceArgs([path, '--id', '8']), out.stream, err.stream)).toBe(1);
  expect(err.text()).toContain('2 clients used id 8');
  expect(err.text()).toContain('10.0.0.1:101, 10.0.0.3:101; pick one with --client');
  expect(runTrace(parseTraceArgs([path, '--id', '0x8', '--client', '10.0.0.1']), out.stream, err.stream)).toBe(0);
  expect(out.text()).toContain('RPC 8: client 10.0.0.1:101');
  expect(runTrace(parseTraceArgs([path, '--id', '100']), out.stream, err.stream)).toBe(1);
  expect(err.text()).toContain('no packet of RPC 100');
  expect(runTrace(parseTraceArgs([join(dir, 'none.pcap'), '--id', '8']), out.stream, err.stream)).toBe(1);
  expect(err.text()).toContain('none.pcap: no such file');
  expect(() => parseTraceArgs([path])).toThrow(UsageError);
  expect(() => parseTraceArgs([path, '--id', 'x'])).toThrow(/--id "x": expected an RPC id/);
  expect(() => parseTraceArgs(['--id', '4'])).toThrow(/give a capture/);
});
