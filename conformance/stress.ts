// conformance/stress.ts — the reference model's stress test (sim/model/stress.ts) with any NICs:
// two hosts, each a client and an echo server, many RPCs both ways at once (1 B to `maxLength`,
// log-uniform), loss, duplication and reordering on the wire, small receive regions whose
// bpages the servers hold for a while (so messages wait for bpages). `npm run stress:engine`.
//
// What is checked:
//  - every RPC completes exactly once with the right response bytes (a response names its
//    request's key, and its length and bytes follow from the key);
//  - every request ran exactly once on its server (at-most-once, spec §3.6);
//  - afterwards, once the timers have had timeout_ticks to end what was left (tombstones
//    included), no RPC is left in either NIC (an RTL engine's `timer_armed` output: its timer
//    list holds every live RPC slot; the model's RPC and tombstone sets) and every bpage is
//    back in its region (each socket's bpool_avail_bytes, as the NIC reports it).

import type { LinkFaultConfig } from '../sim/net/faults.ts';
import { SimCluster } from '../host-lib/backends/sim.ts';
import { HomaDevice } from '../host-lib/homa-device.ts';
import type { HomaSocket } from '../host-lib/socket.ts';
import { seededRng } from '../sim/model/rng.ts';
import { logUniform } from '../sim/model/stress.ts';
import { keyed } from '../sim/model/testing.ts';
import { BPAGE_SIZE } from '../hw/homa/abi.ts';

export interface EngineStressOptions {
  /** RPCs per direction. */
  readonly rpcs: number;
  /** Calls outstanding per client. */
  readonly concurrency: number;
  readonly maxLength: number;
  /** The two hosts' NIC kinds (SimCluster kinds: 'model', 'rtl', 'rtl-verilator'). */
  readonly nics: readonly [string, string];
  /** Faults on the wire between them, both directions. */
  readonly faults: LinkFaultConfig;
  readonly seed: number;
  /** Receive region of each server socket (default 64 bpages). */
  readonly regionBytes?: number;
  /** A server holds each request's bpages this long before it answers (ns, default 0). */
  readonly holdNs?: number;
  /** Engine configuration of RTL hosts (default u250). */
  readonly config?: string;
  readonly log?: (line: string) => void;
}

export interface EngineStressResult {
  readonly completed: number;
  /** What went wrong, one line each (empty: the run passed). */
  readonly problems: readonly string[];
  readonly simulatedMs: number;
  /** Frames the wire lost, duplicated and reordered. */
  readonly faults: { readonly dropped: number; readonly duplicated: number; readonly reordered: number };
}

const SERVER_PORT = 900;
/** timeout_ticks (100) of 1 ms ticks, and a margin: what is left after that is a leak. */
const DRAIN_NS = 130e6;

/** The key a message names in its first 4 bytes (sim/model/testing.ts keyed; every length here is at least 4). */
function keyOf(b: Uint8Array): number { return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0; }

/** RPCs a host's NIC still holds (an RTL engine: any at all; the model: how many, tombstones included). */
function rpcsLeft(device: unknown): number {
  const nic = (device as { nic?: { sim?: { peek(n: string): number | bigint }; liveRpcs?: number; tombstones?: number } }).nic;
  if (nic?.sim) return Number(nic.sim.peek('timer_armed'));
  if (nic?.liveRpcs !== undefined) return nic.liveRpcs + (nic.tombstones ?? 0);
  throw new Error('stress: this NIC kind reports no RPC count (neither an RTL engine nor the model)');
}

export async function runEngineStress(o: EngineStressOptions): Promise<EngineStressResult> {
  const log = o.log ?? ((): void => {});
  const regionBytes = o.regionBytes ?? 64 * BPAGE_SIZE;
  const cluster = await SimCluster.create({ hosts: 2, engines: [...o.nics], rtl: o.config ?? 'u250', seed: o.seed, horizonNs: 600e9 });
  const cable = cluster.network.cable('host0');
  cluster.network.setLinkFaults(cable.forward, o.faults);
  cluster.network.setLinkFaults(cable.reverse, o.faults);
  const r = seededRng(o.seed);
  const problems: string[] = [];
  const respLen = new Map<number, number>();
  const executions = new Map<number, number>();
  let completed = 0;
  const devices = [new HomaDevice(cluster.device(0)), new HomaDevice(cluster.device(1))];
  const servers: HomaSocket[] = [];
  const clients: HomaSocket[] = [];
  try {
    for (const d of devices) {
      const s = d.socket({ port: SERVER_PORT, server: true, regionBytes });
      servers.push(s);
      clients.push(d.socket({ regionBytes }));
      void (async () => {
        try {
          for await (const req of s.requests()) {
            const key = keyOf(req.bytes());
            executions.set(key, (executions.get(key) ?? 0) + 1);
            if (o.holdNs) await d.sleep(o.holdNs);
            req.release();
            await s.reply(req, keyed(key ^ 0x80000000, respLen.get(key) ?? 1));
          }
        } catch { /* closed with the cluster */ }
      })();
    }
    let nextKey = 1;
    const step = Math.max(1, Math.floor((2 * o.rpcs) / 10));
    const direction = async (from: number): Promise<void> => {
      const to = 1 - from;
      let issued = 0;
      const worker = async (): Promise<void> => {
        while (issued < o.rpcs) {
          issued++;
          const key = nextKey++;
          const reqLen = Math.max(4, logUniform(r, o.maxLength));
          respLen.set(key, Math.max(4, logUniform(r, o.maxLength)));
          try {
            const m = await clients[from]!.call({ address: devices[to]!.address, port: SERVER_PORT }, keyed(key, reqLen));
            const want = keyed(key ^ 0x80000000, respLen.get(key)!);
            const got = m.bytes();
            m.release();
            if (got.length !== want.length || !Buffer.from(got).equals(Buffer.from(want))) problems.push(`host ${from} RPC key ${key}: wrong response (${got.length} bytes, want ${want.length})`);
            completed++;
            if (completed % step === 0) log(`stress: ${completed}/${2 * o.rpcs} RPCs, ${(cluster.now() / 1e6).toFixed(2)} ms simulated`);
          } catch (e) {
            problems.push(`host ${from} RPC key ${key} (${reqLen} B request, ${respLen.get(key)} B response): ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: o.concurrency }, worker));
    };
    await Promise.all([direction(0), direction(1)]);
    for (const [key, n] of executions) if (n !== 1) problems.push(`request key ${key} ran ${n} times on its server`);
    if (executions.size !== 2 * o.rpcs) problems.push(`${executions.size} requests ran on the servers; ${2 * o.rpcs} were sent`);
    // What the faults left (retransmissions, tombstones, RPCs waiting for their ACK) ends now.
    log(`stress: all RPCs done at ${(cluster.now() / 1e6).toFixed(2)} ms; ${DRAIN_NS / 1e6} ms more for the timers to end what is left`);
    await cluster.sleep(DRAIN_NS);
    for (const h of [0, 1]) {
      const left = rpcsLeft(cluster.device(h));
      if (left !== 0) problems.push(`host ${h} (${o.nics[h]}) still holds RPC state ${DRAIN_NS / 1e6} ms after the last RPC (${left})`);
      for (const s of [servers[h]!, clients[h]!]) {
        const free = s.info().bpoolAvailBytes;
        if (free !== regionBytes) problems.push(`host ${h} (${o.nics[h]}) socket ${s.port}: ${free} of ${regionBytes} region bytes free after the run (bpages not back)`);
      }
    }
  } catch (e) {
    problems.push(`the run stopped: ${e instanceof Error ? e.message : String(e)}`);
  }
  const fc = [cable.forward, cable.reverse].map((l) => l.counters);
  const faults = { dropped: fc.reduce((n, c) => n + c.droppedByFault, 0), duplicated: fc.reduce((n, c) => n + c.duplicated, 0), reordered: fc.reduce((n, c) => n + c.reordered, 0) };
  const simulatedMs = cluster.now() / 1e6;
  try { cluster.close(); } catch { /* a failed simulation has nothing to release */ }
  return { completed, problems, simulatedMs, faults };
}
