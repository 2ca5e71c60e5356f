// host-lib/backpressure.test.ts — buffer exhaustion is back-pressure, never loss (spec §4): a
// server holds thousands of requests until its receive region is full, the NIC holds back
// the rest, and once the application releases its bpages every remaining request arrives.
import { expect, test } from 'vitest';
import { HomaError } from './errors.ts';
import { MIN_REGION_BYTES } from './homa-device.ts';
import type { Message } from './message.ts';
import { keyOf, keyedBytes, twoHosts } from './testing.ts';

const N = 4000;
const LENGTH = 1000;

test(`${N} requests into a full region: back-pressure, then recovery with nothing lost (§4)`, async () => {
  // The client's send region holds every request at once (the ABI's counterpart of wmem_max,
  // §2.2): the back-pressure under test is the server's receive region.
  const h = twoHosts({}, { regionBytes: MIN_REGION_BYTES }, { sendBytes: 8 << 20 });
  const region = h.server.info().bpoolAvailBytes;
  expect(region).toBe(MIN_REGION_BYTES);

  // The client sends every request up front (shared RPCs; cookie = key).
  const ids = new Map<bigint, number>();
  for (let k = 0; k < N; k++) ids.set(await h.client.send(h.dest, keyedBytes(k, LENGTH), { cookie: BigInt(k) }), k);

  // The server takes whatever arrives and holds it, releasing nothing.
  const held: Message[] = [];
  const takeAll = async (): Promise<void> => {
    for (;;) {
      try { held.push(await h.server.receive({ timeoutNs: 2_000_000 })); } catch (e) {
        if (e instanceof HomaError && e.code === 'EAGAIN') return;
        throw e;
      }
    }
  };
  await takeAll();

  // Thousands held across the whole region, and the rest waiting in the NIC (not dropped).
  expect(held.length).toBeGreaterThan(2000);
  expect(held.length).toBeLessThan(N);
  expect(h.server.info().bpoolAvailBytes).toBeLessThan(LENGTH);
  const nic = h.cluster.modelDevice(1).nic;
  expect(nic.counters['buffer_alloc_failures']).toBeGreaterThan(0);
  expect(nic.counters['server_rpc_discards']).toBe(0);
  // Every held message still has its own bytes: nothing was overwritten while the region was full.
  for (const m of held) expect(Buffer.from(m.bytes()).equals(Buffer.from(keyedBytes(keyOf(m.bytes()), LENGTH)))).toBe(true);
  const firstRound = held.length;

  // Release everything and answer; the NIC restarts the waiting messages (RESEND, §4).
  const seen = new Map<number, number>();
  const answer = async (m: Message): Promise<void> => {
    const k = keyOf(m.bytes());
    seen.set(k, (seen.get(k) ?? 0) + 1);
    m.release();
    await h.server.reply(m, keyedBytes(k, 8));
  };
  for (const m of held.splice(0)) await answer(m);
  for (let got = firstRound; got < N; got++) await answer(await h.server.receive());

  expect(seen.size).toBe(N);
  expect([...seen.values()].every((c) => c === 1)).toBe(true);

  // Every response reaches the client with its cookie, exactly once.
  const answered = new Set<number>();
  for (let i = 0; i < N; i++) {
    const r = await h.client.receive();
    const k = ids.get(r.id)!;
    expect(r.cookie).toBe(BigInt(k));
    expect(keyOf(r.bytes())).toBe(k);
    answered.add(k);
    r.release();
  }
  expect(answered.size).toBe(N);
  await h.cluster.sleep(1_000_000);
  expect(h.server.info()).toMatchObject({ bpoolAvailBytes: region, heldMessages: 0, numRpcs: 0 });
  expect(h.cluster.stats().retransmittedBytes).toBeGreaterThan(0);
});
