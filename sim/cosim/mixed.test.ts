// sim/cosim/mixed.test.ts — a model NIC and an RTL NIC on the model's direct wire: the model
// sends, the RTL engine receives (the RTL sending: conformance group tx, RTL pairs in
// host-lib/backends/rtl.test.ts), with duplicated and
// reordered frames on the wire. The model is the RTL's oracle here: the bytes the model sent
// are the bytes the RTL's host finds, and its bpages are the ones the reference pool picks.
import { expect, test } from 'vitest';
import { completionEntry, CompletionType, QpCtrl, readRecord, QP_CTRL_BASE, QP_CTRL_REG } from '../../hw/homa/abi.ts';
import { BpagePool } from '../../hw/homa/bpages.ts';
import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import { DirectWire } from '../model/harness.ts';
import { ModelNic } from '../model/nic.ts';
import { pattern, sameBytes } from '../model/testing.ts';
import { engineNic } from './engine-nic.ts';
import { enableQueuePair, engines } from './testing.ts';

const RTL_IP = Uint8Array.of(10, 0, 0, 2);
const MODEL_IP = Uint8Array.of(10, 0, 0, 1);

for (const engine of engines) {
  test(`a model client's requests reach an RTL server whole, through duplication and reordering (${engine})`, () => {
    const c = ENGINE_CONFIGS.u250;
    const rtl = engineNic(engine === 'verilator' ? 'verilator' : 'js', { config: c, ip: RTL_IP, mac: Uint8Array.of(2, 0, 10, 0, 0, 2) });
    const model = new ModelNic({ address: MODEL_IP, maxGaps: c.maxGaps });
    const wire = new DirectWire(model, rtl, { seed: 7, duplicate: 0.1, reorder: 0.05, reorderDelayPs: 2_000_000 });
    // The RTL server's queue pair, as a driver lays it out.
    const bpages = 40;
    const cq = rtl.allocateDma(64 << 8), bret = rtl.allocateDma(4 << 8), sq = rtl.allocateDma(64 << 4);
    const region = rtl.allocateDma(bpages << 16, 1 << 16), send = rtl.allocateDma(4096);
    enableQueuePair(rtl, 0, { port: 99, sq: { buffer: sq, logSize: 4 }, cq: { buffer: cq, logSize: 8 }, bret: { buffer: bret, logSize: 8 }, bpool: { buffer: region, bpages }, send: { buffer: send, bytes: 4096 } });
    rtl.write32(QP_CTRL_BASE + QP_CTRL_REG['ctrl']!, QpCtrl.ENABLE | QpCtrl.SERVER);
    expect(rtl.read32(QP_CTRL_BASE + QP_CTRL_REG['status']!) & 1).toBe(1);
    const client = model.openQueuePair({ bpages: 40 });
    const sizes = [1, 57, 1424, 1425, 3000, 9000, 20000, 39999, 40000, 120, 7777];
    const ids = sizes.map((n, i) => client.sendRequest({ peer: RTL_IP, dport: 99, payload: pattern(i, n) }));
    wire.q.run(50e9);
    const pool = new BpagePool(bpages);
    const got = Array.from({ length: sizes.length }, (_, k) => readRecord(completionEntry, cq.bytes, 64 * k));
    // Reordering may change which message completes first; match them by id.
    for (let i = 0; i < sizes.length; i++) {
      const entry = got.find((e) => e['id'] === BigInt(ids[i]! + 1));
      expect(entry, `completion of request ${i} (${sizes[i]} B)`).toBeDefined();
      expect(entry!['type']).toBe(CompletionType.REQUEST);
      expect(entry!['length']).toBe(sizes[i]);
      const offsets = (entry!['bpage_offsets'] as number[]).slice(0, entry!['num_bpages'] as number);
      const bytes = new Uint8Array(sizes[i]!);
      let done = 0;
      for (const o of offsets) { const n = Math.min(65536, bytes.length - done); bytes.set(region.bytes.subarray(o, o + n), done); done += n; }
      expect(sameBytes(bytes, pattern(i, sizes[i]!)), `bytes of request ${i}`).toBe(true);
    }
    // The pool picked what the reference pool picks, in completion order.
    const order = got.map((e) => e['length'] as number);
    const want = order.map((n) => pool.allocate(n)![0]);
    expect(got.map((e) => (e['bpage_offsets'] as number[])[0])).toEqual(want);
    expect(wire.faults.duplicated + wire.faults.reordered).toBeGreaterThan(0);
    expect(rtl.counters.framesIn).toBeGreaterThan(sizes.length);
    rtl.dispose();
  });
}

