// hw/homa/abi.test.ts — the ABI is self-consistent, discoverable, and the checked-in C header
// is exactly what the generator writes today (and compiles to the same layout).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { byteFields } from '../hdl/layout.ts';
import {
  BlockType, C_HEADER_PATH, COUNTERS, QP_CTRL_BASE, QP_STRIDE, QP_USER_BASE, TUNABLES, bpageReturnEntry, completionContinuation,
  completionEntry, defaultTunables, discoverBlocks, generateCHeader, queuePairControlRegisters, queuePairUserRegisters, readRecord,
  registerBlocks, resetImage, sendDescriptor, writeRecord,
} from './abi.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('ABI v2', () => {
  test('the checked-in C header is current (run scripts/gen-abi.ts if this fails)', () => {
    expect(readFileSync(join(root, C_HEADER_PATH), 'utf8')).toBe(generateCHeader());
  });

  test('records have the declared sizes and naturally aligned fields', () => {
    expect(sendDescriptor.width / 8).toBe(64);
    expect(completionEntry.width / 8).toBe(64);
    expect(completionContinuation.width / 8).toBe(64);
    expect(bpageReturnEntry.width / 8).toBe(4);
    for (const r of [sendDescriptor, completionEntry, completionContinuation, bpageReturnEntry]) {
      for (const f of byteFields(r)) {
        const align = f.layout.kind === 'vec' ? f.layout.element.width / 8 : Math.min(8, f.bytes);
        expect(f.offset % align, `${r.name}.${f.name}`).toBe(0);
      }
    }
  });

  test('a C compiler sees the same layout as the TypeScript records', () => {
    const dir = mkdtempSync(join(tmpdir(), 'abi-'));
    const checks: string[] = [];
    for (const [r, c] of [[sendDescriptor, 'homa_nic_send_desc'], [completionEntry, 'homa_nic_completion'],
      [completionContinuation, 'homa_nic_completion_cont'], [bpageReturnEntry, 'homa_nic_bpage_return']] as const) {
      checks.push(`_Static_assert(sizeof(struct ${c}) == ${r.width / 8}, "${c} size");`);
      for (const f of byteFields(r)) checks.push(`_Static_assert(offsetof(struct ${c}, ${f.name}) == ${f.offset}, "${c}.${f.name}");`);
    }
    writeFileSync(join(dir, 't.c'), `#include <stddef.h>\n#include "${join(root, C_HEADER_PATH)}"\n${checks.join('\n')}\nint main(void) { return 0; }\n`);
    let hasCc = true;
    try { execFileSync('cc', ['--version'], { stdio: 'ignore' }); } catch { hasCc = false; }
    if (!hasCc) return;               // no C compiler on this machine: the staleness test still holds
    execFileSync('cc', ['-std=c11', '-Wall', '-Werror', '-c', join(dir, 't.c'), '-o', join(dir, 't.o')]);
  });

  test('every HomaModule tunable is a config register with its default (spec §3.9)', () => {
    const cfg = registerBlocks().find((b) => b.type === BlockType.CONFIG)!;
    const d = defaultTunables();
    expect(d.unsched_bytes).toBe(40000);
    expect(d.unsched_cutoffs).toEqual([0, 0, 0, 0, 1000000, 15000, 2800, 200]);
    expect(d.max_incoming).toBe(400000);
    expect(d.timeout_ticks).toBe(100);
    const names = cfg.registers.map((r) => r.name);
    for (const n of ['link_mbps', 'resend_ticks', 'resend_interval', 'request_ack_ticks', 'max_overcommit', 'window',
      'grant_fifo_fraction', 'fifo_grant_increment', 'pacer_fifo_fraction', 'defer_min_bytes', 'max_nic_est_backlog_usecs',
      'num_priorities', 'priority_map', 'hijack_tcp', 'max_gso_size', 'wmem_max', 'peer_net_max']) {
      expect(names, n).toContain(n);
    }
    for (const r of cfg.registers) {
      const t = TUNABLES[r.name as keyof typeof TUNABLES];
      expect(r.reset).toEqual(typeof t.def === 'number' ? [t.def] : t.def);
    }
  });

  test('the driver can discover every block from offset 0 and read the defaults', () => {
    const bar = resetImage();
    const found = discoverBlocks((off) => bar[off / 4]!);
    expect(found.map((b) => b.type)).toEqual([BlockType.IDENTITY, BlockType.CONFIG, BlockType.COUNTERS, BlockType.QUEUE_PAIRS]);
    const cfg = registerBlocks().find((b) => b.type === BlockType.CONFIG)!;
    const at = (name: string): number => bar[(found[1]!.offset + cfg.registers.find((r) => r.name === name)!.offset) / 4]!;
    expect(at('link_mbps')).toBe(25000);
    expect(at('unsched_bytes')).toBe(40000);
    const qpb = registerBlocks().find((b) => b.type === BlockType.QUEUE_PAIRS)!;
    const qpAt = (name: string): number => bar[(found[3]!.offset + qpb.registers.find((r) => r.name === name)!.offset) / 4]!;
    expect(qpAt('ctrl_base')).toBe(QP_CTRL_BASE);
    expect(qpAt('user_base')).toBe(QP_USER_BASE);
    expect(qpAt('stride')).toBe(QP_STRIDE);
    const counters = registerBlocks().find((b) => b.type === BlockType.COUNTERS)!;
    expect(counters.registers.length).toBe(COUNTERS.length);
  });

  test('queue pairs: a kernel-only control page with everything that names memory, a user page with doorbells only', () => {
    const ctrl = queuePairControlRegisters();
    const user = queuePairUserRegisters();
    for (const ring of ['sq', 'cq', 'bret']) {
      for (const x of ['base_lo', 'base_hi', 'log_size']) expect(ctrl.map((r) => r.name)).toContain(`${ring}_${x}`);
      for (const x of ['head', 'tail']) expect(user.map((r) => r.name)).toContain(`${ring}_${x}`);
    }
    for (const n of ['port', 'ctrl', 'bpool_base_lo', 'bpool_num_bpages', 'send_base_lo', 'send_size']) expect(ctrl.map((r) => r.name)).toContain(n);
    // A process maps the user page: nothing in it names memory, and it can write only doorbells.
    expect(user.filter((r) => r.access === 'rw').map((r) => r.name).sort()).toEqual(['bret_tail', 'cq_head', 'sq_tail']);
    expect(user.some((r) => /base|size|port|ctrl/.test(r.name))).toBe(false);
    expect(user.map((r) => r.name)).toContain('bpool_avail_bytes');
    expect(QP_STRIDE).toBe(4096);
    expect(QP_USER_BASE - QP_CTRL_BASE).toBeGreaterThanOrEqual(256 * QP_STRIDE);
  });

  test('the identity block reports the bpage size and the region limits', () => {
    const bar = resetImage();
    const id = registerBlocks().find((b) => b.type === BlockType.IDENTITY)!;
    const at = (name: string): number => bar[(id.offset + id.registers.find((r) => r.name === name)!.offset) / 4]!;
    expect(at('abi_version') >>> 16).toBe(2);
    expect(at('bpage_shift')).toBe(16);
    expect(at('min_region_bpages')).toBe(33);
    expect(at('max_region_bpages')).toBeGreaterThanOrEqual(33);
  });

  test('descriptors and completions round-trip through host memory', () => {
    const buf = new Uint8Array(256);
    const addr = new Uint8Array(16).map((_, i) => i + 1);
    writeRecord(completionEntry, buf, 128, { type: 2, phase: 1, peer_port: 99, length: 1000000, id: 0x123456789abcdef0n,
      cookie: 77n, error: 0, num_bpages: 16, peer_addr: addr, bpage_offsets: Array.from({ length: 5 }, (_, i) => i << 16) });
    writeRecord(completionContinuation, buf, 192, { type: 6, phase: 1, bpage_offsets: Array.from({ length: 15 }, (_, i) => (i + 5) << 16) });
    const r = readRecord(completionEntry, buf, 128);
    expect(r['id']).toBe(0x123456789abcdef0n);
    expect(r['num_bpages']).toBe(16);
    expect(r['bpage_offsets']).toEqual(Array.from({ length: 5 }, (_, i) => i << 16));
    expect((readRecord(completionContinuation, buf, 192)['bpage_offsets'] as number[]).slice(0, 11)).toEqual(Array.from({ length: 11 }, (_, i) => (i + 5) << 16));
    expect(Array.from(r['peer_addr'] as Uint8Array)).toEqual(Array.from(addr));
    expect(buf[128 + 8]).toBe(0xf0);     // little-endian id in memory
    expect(buf[128 + 1]).toBe(1);        // phase right after type: the byte a host polls
    writeRecord(sendDescriptor, buf, 0, { opcode: 1, dport: 0x1234, length: 5 });
    expect([buf[2], buf[3]]).toEqual([0x34, 0x12]);
  });
});
