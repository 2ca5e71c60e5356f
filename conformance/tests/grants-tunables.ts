// conformance/tests/grants-tunables.ts — group grants, continued: the scheduler's tunables
// written through the DUT's registers (max_incoming, window, max_overcommit), grant priorities,
// incast, IPv6 and CUTOFFS per peer (spec §3.2, §3.3). What the DUT grants is read off the
// wire: both directions of its link in order (ConformanceCluster.wireLog), so "received" below
// is what had been sent towards the DUT when it granted, never less than it had taken in.

import { HomaType, type CutoffsPacket, type DataPacket, type GrantPacket } from '../../hw/homa/wire/index.ts';
import { check, equal, expectMessage } from '../check.ts';
import type { ConformanceCluster, TestContext } from '../context.ts';
import { writeRegisterWords } from '../observe.ts';
import { conformanceTest } from '../runner.ts';
import { SERVER_PORT, sendRequests, takeRequests, type PlannedRequest } from '../scenarios.ts';
import { maxPayload } from '../wire.ts';

type Log = ReturnType<ConformanceCluster['wireLog']>;

/**
 * Per message (the peer's address and the DUT's id), at each GRANT: its offset, the bytes sent
 * towards the DUT so far, and the scheduled bytes outstanding over all messages: granted by
 * GRANTs past what has arrived and past the unscheduled bytes (which arrive unasked, §3.7).
 */
function grantHistory(log: Log): { id: string; offset: number; priority: number; received: number; outstanding: number }[] {
  const granted = new Map<string, number>(), received = new Map<string, number>(), unsched = new Map<string, number>();
  const out: { id: string; offset: number; priority: number; received: number; outstanding: number }[] = [];
  for (const { dir, frame } of log) {
    if (!frame) continue;
    const p = frame.packet;
    if (dir === 'in' && p.type === HomaType.DATA) {
      const d = p as DataPacket, id = `${[...frame.ip.saddr].join('.')}/${d.sender_id ^ 1n}`;
      if (!unsched.has(id)) unsched.set(id, Math.min(d.incoming, d.message_length));
      received.set(id, (received.get(id) ?? 0) + d.payload.length);
    } else if (dir === 'out' && p.type === HomaType.GRANT) {
      const g = p as GrantPacket, gid = `${[...frame.ip.daddr].join('.')}/${g.sender_id}`;
      granted.set(gid, Math.max(granted.get(gid) ?? 0, g.offset));
      let outstanding = 0;
      for (const [id, gr] of granted) outstanding += Math.max(0, gr - Math.max(received.get(id) ?? 0, unsched.get(id) ?? 0));
      out.push({ id: gid, offset: g.offset, priority: g.priority, received: received.get(gid) ?? 0, outstanding });
    }
  }
  return out;
}

/** Requests from model peers to a DUT server with the DUT's tunables set first; the wire log. */
async function scheduled(ctx: TestContext, c: ConformanceCluster, tunables: Record<string, number>, plan: readonly PlannedRequest[], what: string): Promise<Log> {
  for (const [name, v] of Object.entries(tunables)) writeRegisterWords(c.dutDevice, 'config', name, [v]);
  const log = c.wireLog();
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const got = await takeRequests(server, await sendRequests(c, plan), what);
  ctx.recordMessages('requests', got, 'key');
  return log;
}

conformanceTest('grants', 'max_incoming: granted-but-unreceived bytes never exceed it', '§3.2 (total_incoming <= max_incoming)', async (ctx) => {
  const c = await ctx.cluster({ hosts: 5 });
  const max = 120_000;
  const log = await scheduled(ctx, c, { max_incoming: max }, [1, 2, 3, 4].map((host) => ({ host, length: 250_000, key: host })), 'four 250,000-byte requests under max_incoming 120,000');
  const h = grantHistory(log);
  check(h.length > 0, 'the DUT sent no GRANT');
  const worst = Math.max(...h.map((x) => x.outstanding));
  check(worst <= max, `after a GRANT, ${worst} scheduled bytes were granted and not yet received: more than max_incoming ${max} (§3.2)`);
});

conformanceTest('grants', 'window: a fixed window tops a message up to received + window, no further', '§3.2 (window != 0)', async (ctx) => {
  const c = await ctx.cluster();
  const window = 25_000;
  const log = await scheduled(ctx, c, { window }, [{ host: 1, length: 200_000, key: 1 }], 'a 200,000-byte request with window 25,000');
  const h = grantHistory(log);
  check(h.length > 0, 'the DUT sent no GRANT');
  for (const g of h) check(g.offset <= g.received + window, `GRANT to ${g.offset} with ${g.received} bytes sent towards the DUT: past received + window ${window} (§3.2)`);
});

conformanceTest('grants', 'max_overcommit 1: one message is granted at a time, shortest first', '§3.2 (active set of max_overcommit)', async (ctx) => {
  const c = await ctx.cluster({ hosts: 4 });
  const log = await scheduled(ctx, c, { max_overcommit: 1 }, [1, 2, 3].map((host) => ({ host, length: 100_000 + 50_000 * host, key: host })), 'three requests with max_overcommit 1');
  const ids = grantHistory(log).map((g) => g.id);
  const runs = ids.filter((id, i) => i === 0 || ids[i - 1] !== id);
  equal('messages granted, in order, each in one run of GRANTs (never interleaved)', runs.length, new Set(ids).size);
  check(runs.length === 3, `GRANTs went to ${runs.length} messages, expected all three (${ids.join(',')})`);
});

conformanceTest('grants', 'one message alone is granted at the lowest scheduled level', '§3.2 (homa_grant_priority: few active use the low levels)', async (ctx) => {
  const c = await ctx.cluster();
  const log = await scheduled(ctx, c, {}, [{ host: 1, length: 300_000, key: 1 }], 'a 300,000-byte request alone');
  const prios = [...new Set(grantHistory(log).map((g) => g.priority))];
  equal('GRANT priorities with one active message', prios, [0]);
});

conformanceTest('grants', 'incast: 16 senders at once all complete', '§3.2 (overcommit and fairness under incast)', async (ctx) => {
  const c = await ctx.cluster({ hosts: 17 });
  const log = await scheduled(ctx, c, {}, Array.from({ length: 16 }, (_, i) => ({ host: i + 1, length: 60_000 + 1000 * i, key: i })), 'sixteen requests at once');
  check(grantHistory(log).length > 0, 'the DUT sent no GRANT');
});

conformanceTest('grants', 'IPv6: a scheduled request completes, GRANTs go back to the sender\'s IPv6 address', '§1.1, §3.2', async (ctx) => {
  const c = await ctx.cluster({ ipv6: true });
  const log = await scheduled(ctx, c, {}, [{ host: 1, length: 150_000, key: 1 }], 'a 150,000-byte request over IPv6');
  const grants = log.filter((x) => x.dir === 'out' && x.frame?.packet.type === HomaType.GRANT).map((x) => x.frame!);
  const data = log.find((x) => x.dir === 'in' && x.frame?.packet.type === HomaType.DATA)!.frame!;
  check(grants.length > 0, 'the DUT sent no GRANT');
  for (const g of grants) {
    equal('GRANT IP version', g.ip.version, 6);
    equal('GRANT destination (the sender)', [...g.ip.daddr], [...data.ip.saddr]);
  }
});

conformanceTest('grants', 'CUTOFFS: each sender with stale cutoffs gets its own, once', '§3.3 (per peer, rate-limited)', async (ctx) => {
  const c = await ctx.cluster();
  const server = c.dut.socket({ port: SERVER_PORT, server: true });
  const bytes = new Uint8Array(2 * maxPayload(4)).fill(5);
  const peers = [c.wirePeer(201), c.wirePeer(202)];
  for (const [i, w] of peers.entries()) {
    await c.inject(w.messageFrames(40_001 + i, SERVER_PORT, BigInt(2 + 2 * i), bytes, { cutoff_version: 0 }));
    await expectMessage(server, `the request from peer ${i}`);
  }
  const sent = c.sent().filter((d) => d?.packet.type === HomaType.CUTOFFS);
  equal('CUTOFFS packets sent (one per stale peer)', sent.length, 2);
  equal('CUTOFFS destinations', sent.map((d) => [...d!.ip.daddr].join('.')), peers.map((w) => [...w.address].join('.')));
  equal('CUTOFFS ports (our server port to each client port)', sent.map((d) => [d!.packet.sport, d!.packet.dport]), [[SERVER_PORT, 40_001], [SERVER_PORT, 40_002]]);
  check(sent.every((d) => (d!.packet as CutoffsPacket).cutoff_version > 0), 'CUTOFFS carry our cutoff_version');
});
