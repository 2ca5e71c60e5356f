// host-lib/flush.test.ts — released bpages reach the NIC at once (§4), written as an
// application meets it: the server's only receiving task is blocked in requests() while
// workers hold messages and release them later. The region holds few messages, so the NIC
// must get the bpages back while requests() waits, or later messages never restart.
import { expect, test } from 'vitest';
import { MIN_REGION_BYTES } from './homa-device.ts';
import type { Message } from './message.ts';
import { keyOf, keyedBytes, twoHosts } from './testing.ts';

const N = 40;
const LENGTH = 300_000;                                  // 5 bpages each: the 33-bpage region holds 6
const BATCH = 5;

test('bpages released while the only receiver is blocked in requests() reach the NIC; every request is served', async () => {
  // (Before the fix this ended in EDEADLK at the horizon; 1 s keeps a regression quick.)
  const h = twoHosts({ horizonNs: 1e9 }, { regionBytes: MIN_REGION_BYTES }, { sendBytes: 16 << 20 });
  // The server hands batches to a worker, which answers them, works a while, and releases
  // them: no socket call follows, and meanwhile requests() is blocked waiting for a request
  // that needs those very bpages.
  const workers: Promise<void>[] = [];
  const work = async (batch: Message[]): Promise<void> => {
    for (const m of batch) await h.server.reply(m, keyedBytes(keyOf(m.bytes()), 16));
    await h.serverDevice.sleep(2_000_000);
    for (const m of batch) m.release();
  };
  const serving = (async () => {
    const batch: Message[] = [];
    for await (const req of h.server.requests()) {
      batch.push(req);
      if (batch.length === BATCH) workers.push(work(batch.splice(0)));
    }
  })();
  const answers = await Promise.all(Array.from({ length: N }, async (_, k) => {
    const m = await h.client.call(h.dest, keyedBytes(k, LENGTH));
    const key = keyOf(m.bytes());
    m.release();
    return key;
  }));
  expect(answers).toEqual(Array.from({ length: N }, (_, k) => k));
  expect(h.cluster.modelDevice(1).nic.counters['buffer_alloc_failures']).toBeGreaterThan(0);   // the region did fill up
  h.server.close();
  await serving;
  await Promise.all(workers);
});

test('a release with no later socket call still frees the region (bpool_avail_bytes)', async () => {
  const h = twoHosts();
  const full = h.server.info().bpoolAvailBytes;
  const pending = h.client.call(h.dest, keyedBytes(1, 100_000));
  const req = await h.server.receive();
  req.release();
  await h.cluster.sleep(1000);                           // no socket call in between
  expect(h.server.info().pendingReturns).toBe(0);
  expect(h.server.info().bpoolAvailBytes).toBe(full);
  await h.server.reply(req, 'ok');
  (await pending).release();
});
