// test/driver/device.test.ts — the host side of the QEMU harness without QEMU: this test plays
// the driver and the application, writing queue-pair registers into the BAR file and rings,
// payload and bpage returns into a "guest RAM" file, while the DeviceServer runs the reference
// model behind them. It pins the memory conventions the guest relies on (free-running
// indices, phase 1 on the first pass, payload before the entry, bpage returns).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  CompletionType, QP_BASE, QP_STRIDE, QpCtrl, QpStatus, SendOpcode, completionEntry, queuePairRegisterList, readRecord,
  sendDescriptor, v4Mapped, writeRecord,
} from '../../hw/homa/abi.ts';
import { DeviceServer, SharedFile } from '../../driver/qemu/device.ts';
import { ModelPairEngine, SERVER_NIC_ADDR, SERVER_PORT, echoResponse } from '../../driver/qemu/model-engine.ts';

const R = Object.fromEntries(queuePairRegisterList().map((r) => [r.name, r.offset]));
const SQ = 0x10000, CQ = 0x20000, BRET = 0x30000, SEND = 0x100000, REGION = 0x400000;
const SQ_LOG = 6, CQ_LOG = 6, BRET_LOG = 8, BPAGES = 40;

let dir: string;
let bar: SharedFile;
let ram: SharedFile;
let engine: ModelPairEngine;
let dev: DeviceServer;
const qpReg = (qp: number, name: string): number => QP_BASE + qp * QP_STRIDE + R[name]!;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homa-nic-device-'));
  bar = new SharedFile(join(dir, 'bar'), 1 << 20);
  ram = new SharedFile(join(dir, 'ram'), 8 << 20);
  engine = new ModelPairEngine();
  dev = new DeviceServer({ bar, ram, engine });
});
afterEach(() => {
  bar.close();
  ram.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What homa_nic_qp_create and homa_nic_qp_region write, for queue pair 0. */
function enableQueuePair(opt: { region: boolean }): void {
  bar.setU32(qpReg(0, 'port'), 0x8000);
  bar.setU32(qpReg(0, 'sq_base_lo'), SQ); bar.setU32(qpReg(0, 'sq_log_size'), SQ_LOG);
  bar.setU32(qpReg(0, 'cq_base_lo'), CQ); bar.setU32(qpReg(0, 'cq_log_size'), CQ_LOG);
  bar.setU32(qpReg(0, 'bret_base_lo'), BRET); bar.setU32(qpReg(0, 'bret_log_size'), BRET_LOG);
  if (opt.region) { bar.setU32(qpReg(0, 'bpool_base_lo'), REGION); bar.setU32(qpReg(0, 'bpool_num_bpages'), BPAGES); }
  bar.setU32(qpReg(0, 'ctrl'), QpCtrl.ENABLE);
}

let sqTail = 0;
let cqHead = 0;
function postRequest(payload: Uint8Array, cookie: number, opcode: number = SendOpcode.REQUEST, buffer = SEND): void {
  if (buffer + payload.length <= ram.size) ram.write(buffer, payload);
  const d = new Uint8Array(64);
  writeRecord(sendDescriptor, d, 0, {
    opcode, dport: SERVER_PORT, length: payload.length, cookie: BigInt(cookie), buffer: BigInt(buffer), peer_addr: v4Mapped(SERVER_NIC_ADDR),
  });
  ram.write(SQ + (sqTail & ((1 << SQ_LOG) - 1)) * 64, d);
  sqTail++;
  bar.setU32(qpReg(0, 'sq_tail'), sqTail);
}

/** Step the device (model time follows the wall clock) until the entry at cq_head is valid. */
async function nextCompletion(): Promise<ReturnType<typeof readRecord>> {
  const slot = CQ + (cqHead & ((1 << CQ_LOG) - 1)) * 128;
  const want = ((cqHead >>> CQ_LOG) & 1) ^ 1;
  for (let i = 0; i < 5000; i++) {
    dev.step();
    if (ram.read(slot + 1, 1)[0] === want) {
      const c = readRecord(completionEntry, ram.read(slot, 128), 0);
      cqHead++;
      bar.setU32(qpReg(0, 'cq_head'), cqHead);
      return c;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`no completion at cq_head ${cqHead}`);
}

function regionBytes(c: ReturnType<typeof readRecord>): Uint8Array {
  const length = c['length'] as number;
  const out = new Uint8Array(length);
  let done = 0;
  for (const off of (c['bpage_offsets'] as number[]).slice(0, c['num_bpages'] as number)) {
    const n = Math.min(65536, length - done);
    out.set(ram.read(REGION + off, n), done);
    done += n;
  }
  return out;
}

describe('device server (host side of the QEMU harness)', () => {
  beforeEach(() => { sqTail = 0; cqHead = 0; });

  test('answers ENABLE with ACTIVE and a bad descriptor with BAD_DESCRIPTOR, consuming it', () => {
    enableQueuePair({ region: false });
    dev.step();
    expect(bar.u32(qpReg(0, 'status'))).toBe(QpStatus.ACTIVE);
    postRequest(new Uint8Array(10), 1, 0x7f);
    dev.step();
    expect(bar.u32(qpReg(0, 'sq_head'))).toBe(1);
    expect(bar.u32(qpReg(0, 'status')) & QpStatus.BAD_DESCRIPTOR).toBeTruthy();
    expect(dev.stats.badDescriptors).toBe(1);
  });

  test('a message outside guest memory is a bad descriptor, never read', () => {
    enableQueuePair({ region: true });
    dev.step();
    postRequest(new Uint8Array(100), 1, SendOpcode.REQUEST, ram.size - 50);
    dev.step();
    expect(bar.u32(qpReg(0, 'sq_head'))).toBe(1);
    expect(bar.u32(qpReg(0, 'status')) & QpStatus.BAD_DESCRIPTOR).toBeTruthy();
    expect(engine.guestNic.counters['client_requests_started']).toBe(0);
  });

  test('a 1,000,000-byte RPC: payload read from RAM, response written into the region, bpages returned', async () => {
    enableQueuePair({ region: true });
    const req = Uint8Array.from({ length: 1_000_000 }, (_, i) => (i * 13 + 7) & 0xff);
    postRequest(req, 42);
    const c = await nextCompletion();
    expect(c['type']).toBe(CompletionType.RESPONSE);
    expect(c['cookie']).toBe(42n);
    expect(c['length']).toBe(req.length);
    expect(c['num_bpages']).toBe(16);
    expect(bar.u32(qpReg(0, 'bpool_avail_bpages'))).toBe(BPAGES - 16);
    expect(Buffer.from(regionBytes(c)).equals(Buffer.from(echoResponse(req)))).toBe(true);
    // Return the bpages; the device consumes the ring.
    const offsets = (c['bpage_offsets'] as number[]).slice(0, 16);
    offsets.forEach((o, i) => { const b = Buffer.alloc(4); b.writeUInt32LE(o); ram.write(BRET + i * 4, b); });
    bar.setU32(qpReg(0, 'bret_tail'), offsets.length);
    dev.step();
    expect(bar.u32(qpReg(0, 'bret_head'))).toBe(offsets.length);
    expect(engine.guestNic.bpagesInUse()).toBe(0);
    expect(bar.u32(qpReg(0, 'bpool_avail_bpages'))).toBe(BPAGES);
    // Returning them again is a double free the engine reports in status.
    bar.setU32(qpReg(0, 'bret_tail'), offsets.length + 1);
    dev.step();
    expect(bar.u32(qpReg(0, 'status')) & QpStatus.BPAGE_DOUBLE_FREE).toBeTruthy();
  });

  test('completions wrap the ring: phase 1 on the first pass, 0 on the second', async () => {
    enableQueuePair({ region: true });
    const n = (1 << CQ_LOG) + 6;
    for (let i = 0; i < n; i++) {
      postRequest(Uint8Array.of(i, 1, 2, 3), 100 + i);
      const c = await nextCompletion();
      expect(c['cookie']).toBe(BigInt(100 + i));
      expect(c['phase']).toBe(i < 1 << CQ_LOG ? 1 : 0);
      expect(Array.from(regionBytes(c))).toEqual(Array.from(echoResponse(Uint8Array.of(i, 1, 2, 3))));
      const b = Buffer.alloc(4); b.writeUInt32LE((c['bpage_offsets'] as number[])[0]!);
      ram.write(BRET + (i & ((1 << BRET_LOG) - 1)) * 4, b);
      bar.setU32(qpReg(0, 'bret_tail'), i + 1);
    }
    expect(bar.u32(qpReg(0, 'cq_tail'))).toBe(n);
  });

  test('disable clears ACTIVE and frees the port for the next queue pair', () => {
    enableQueuePair({ region: true });
    dev.step();
    expect(engine.guestNic.queuePairs.has(0x8000)).toBe(true);
    bar.setU32(qpReg(0, 'ctrl'), 0);
    dev.step();
    expect(bar.u32(qpReg(0, 'status'))).toBe(0);
    expect(engine.guestNic.queuePairs.has(0x8000)).toBe(false);
    enableQueuePair({ region: true });
    dev.step();
    dev.step();
    expect(bar.u32(qpReg(0, 'status'))).toBe(QpStatus.ACTIVE);
  });
});
