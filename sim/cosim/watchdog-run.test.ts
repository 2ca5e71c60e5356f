import { expect, test } from 'vitest';
import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import { DmaWatchdogError } from './dma-watchdog.ts';
import { STAND_IN_REGS as R } from './stand-in.ts';
import { disableQueuePair, enableQueuePair, engines, standInRead, standInRig, standInWrite, type StandInRig } from './testing.ts';

// The DMA watchdog on a running engine (the stand-in, a test double): a bad access fails the
// run at once, with the address, length, kind, queue pair and what it registered; later calls
// throw the same error; legal accesses pass.

const config = ENGINE_CONFIGS.u250;

async function rig(engine: string) {
  const r = await standInRig(engine, config);
  const { nic } = r;
  const ring = nic.allocateDma(4096);
  const pool = nic.allocateDma(1 << 16);
  const send = nic.allocateDma(8192);
  const stray = nic.allocateDma(4096);
  enableQueuePair(nic, 1, { sq: { buffer: ring, logSize: 6 }, bpool: { buffer: pool, bpages: 1 }, send: { buffer: send, bytes: 8192 } });
  return { ...r, ring, pool, send, stray };
}

/** Runs `f`, expects the run to fail with a watchdog error, and that the NIC stays failed. */
function expectFailure(r: StandInRig, f: () => void, ...parts: (string | RegExp)[]): void {
  let err: unknown = null;
  try { f(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(DmaWatchdogError);
  for (const p of parts) expect((err as Error).message).toMatch(p);
  expect(r.nic.failure).toBe(err);
  expect(() => r.nic.read32(R.scratch)).toThrow(err as Error);
  expect(() => r.nic.receive(new Uint8Array(64))).toThrow(err as Error);
}

for (const engine of engines) {
  test(`legal accesses of every kind pass, and are counted (${engine})`, async () => {
    const r = await rig(engine);
    standInWrite(r, { address: r.pool.address + 3n, length: 5000, qp: 1 });
    standInRead(r, { address: r.send.address + 1n, length: 8191, qp: 1 });
    standInRead(r, { address: r.ring.address, length: 4096, qp: 1 });
    expect(r.nic.watchdog.checked).toBe(3);
    expect(r.nic.failure).toBeNull();
    r.nic.dispose();
  });

  test(`an access outside what the queue pair registered fails the run (${engine})`, async () => {
    const r = await rig(engine);
    const at = `0x${r.stray.address.toString(16)}`;
    expectFailure(r, () => standInWrite(r, { address: r.stray.address, length: 100, qp: 1 }),
      `wrote 100 bytes at ${at}`, 'for queue pair 1', 'outside every range', `bpage region write 0x${r.pool.address.toString(16)}+65536`,
      /engine cycle \d+/);
    r.nic.dispose();
  });

  test(`one byte past the end of a range fails the run (${engine})`, async () => {
    const r = await rig(engine);
    expectFailure(r, () => standInRead(r, { address: r.send.address + 8000n, length: 193, qp: 1 }), 'read 193 bytes', 'outside every range');
    r.nic.dispose();
  });

  test(`an access of the wrong kind fails the run (${engine})`, async () => {
    const r = await rig(engine);
    expectFailure(r, () => standInRead(r, { address: r.pool.address, length: 64, qp: 1 }), 'read 64 bytes', 'inside its bpage region, which the engine may only write');
    r.nic.dispose();
  });

  test(`another queue pair's memory fails the run (${engine})`, async () => {
    const r = await rig(engine);
    expectFailure(r, () => standInWrite(r, { address: r.pool.address, length: 64, qp: 2 }), 'queue pair 2 is not enabled', 'Queue pair 2 (off) has registered: nothing');
    r.nic.dispose();
  });

  test(`a disabled queue pair may finish in-flight accesses until the host sees ACTIVE clear, then fails the run (${engine})`, async () => {
    const r = await rig(engine);
    disableQueuePair(r.nic, 1, false);
    standInWrite(r, { address: r.pool.address, length: 64, qp: 1 });            // still draining: allowed
    expect(disableQueuePair(r.nic, 1, true)).toBe(0);                          // the stand-in clears ACTIVE at once
    expectFailure(r, () => standInWrite(r, { address: r.pool.address, length: 64, qp: 1 }), 'queue pair 1 is not enabled');
    r.nic.dispose();
  });

  test(`memory the host freed fails the run, even inside a registered range (${engine})`, async () => {
    const r = await rig(engine);
    r.nic.freeDma(r.pool);
    expectFailure(r, () => standInWrite(r, { address: r.pool.address + 10n, length: 10, qp: 1 }), 'the host has freed that memory', 'a FREED buffer');
    r.nic.dispose();
  });
}
