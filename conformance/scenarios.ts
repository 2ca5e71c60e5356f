// conformance/scenarios.ts — pieces several tests share: requests from model peers to a server
// socket on the DUT, taken by the DUT's host and checked byte for byte; the refusal counters
// that must stay at zero when nothing bad was sent.

import type { HomaSocket } from '../host-lib/socket.ts';
import type { Message } from '../host-lib/message.ts';
import { check, expectMessages, fail, sameBytes, pattern } from './check.ts';
import type { ConformanceCluster } from './context.ts';
import { maxPayload } from './wire.ts';

/** The port the DUT's server socket binds in most tests. */
export const SERVER_PORT = 100;

/** Counters that say the receive path refused or lost something (observe.ts has them all). */
export const REFUSAL_COUNTERS: readonly string[] = [
  'short_packets', 'unknown_packet_types', 'dropped_data_no_bufs', 'buffer_alloc_failures', 'requests_to_non_server',
  'bad_ip_headers', 'bad_checksums', 'non_homa_frames', 'rx_frame_errors', 'bad_lengths', 'not_for_this_host',
  'gap_overflows', 'peer_table_full', 'rx_overruns', 'packet_discards', 'resent_discards', 'unknown_rpcs',
  'server_cant_create_rpcs', 'server_rpc_discards', 'rpc_timeouts',
];

/** DATA packets a message of `length` bytes takes (§1.4 packet geometry, no grants needed). */
export const packetsFor = (length: number, ipVersion: 4 | 6 = 4): number => Math.ceil(length / maxPayload(ipVersion));

/** One request a model peer sends: from host `host`, `length` bytes keyed by `key`. */
export interface PlannedRequest {
  readonly host: number;
  readonly length: number;
  readonly key: number;
  /** Destination port on the DUT (default SERVER_PORT). */
  readonly port?: number;
}

/** What a planned request became: its bytes and the client's id for it. */
export interface SentRequest extends PlannedRequest {
  readonly bytes: Uint8Array;
  readonly clientId: bigint;
  readonly from: { readonly address: string; readonly port: number };
}

/**
 * Each model peer sends its requests (send(), not call(): the DUT need not answer) in plan
 * order; peers run side by side. One client socket per peer host.
 */
export async function sendRequests(c: ConformanceCluster, plan: readonly PlannedRequest[]): Promise<SentRequest[]> {
  const clients = new Map<number, HomaSocket>();
  for (const p of plan) if (!clients.has(p.host)) clients.set(p.host, c.host(p.host).socket());
  const out: SentRequest[] = [];
  await Promise.all([...clients.entries()].map(async ([host, sock]) => {
    for (const p of plan.filter((x) => x.host === host)) {
      const bytes = pattern(p.key, p.length);
      const clientId = await sock.send({ address: c.dut.address, port: p.port ?? SERVER_PORT }, bytes);
      out.push({ ...p, bytes, clientId, from: { address: c.host(host).address, port: sock.port } });
    }
  }));
  return out;
}

/**
 * Take `sent.length` requests on `server` and match each to the one sent: request kind, the
 * server's id = client id XOR 1 (§1.2), the client's address and port, the bytes. Returns the
 * messages in arrival order (held: the caller releases them).
 */
export async function takeRequests(server: HomaSocket, sent: readonly SentRequest[], what: string): Promise<Message[]> {
  const got = await expectMessages(server, sent.length, what);
  const unmatched = new Map(sent.map((s) => [`${s.from.address}:${s.from.port}/${s.clientId ^ 1n}`, s]));
  for (const m of got) {
    const key = `${m.peer.address}:${m.peer.port}/${m.id}`;
    const s = unmatched.get(key);
    if (!s) fail(`${what}: a ${m.kind} of ${m.length} bytes with id ${m.id} from ${m.peer.address}:${m.peer.port} matches no request sent (or came twice)`);
    unmatched.delete(key);
    check(m.kind === 'request', `${what}: message ${key} arrived as a ${m.kind}, expected a request`);
    sameBytes(`${what}: request ${key} (${s.length} bytes)`, m, s.bytes);
  }
  return got;
}

/** A server socket answering every request with `answer(request bytes)`, and what it served. */
export interface Server {
  readonly socket: HomaSocket;
  /** Requests served, by `address:port/id` (at-most-once: each must be 1). */
  readonly executions: Map<string, number>;
  /** Resolves when the socket closes or the simulation has nothing left to run. */
  readonly done: Promise<void>;
}

/**
 * Serve on host `host`'s socket at `port` until it closes: each request is answered with
 * `answer(bytes)` (default: the bytes themselves), after `delayNs` of the host's time if given.
 */
export function serve(c: ConformanceCluster, host: number, port: number, opt: { answer?: (req: Uint8Array) => Uint8Array; delayNs?: number } = {}): Server {
  const socket = c.host(host).socket({ port, server: true });
  const executions = new Map<string, number>();
  const done = (async () => {
    try {
      for await (const req of socket.requests()) {
        const key = `${req.peer.address}:${req.peer.port}/${req.id}`;
        executions.set(key, (executions.get(key) ?? 0) + 1);
        const bytes = req.bytes();
        req.release();
        if (opt.delayNs) await c.host(host).sleep(opt.delayNs);
        await socket.reply(req, opt.answer ? opt.answer(bytes) : bytes);
      }
    } catch {
      // The test is over (its socket closed under a reply); what it checks has been recorded.
    }
  })();
  return { socket, executions, done };
}
