// test/driver/device.test.ts — the host side of the QEMU harness without QEMU: this test plays
// the driver (control page) and the application (user page, rings, send region, bpage
// returns) through the BAR file and a "guest RAM" file, while the DeviceServer runs the
// reference model behind them. It pins the ABI v2 rules the guest relies on: the control page
// taken at ENABLE and ignored after, only doorbells taken from the user page, descriptors
// refused outside the send region, 64-byte completions with continuations, phase per pass.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  CompletionType, QP_CTRL_BASE, QP_CTRL_REG, QP_STRIDE, QP_USER_BASE, QP_USER_REG, QpCtrl, QpStatus, SendOpcode, registerOffset,
  sendDescriptor, v4Mapped, writeRecord,
} from '../../hw/homa/abi.ts';
import type { MemRecord } from '../../hw/homa/abi.ts';
import { DeviceServer, SharedFile } from '../../driver/qemu/device.ts';
import { BAR_BYTES } from '../../driver/qemu/vm.ts';
import { ModelPairEngine, SERVER_NIC_ADDR, SERVER_PORT, echoResponse } from '../../driver/qemu/model-engine.ts';
import { COMPLETION_BYTES, readCompletion } from '../../sim/model/abi-adapter.ts';
import type { Completion } from '../../sim/model/types.ts';

const SQ = 0x10000, CQ = 0x20000, BRET = 0x30000, SEND = 0x100000, SEND_SIZE = 0x200000, REGION = 0x400000;
const SQ_LOG = 6, CQ_LOG = 6, BRET_LOG = 8, BPAGES = 40;

let dir: string;
let bar: SharedFile;
let ram: SharedFile;
let engine: ModelPairEngine;
let dev: DeviceServer;
const ctrlReg = (qp: number, name: string): number => QP_CTRL_BASE + qp * QP_STRIDE + QP_CTRL_REG[name]!;
const userReg = (qp: number, name: string): number => QP_USER_BASE + qp * QP_STRIDE + QP_USER_REG[name]!;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homa-nic-device-'));
  bar = new SharedFile(join(dir, 'bar'), BAR_BYTES);
  ram = new SharedFile(join(dir, 'ram'), 8 << 20);
  engine = new ModelPairEngine();
  dev = new DeviceServer({ bar, ram, engine });
  sqTail = 0;
  cqHead = 0;
});
afterEach(() => {
  bar.close();
  ram.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What homa_nic_qp_create writes into queue pair 0's control page; then the device takes it (the driver waits for that). */
function enableQueuePair(opt: { bpages?: number; port?: number } = {}): void {
  bar.setU32(ctrlReg(0, 'port'), opt.port ?? 0x8000);
  bar.setU32(ctrlReg(0, 'sq_base_lo'), SQ); bar.setU32(ctrlReg(0, 'sq_log_size'), SQ_LOG);
  bar.setU32(ctrlReg(0, 'cq_base_lo'), CQ); bar.setU32(ctrlReg(0, 'cq_log_size'), CQ_LOG);
  bar.setU32(ctrlReg(0, 'bret_base_lo'), BRET); bar.setU32(ctrlReg(0, 'bret_log_size'), BRET_LOG);
  bar.setU32(ctrlReg(0, 'bpool_base_lo'), REGION); bar.setU32(ctrlReg(0, 'bpool_num_bpages'), opt.bpages ?? BPAGES);
  bar.setU32(ctrlReg(0, 'send_base_lo'), SEND); bar.setU32(ctrlReg(0, 'send_size'), SEND_SIZE);
  bar.setU32(ctrlReg(0, 'ctrl'), QpCtrl.ENABLE);
  dev.step();
}

let sqTail = 0;
let cqHead = 0;
function post(fields: Partial<MemRecord>): void {
  const d = new Uint8Array(64);
  writeRecord(sendDescriptor, d, 0, fields);
  ram.write(SQ + (sqTail & ((1 << SQ_LOG) - 1)) * 64, d);
  sqTail++;
  bar.setU32(userReg(0, 'sq_tail'), sqTail);
}
function postRequest(payload: Uint8Array, cookie: number, offset = 0): void {
  ram.write(SEND + offset, payload);
  post({ opcode: SendOpcode.REQUEST, dport: SERVER_PORT, length: payload.length, cookie: BigInt(cookie), send_offset: offset, peer_addr: v4Mapped(SERVER_NIC_ADDR) });
}

/** Step the device (model time follows the wall clock) until the completion at cq_head is valid (with its continuation). */
async function nextCompletion(): Promise<Completion> {
  for (let i = 0; i < 5000; i++) {
    dev.step();
    const ring = new Uint8Array(ram.read(CQ, COMPLETION_BYTES << CQ_LOG));
    const got = readCompletion(ring, cqHead, CQ_LOG);
    if (got) {
      cqHead += got.entries;
      bar.setU32(userReg(0, 'cq_head'), cqHead);
      return got.completion;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`no completion at cq_head ${cqHead}`);
}

function regionBytes(c: Completion): Uint8Array {
  const out = new Uint8Array(c.length);
  let done = 0;
  for (const off of c.bpageOffsets) {
    const n = Math.min(65536, c.length - done);
    out.set(ram.read(REGION + off, n), done);
    done += n;
  }
  return out;
}

const counter = (name: string): number => Number(bar.read(registerOffset('counters', name), 8).readBigUInt64LE(0));

describe('device server (host side of the QEMU harness)', () => {
  test('answers ENABLE with ACTIVE in both pages, and a bad descriptor with an ERROR (EINVAL) and BAD_DESCRIPTOR', async () => {
    enableQueuePair();
    expect(bar.u32(ctrlReg(0, 'status'))).toBe(QpStatus.ACTIVE);
    expect(bar.u32(userReg(0, 'status'))).toBe(QpStatus.ACTIVE);
    expect(bar.u32(userReg(0, 'bpool_avail_bytes'))).toBe(BPAGES * 65536);
    post({ opcode: 0x7f, cookie: 9n });
    expect(await nextCompletion()).toMatchObject({ type: CompletionType.ERROR, error: 22, cookie: 9 });
    expect(bar.u32(userReg(0, 'sq_head'))).toBe(1);
    expect(bar.u32(userReg(0, 'status')) & QpStatus.BAD_DESCRIPTOR).toBeTruthy();
    expect(counter('bad_descriptors')).toBe(1);
  });

  test('a message outside the send region is refused and never read', async () => {
    enableQueuePair();
    postRequest(new Uint8Array(100), 1, SEND_SIZE - 50);
    post({ opcode: SendOpcode.REQUEST, dport: SERVER_PORT, length: 0x20, cookie: 2n, send_offset: 0xfffffff0, peer_addr: v4Mapped(SERVER_NIC_ADDR) });
    expect(await nextCompletion()).toMatchObject({ type: CompletionType.ERROR, error: 22, cookie: 1 });
    expect(await nextCompletion()).toMatchObject({ type: CompletionType.ERROR, error: 22, cookie: 2 });
    expect(bar.u32(userReg(0, 'status')) & QpStatus.BAD_DESCRIPTOR).toBeTruthy();
    expect(engine.guestNic.counters['client_requests_started']).toBe(0);
    expect(dev.stats.badDescriptors).toBe(2);
    // The queue pair goes on.
    postRequest(Uint8Array.of(1, 2, 3), 3, SEND_SIZE - 3);
    const c = await nextCompletion();
    expect(c).toMatchObject({ type: CompletionType.RESPONSE, cookie: 3 });
    expect(Array.from(regionBytes(c))).toEqual(Array.from(echoResponse(Uint8Array.of(1, 2, 3))));
  });

  test('a 1,000,000-byte RPC: payload from the send region, response into the region with a continuation, bpages returned', async () => {
    enableQueuePair();
    const req = Uint8Array.from({ length: 1_000_000 }, (_, i) => (i * 13 + 7) & 0xff);
    postRequest(req, 42, 4096);
    const c = await nextCompletion();
    expect(c).toMatchObject({ type: CompletionType.RESPONSE, cookie: 42, length: req.length });
    expect(c.bpageOffsets.length).toBe(16);
    expect(cqHead).toBe(2);                                                // the entry and its CONTINUATION
    // Free bytes: the free bpages and the rest of the page the tail was carved from (§4).
    expect(bar.u32(userReg(0, 'bpool_avail_bytes'))).toBe((BPAGES - 16) * 65536 + (65536 - (1_000_000 % 65536)));
    expect(Buffer.from(regionBytes(c)).equals(Buffer.from(echoResponse(req)))).toBe(true);
    // Return the bpages; the device consumes the ring.
    c.bpageOffsets.forEach((o, i) => { const b = Buffer.alloc(4); b.writeUInt32LE(o); ram.write(BRET + i * 4, b); });
    bar.setU32(userReg(0, 'bret_tail'), 16);
    dev.step();
    expect(bar.u32(userReg(0, 'bret_head'))).toBe(16);
    expect(engine.guestNic.bpagesInUse()).toBe(0);
    expect(bar.u32(userReg(0, 'bpool_avail_bytes'))).toBe(BPAGES * 65536);
    // Returning them again is a double free the engine reports in status.
    bar.setU32(userReg(0, 'bret_tail'), 17);
    dev.step();
    expect(bar.u32(userReg(0, 'status')) & QpStatus.BPAGE_DOUBLE_FREE).toBeTruthy();
  });

  test('completions wrap the ring: phase 1 on the first pass, 0 on the second', async () => {
    enableQueuePair();
    const n = (1 << CQ_LOG) + 6;
    for (let i = 0; i < n; i++) {
      postRequest(Uint8Array.of(i, 1, 2, 3), 100 + i);
      const slot = CQ + (cqHead & ((1 << CQ_LOG) - 1)) * COMPLETION_BYTES;
      const c = await nextCompletion();
      expect(c.cookie).toBe(100 + i);
      expect(ram.read(slot + 1, 1)[0]).toBe(i < 1 << CQ_LOG ? 1 : 0);
      expect(Array.from(regionBytes(c))).toEqual(Array.from(echoResponse(Uint8Array.of(i, 1, 2, 3))));
      const b = Buffer.alloc(4); b.writeUInt32LE(c.bpageOffsets[0]!);
      ram.write(BRET + (i & ((1 << BRET_LOG) - 1)) * 4, b);
      bar.setU32(userReg(0, 'bret_tail'), i + 1);
    }
    expect(bar.u32(userReg(0, 'cq_tail'))).toBe(n);
  });

  test('the control page is taken at ENABLE: later writes change nothing but ctrl', async () => {
    enableQueuePair();
    bar.setU32(ctrlReg(0, 'sq_base_lo'), 0x500000);                       // where no descriptor is
    bar.setU32(ctrlReg(0, 'send_size'), 0xffffffff);
    postRequest(Uint8Array.of(7), 5);
    expect(await nextCompletion()).toMatchObject({ type: CompletionType.RESPONSE, cookie: 5 });
    postRequest(new Uint8Array(10), 6, SEND_SIZE);                         // the send region is what it was
    expect(await nextCompletion()).toMatchObject({ type: CompletionType.ERROR, cookie: 6 });
  });

  test('the user page takes doorbells only: engine-owned words the guest overwrites come back', () => {
    enableQueuePair();
    for (const r of ['sq_head', 'cq_tail', 'bret_head', 'status', 'bpool_avail_bytes']) bar.setU32(userReg(0, r), 0xdead);
    bar.setU32(ctrlReg(0, 'status'), 0);
    dev.step();
    expect(['sq_head', 'cq_tail', 'bret_head'].map((r) => bar.u32(userReg(0, r)))).toEqual([0, 0, 0]);
    expect(bar.u32(userReg(0, 'status'))).toBe(QpStatus.ACTIVE);
    expect(bar.u32(ctrlReg(0, 'status'))).toBe(QpStatus.ACTIVE);
    expect(bar.u32(userReg(0, 'bpool_avail_bytes'))).toBe(BPAGES * 65536);
    expect(dev.stats.restoredWords).toBe(5);
  });

  test('a doorbell far ahead is taken a ring at a time: a bad process cannot stall the device', () => {
    enableQueuePair();
    bar.setU32(userReg(0, 'sq_tail'), 0x7fffffff);
    dev.step();
    expect(bar.u32(userReg(0, 'sq_head'))).toBe(1 << SQ_LOG);
    expect(dev.stats.badDescriptors).toBe(1 << SQ_LOG);                  // zeroed slots: opcode 0
  });

  test('ENABLE with a region the engine does not take is refused (BAD_CONFIG); a new attempt is looked at', () => {
    enableQueuePair({ bpages: 32 });
    dev.step();
    expect(bar.u32(ctrlReg(0, 'status'))).toBe(QpStatus.BAD_CONFIG);
    expect(dev.stats.refusedEnables).toBe(1);
    enableQueuePair();                                                     // ctrl never read 0 in between
    expect(bar.u32(ctrlReg(0, 'status'))).toBe(QpStatus.ACTIVE);
  });

  test('disable clears ACTIVE and frees the port for the next queue pair', () => {
    enableQueuePair();
    expect(engine.guestNic.queuePairs.has(0x8000)).toBe(true);
    bar.setU32(ctrlReg(0, 'ctrl'), 0);
    dev.step();
    expect(bar.u32(ctrlReg(0, 'status'))).toBe(0);
    expect(engine.guestNic.queuePairs.has(0x8000)).toBe(false);
    enableQueuePair();
    expect(bar.u32(ctrlReg(0, 'status'))).toBe(QpStatus.ACTIVE);
  });
});
