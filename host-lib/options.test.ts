// host-lib/options.test.ts — what an application passes is checked, and calls can be given up:
// unknown options are EINVAL naming the option (never silently ignored), an AbortSignal ends a
// call(), receive() or requests(), and abort() follows homa.7 (an unknown id does nothing; a
// fire-and-forget abort never crashes the process).
import { describe, expect, test } from 'vitest';
import { SimCluster } from './backends/sim.ts';
import { AbortError } from './errors.ts';
import { serve, twoHosts } from './testing.ts';

describe('unknown options are EINVAL naming the option', () => {
  test('send, call, receive, requests, socket and SimCluster', async () => {
    const h = twoHosts();
    const bad = { sigal: 1 } as never;
    await expect(h.client.send(h.dest, 'x', bad)).rejects.toMatchObject({ code: 'EINVAL', field: 'sigal' });
    await expect(h.client.call(h.dest, 'x', { private: true } as never)).rejects.toMatchObject({ code: 'EINVAL', field: 'private' });
    await expect(h.client.receive({ timeout: 5 } as never)).rejects.toThrow(/receive\(\) has no option 'timeout'/);
    await expect(h.server.requests(bad).next()).rejects.toMatchObject({ field: 'sigal' });
    await expect(h.client.send(h.dest, 'x', { signal: new AbortController().signal } as never)).rejects.toMatchObject({ field: 'signal' });
    expect(() => h.clientDevice.socket({ regionbytes: 1 } as never)).toThrow(/socket\(\) has no option 'regionbytes'/);
    expect(() => new SimCluster({ host: 3 } as never)).toThrow(/'host'/);
    await expect(h.client.call(h.dest, 'x', { signal: 'soon' } as never)).rejects.toMatchObject({ field: 'signal' });
  });
});

describe('AbortSignal', () => {
  test('call(): rejects with AbortError (ECANCELED) and aborts the RPC at the NIC', async () => {
    const h = twoHosts();
    const ac = new AbortController();
    const call = h.client.call(h.dest, 'slow', { signal: ac.signal });
    const req = await h.server.receive();
    ac.abort(new Error('user gave up'));
    const e = await call.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AbortError);
    expect(e).toMatchObject({ name: 'AbortError', code: 'ECANCELED' });
    expect((e as Error).cause).toBeInstanceOf(Error);
    await h.server.reply(req, 'too late');
    await h.cluster.sleep(1e6);
    expect(h.client.info().numRpcs).toBe(0);
    expect(h.cluster.modelDevice(0).nic.liveRpcs).toBe(0);
  });

  test('an already aborted signal rejects at once; receive() stops waiting but the RPC goes on', async () => {
    const h = twoHosts();
    void serve(h.server, () => 'late answer');
    await expect(h.client.call(h.dest, 'x', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const ac = new AbortController();
    const waiting = h.client.receive({ signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ECANCELED' });
    const id = await h.client.send(h.dest, 'y');
    expect((await h.client.receive()).id).toBe(id);
  });

  test('requests() ends when its signal aborts', async () => {
    const h = twoHosts();
    const ac = new AbortController();
    const seen: string[] = [];
    const serving = (async () => {
      for await (const r of h.server.requests({ signal: ac.signal })) { seen.push(r.text()); await h.server.reply(r, 'ok'); r.release(); }
    })();
    (await h.client.call(h.dest, 'one')).release();
    ac.abort();
    await serving;
    expect(seen).toEqual(['one']);
  });
});

describe('abort() (HOMAIOCABORT, homa.7)', () => {
  test('an id that names no RPC in progress resolves without doing anything', async () => {
    const h = twoHosts();
    void serve(h.server, () => 'r');
    const m = await h.client.call(h.dest, 'x');
    await expect(h.client.abort(m.id)).resolves.toBeUndefined();      // finished already
    await expect(h.client.abort(999_998n, 'ETIMEDOUT')).resolves.toBeUndefined();
  });

  test('a fire-and-forget abort that fails does not reject the process (no unhandled rejection)', async () => {
    const h = twoHosts();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => { unhandled.push(e); };
    process.on('unhandledRejection', onUnhandled);
    try {
      h.client.close();
      void h.client.abort(2n);                                       // ESHUTDOWN, and nobody awaits it
      await h.cluster.sleep(1000);
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
      await expect(h.client.abort(2n)).rejects.toMatchObject({ code: 'ESHUTDOWN' });   // awaited: still reported
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
