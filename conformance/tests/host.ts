// conformance/tests/host.ts — group host: the NIC's side of ABI v2 (hw/homa/abi/records.ts) as a
// driver meets it through the Device: ports in use, receive regions outside the NIC's limits
// and other bad configurations refused at ENABLE, queue pairs running out, descriptors that
// leave the send region refused with nothing touched, bpages returned twice, a closed socket's
// port bound again, a disabled queue pair taking nothing more, control-page writes ignored
// while enabled, and one queue pair's traffic never touching another's memory.

import { BPAGE_SIZE, CompletionType, QpStatus, SendOpcode, completionEntry, readRecord, v4Mapped } from '../../hw/homa/abi.ts';
import { AddressInUseError, ERRNO, HomaError } from '../../host-lib/errors.ts';
import { HostQueuePair, discoverLayout } from '../../host-lib/queue-pair.ts';
import { check, countersAre, equal, expectMessage, fail, pattern, sameBytes } from '../check.ts';
import type { ConformanceCluster } from '../context.ts';
import { sha16 } from '../observe.ts';
import { RawQueuePair, freeQueuePair, nextCompletion, rawMemory, statusText, type RawRegistration } from '../raw-queue-pair.ts';
import { conformanceTest } from '../runner.ts';
import { sendRequests, takeRequests } from '../scenarios.ts';

/** Wait (bounded) for ACTIVE to clear after a disable (records.ts: only then is the memory free). */
async function untilInactive(c: ConformanceCluster, qp: RawQueuePair): Promise<void> {
  for (let i = 0; i < 100 && qp.active; i++) await c.sleep(10_000);
  check(!qp.active, `queue pair ${qp.index} still ACTIVE 1 ms after its disable (status ${statusText(qp.status())})`);
}

/** ENABLE with `change` applied to an otherwise good registration must be refused with BAD_CONFIG. */
async function refused(c: ConformanceCluster, what: string, bpages: number, change: (r: RawRegistration) => Partial<RawRegistration>): Promise<void> {
  const qp = freeQueuePair(c);
  const mem = rawMemory(c.dutDevice, bpages);
  const good = mem.registration(400);
  const status = qp.enable({ ...good, ...change(good) });
  equal(`status after ENABLE with ${what} (records.ts: refused with BAD_CONFIG, stays disabled)`, statusText(status), statusText(QpStatus.BAD_CONFIG));
  qp.disable();
  // The refusal is sticky until the next ENABLE, which a good registration passes.
  equal('status after ENABLE with a good registration on the same queue pair', statusText(qp.enable(mem.registration(400))), statusText(QpStatus.ACTIVE));
  qp.disable();
  await untilInactive(c, qp);
}

conformanceTest('host', 'a port in use is refused; another port works', '§2 (bind: EADDRINUSE), records.ts PORT_IN_USE', async (ctx) => {
  const c = await ctx.cluster();
  c.dut.socket({ port: 300, server: true });
  try {
    c.dut.socket({ port: 300, server: true });
    fail('a second socket bound port 300, which a first socket holds');
  } catch (e) {
    if (!(e instanceof AddressInUseError)) throw e;
  }
  const other = c.dut.socket({ port: 301, server: true });
  await sendRequests(c, [{ host: 1, length: 100, key: 1, port: 301 }]);
  sameBytes('a request to the other port', await expectMessage(other, 'a request to port 301'), pattern(1, 100));
});

conformanceTest('host', 'a receive region below min_region_bpages is refused', '§4 (minimum region), identity min_region_bpages, BAD_CONFIG', async (ctx) => {
  const c = await ctx.cluster();
  const min = c.identity().minRegionBpages;
  await refused(c, `${min - 1} bpages`, min, () => ({ bpages: min - 1 }));
});

conformanceTest('host', 'a receive region above max_region_bpages is refused', 'identity max_region_bpages, BAD_CONFIG', async (ctx) => {
  const c = await ctx.cluster();
  const { minRegionBpages, maxRegionBpages } = c.identity();
  await refused(c, `${maxRegionBpages + 1} bpages`, minRegionBpages, () => ({ bpages: maxRegionBpages + 1 }));
});

conformanceTest('host', 'port 0, ring sizes out of range and unaligned bases are refused', 'records.ts (ENABLE: BAD_CONFIG)', async (ctx) => {
  const c = await ctx.cluster();
  const bpages = c.identity().minRegionBpages;
  await refused(c, 'port 0', bpages, () => ({ port: 0 }));
  await refused(c, 'a send ring of 2^1 entries', bpages, () => ({ sqLog: 1 }));
  await refused(c, 'a completion ring of 2^17 entries', bpages, () => ({ cqLog: 17 }));
  await refused(c, 'a completion ring base not 4 KiB aligned', bpages, (r) => ({ cq: r.cq + 64n }));
});

conformanceTest('host', 'every queue pair in use: no socket can be had; disabling one frees it', 'identity num_queue_pairs, ABI queue pairs (ENOMEM)', async (ctx) => {
  const c = await ctx.cluster();
  const n = c.identity().numQueuePairs;
  // One set of memory for all of them: no traffic comes, so nothing is ever written to it.
  const mem = rawMemory(c.dutDevice, c.identity().minRegionBpages);
  const qps = Array.from({ length: n }, (_, i) => new RawQueuePair(c.dutDevice, i));
  qps.forEach((qp, i) => equal(`status of queue pair ${i} after ENABLE`, statusText(qp.enable(mem.registration(1000 + i))), statusText(QpStatus.ACTIVE)));
  try {
    c.dut.socket();
    fail(`a socket was made with all ${n} queue pairs enabled`);
  } catch (e) {
    if (!(e instanceof HomaError) || e.code !== 'ENOMEM') throw e;
  }
  qps[n - 1]!.disable();
  await untilInactive(c, qps[n - 1]!);
  const s = c.dut.socket({ port: 999, server: true });
  await sendRequests(c, [{ host: 1, length: 10, key: 2, port: 999 }]);
  await expectMessage(s, 'a request to the socket on the freed queue pair');
  for (const qp of qps.slice(0, n - 1)) qp.disable();
});

conformanceTest('host', 'descriptors outside the send region, of length 0, or of an unknown opcode are refused; nothing is sent', 'records.ts sendDescriptor (ERROR with EINVAL, BAD_DESCRIPTOR, bad_descriptors)', async (ctx) => {
  const c = await ctx.cluster();
  const device = c.dutDevice;
  const sendBytes = 4096;
  const qp = new HostQueuePair(device, discoverLayout(device), freeQueuePair(c).index, c.identity().minRegionBpages, sendBytes);
  qp.enable(500, false);
  qp.send.bytes.set(pattern(1, sendBytes));
  const peer = v4Mapped(c.sim.device(1).address);
  const bad = [
    { why: 'a range past the send region', desc: { opcode: SendOpcode.REQUEST, length: 100, send_offset: sendBytes - 50, cookie: 1n } },
    { why: 'length 0', desc: { opcode: SendOpcode.REQUEST, length: 0, send_offset: 0, cookie: 2n } },
    { why: 'opcode 9', desc: { opcode: 9, length: 10, send_offset: 0, cookie: 3n } },
  ];
  for (const b of bad) {
    qp.postSend({ ...b.desc, dport: 100, peer_addr: peer });
    const x = await nextCompletion(c, qp, `the descriptor with ${b.why}`);
    equal(`completion for the descriptor with ${b.why} (type, error, cookie)`, [x.type, x.error, x.cookie], [CompletionType.ERROR, ERRNO.EINVAL, b.desc.cookie]);
  }
  check((qp.status() & QpStatus.BAD_DESCRIPTOR) !== 0, `status ${statusText(qp.status())} should have BAD_DESCRIPTOR`);
  await c.settle();
  countersAre(c.counters(), { bad_descriptors: bad.length });
  equal('frames the DUT sent', c.sent().length, 0);
  equal('the send region (the NIC only ever reads it)', sha16(qp.send.bytes), sha16(pattern(1, sendBytes)));
  qp.disable();
});

conformanceTest('host', 'a bpage returned twice sets BPAGE_DOUBLE_FREE', '§4 (each bpage returned once; double free is EINVAL), bpage_double_frees', async (ctx) => {
  const c = await ctx.cluster();
  const device = c.dutDevice;
  const bpages = c.identity().minRegionBpages;
  const qp = new HostQueuePair(device, discoverLayout(device), freeQueuePair(c).index, bpages, 4096);
  qp.enable(510, true);
  await sendRequests(c, [{ host: 1, length: 3000, key: 3, port: 510 }]);
  const x = await nextCompletion(c, qp, 'the request');
  equal('completion type', x.type, CompletionType.REQUEST);
  equal('the first return is taken', qp.postReturns(x.bpageOffsets), x.bpageOffsets.length);
  await c.settle();
  equal('free bytes after the first return (the whole region, §2.1 bpool_avail_bytes)', qp.availBytes(), bpages * BPAGE_SIZE);
  equal('status after one return', statusText(qp.status() & ~QpStatus.ACTIVE), statusText(0));
  qp.postReturns(x.bpageOffsets);
  await c.settle();
  check((qp.status() & QpStatus.BPAGE_DOUBLE_FREE) !== 0, `status ${statusText(qp.status())} should have BPAGE_DOUBLE_FREE after the same bpage came back twice`);
  countersAre(c.counters(), { bpage_double_frees: 1 });
  equal('free bytes after the double return (unchanged)', qp.availBytes(), bpages * BPAGE_SIZE);
  qp.disable();
});

conformanceTest('host', 'a closed socket\'s port can be bound again, and the new socket receives', '§2 (bind), records.ts (disable unbinds at once)', async (ctx) => {
  const c = await ctx.cluster();
  c.dut.socket({ port: 520, server: true }).close();
  const again = c.dut.socket({ port: 520, server: true });
  await sendRequests(c, [{ host: 1, length: 2000, key: 4, port: 520 }]);
  sameBytes('a request to the port bound again', await expectMessage(again, 'a request to port 520'), pattern(4, 2000));
});

conformanceTest('host', 'after a disable, ACTIVE clears and the queue pair takes nothing more', 'records.ts (disable: port unbound at once, ACTIVE clears when nothing is in flight)', async (ctx) => {
  const c = await ctx.cluster();
  const qp = freeQueuePair(c);
  const mem = rawMemory(c.dutDevice, c.identity().minRegionBpages);
  equal('status after ENABLE', statusText(qp.enable(mem.registration(530), true)), statusText(QpStatus.ACTIVE));
  qp.disable();
  await untilInactive(c, qp);
  const before = mem.buffers.map((b) => sha16(b.bytes));
  await sendRequests(c, [{ host: 1, length: 500, key: 5, port: 530 }]);
  await c.settle();
  countersAre(c.counters(), { requests_to_non_server: 1 });
  equal('the disabled queue pair\'s memory (rings, region)', mem.buffers.map((b) => sha16(b.bytes)), before);
});

conformanceTest('host', 'control-page writes while enabled are ignored', 'records.ts (while enabled, writes to anything but ctrl are ignored)', async (ctx) => {
  const c = await ctx.cluster();
  const qp = freeQueuePair(c);
  const mem = rawMemory(c.dutDevice, c.identity().minRegionBpages);
  equal('status after ENABLE', statusText(qp.enable(mem.registration(540), true)), statusText(QpStatus.ACTIVE));
  qp.setCtrl('port', 541);
  qp.setCtrl('bpool_num_bpages', 1);
  await sendRequests(c, [{ host: 1, length: 700, key: 6, port: 540 }, { host: 1, length: 700, key: 7, port: 541 }]);
  await c.settle();
  const entry = readRecord(completionEntry, mem.buffers[1]!.bytes, 0);
  equal('the first completion on port 540 (type, length)', [entry['type'], entry['length']], [CompletionType.REQUEST, 700]);
  countersAre(c.counters(), { requests_to_non_server: 1 });
  qp.disable();
  await untilInactive(c, qp);
});

conformanceTest('host', 'one queue pair\'s traffic never touches another\'s memory', 'ABI v2 (a queue pair\'s memory is its own), ENGINE.md check 4', async (ctx) => {
  const c = await ctx.cluster();
  const a = c.dut.socket({ port: 550, server: true });
  const qp = freeQueuePair(c);
  const mem = rawMemory(c.dutDevice, c.identity().minRegionBpages);
  equal('status of the other queue pair after ENABLE', statusText(qp.enable(mem.registration(551), true)), statusText(QpStatus.ACTIVE));
  const before = mem.buffers.map((b) => sha16(b.bytes));
  const sent = await sendRequests(c, Array.from({ length: 10 }, (_, key) => ({ host: 1, length: 1000 + 3000 * key, key, port: 550 })));
  await takeRequests(a, sent, 'requests to port 550');
  equal('the other queue pair\'s memory', mem.buffers.map((b) => sha16(b.bytes)), before);
  qp.disable();
  await untilInactive(c, qp);
});
