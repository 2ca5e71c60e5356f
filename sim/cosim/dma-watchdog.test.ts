import { expect, test } from 'vitest';
import { QP_CTRL_BASE, QP_CTRL_REG, QP_STRIDE, QP_USER_BASE, QP_USER_REG, QpCtrl, QpStatus } from '../../hw/homa/abi.ts';
import { DmaWatchdog, DmaWatchdogError } from './dma-watchdog.ts';
import { HostMemory } from './host-memory.ts';

// The rules without an engine: the host's register traffic in, accesses checked.
function rig() {
  const memory = new HostMemory();
  const dog = new DmaWatchdog(memory, 4, () => 'cycle 7');
  const ring = memory.allocate(4096);       // sq ring: 64 entries of 64 bytes
  const cq = memory.allocate(4096);
  const bret = memory.allocate(4096);
  const pool = memory.allocate(2 << 16);
  const send = memory.allocate(10000);
  const ctrl = (qp: number, name: string, v: number): void => dog.hostWrite(QP_CTRL_BASE + qp * QP_STRIDE + QP_CTRL_REG[name]!, v);
  const lohi = (qp: number, prefix: string, a: bigint): void => { ctrl(qp, `${prefix}_lo`, Number(a & 0xffffffffn)); ctrl(qp, `${prefix}_hi`, Number(a >> 32n)); };
  const register = (qp: number): void => {
    lohi(qp, 'sq_base', ring.address); ctrl(qp, 'sq_log_size', 6);
    lohi(qp, 'cq_base', cq.address); ctrl(qp, 'cq_log_size', 6);
    lohi(qp, 'bret_base', bret.address); ctrl(qp, 'bret_log_size', 10);
    lohi(qp, 'bpool_base', pool.address); ctrl(qp, 'bpool_num_bpages', 2);
    lohi(qp, 'send_base', send.address); ctrl(qp, 'send_size', 10000);
    ctrl(qp, 'ctrl', QpCtrl.ENABLE);
  };
  return { memory, dog, ring, cq, bret, pool, send, ctrl, register };
}

test('every legal access passes and returns the host bytes', () => {
  const { dog, ring, cq, bret, pool, send, register } = rig();
  register(1);
  ring.bytes[64] = 9;
  expect(dog.check('read', ring.address + 64n, 64, 1)[0]).toBe(9);
  dog.check('read', ring.address + 4032n, 64, 1);                 // last entry
  dog.check('write', cq.address, 4096, 1);
  dog.check('read', bret.address + 4092n, 4, 1);
  dog.check('write', pool.address + 65535n, 65537, 1);            // across the two bpages
  dog.check('read', send.address + 9999n, 1, 1);
  expect(dog.checked).toBe(6);
  expect(dog.state(1)).toBe('enabled');
});

test('outside, wrong kind, wrong or unknown queue pair: each fails naming address, length, kind, queue pair and its ranges', () => {
  const { dog, ring, pool, send, register } = rig();
  register(1);
  const fails = (f: () => void, ...parts: (string | RegExp)[]): void => {
    let err: unknown = null;
    try { f(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DmaWatchdogError);
    for (const p of parts) expect((err as Error).message).toMatch(p);
  };
  fails(() => dog.check('read', send.address + 9999n, 2, 1), 'read 2 bytes', `0x${(send.address + 9999n).toString(16)}`, 'queue pair 1', 'outside every range',
    `send region read 0x${send.address.toString(16)}+10000`, 'cycle 7');
  fails(() => dog.check('write', ring.address, 64, 1), 'wrote 64 bytes', 'inside its sq ring, which the engine may only read');
  fails(() => dog.check('read', pool.address, 64, 1), 'inside its bpage region, which the engine may only write');
  fails(() => dog.check('read', ring.address, 64, 2), 'queue pair 2 is not enabled', 'Queue pair 2 (off) has registered: nothing');
  fails(() => dog.check('read', ring.address, 64, 9), 'there is no queue pair 9', 'queue pairs 0..3');
  fails(() => dog.check('write', pool.address + (2n << 16n) - 1n, 2, 1), 'outside every range');
});

test('a disabled queue pair keeps its ranges until the host has seen ACTIVE clear; writes while enabled change nothing', () => {
  const { dog, ring, send, ctrl, register } = rig();
  register(0);
  ctrl(0, 'send_size', 20000);                                      // ignored: enabled
  expect(() => dog.check('read', send.address, 10001, 0)).toThrow(DmaWatchdogError);
  ctrl(0, 'ctrl', 0);
  expect(dog.state(0)).toBe('draining');
  dog.check('read', ring.address, 64, 0);                          // in flight: allowed
  dog.hostRead(QP_CTRL_BASE + QP_CTRL_REG['status']!, QpStatus.ACTIVE); // still active
  dog.check('read', ring.address, 64, 0);
  dog.hostRead(QP_USER_BASE + QP_USER_REG['status']!, 0);           // the user page's status counts too
  expect(dog.state(0)).toBe('off');
  expect(() => dog.check('read', ring.address, 64, 0)).toThrow(/not enabled/);
  // A refused ENABLE looks the same: the host reads status and sees ACTIVE clear.
  register(3);
  dog.hostRead(QP_CTRL_BASE + 3 * QP_STRIDE + QP_CTRL_REG['status']!, QpStatus.BAD_CONFIG);
  expect(() => dog.check('read', ring.address, 64, 3)).toThrow(/not enabled/);
});

test('memory the host freed fails even inside a registered range; so does registered memory never allocated', () => {
  const { memory, dog, pool, send, ctrl, register } = rig();
  register(2);
  ctrl(2, 'ctrl', 0);
  memory.free(pool);
  expect(() => dog.check('write', pool.address, 8, 2)).toThrow(/the host has freed that memory \(a FREED buffer/);
  dog.check('read', send.address, 8, 2);
  // Re-enabled with a send region larger than its buffer.
  ctrl(2, 'send_size', 1 << 20);
  ctrl(2, 'ctrl', QpCtrl.ENABLE);
  expect(() => dog.check('read', send.address + 20000n, 8, 2)).toThrow(/no live host buffer holds it/);
});
