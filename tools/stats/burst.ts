// tools/stats/burst.ts — traffic for `homa-nic stats sim`: a simulated device has no life of
// its own between commands, so the command makes a small cluster and runs bursts of requests
// to the host it reports on, in simulated time.
//
// Every other host (a reference-model NIC) sends each of SIZES to the observed host's server
// port: single-packet, multi-packet unscheduled, and scheduled messages (DATA, GRANT). When the
// observed NIC is the model it answers each request with a response as long (RPCs). An RTL NIC
// only receives, and only messages that need no grant: the engine's grant scheduler and
// transmit path are not built yet (hw/homa/engine README, "Not done yet").

import { SimCluster } from '../../host-lib/backends/sim.ts';
import { HomaDevice } from '../../host-lib/homa-device.ts';
import type { Message } from '../../host-lib/message.ts';
import type { HomaSocket } from '../../host-lib/socket.ts';

/** Request sizes of each client in a round (bytes). */
export const SIZES = [100, 1400, 10_000, 60_000];
/** The sizes an RTL NIC receives today: those below the unscheduled limit. */
export const RTL_SIZES = [100, 1400, 10_000];
const SERVER_PORT = 4000;
/** Simulated time a round may take before the burst gives up (far above what it needs). */
const ROUND_LIMIT_NS = 10e6;

export interface BurstOptions {
  /** Hosts on the switch (the observed one included). */
  readonly hosts: number;
  /** The host whose counters are read. */
  readonly host: number;
  /** NIC kind of the observed host: 'model', 'rtl', 'rtl-verilator'. */
  readonly nic: string;
  readonly seed?: number;
}

export class SimBurst {
  static async create(o: BurstOptions): Promise<SimBurst> {
    if (!Number.isInteger(o.hosts) || o.hosts < 2) throw new RangeError(`--hosts ${o.hosts}: a burst needs at least 2 hosts`);
    if (!Number.isInteger(o.host) || o.host < 0 || o.host >= o.hosts) throw new RangeError(`sim:${o.host}: this cluster has hosts 0..${o.hosts - 1} (--hosts to make more)`);
    const engines = Array.from({ length: o.hosts }, (_, i) => (i === o.host ? o.nic : 'model'));
    return new SimBurst(await SimCluster.create({ engines, seed: o.seed ?? 1 }), o);
  }

  readonly device: HomaDevice;
  /** Whether the observed host answers (a model NIC) or only receives. */
  readonly replies: boolean;
  /** Request sizes a client sends per round. */
  readonly sizes: readonly number[];
  private readonly server: HomaSocket;
  private readonly clients: HomaSocket[];
  private received = 0;
  private closed = false;
  private readonly serving: Promise<void>;

  private constructor(readonly cluster: SimCluster, readonly options: BurstOptions) {
    this.device = new HomaDevice(cluster.device(options.host));
    this.replies = options.nic === 'model';
    this.sizes = this.replies ? SIZES : RTL_SIZES;
    this.server = this.device.socket({ port: SERVER_PORT, server: true });
    this.clients = cluster.devices.filter((_, i) => i !== options.host).map((d) => new HomaDevice(d).socket());
    this.serving = this.serve();
  }

  private async serve(): Promise<void> {
    try {
      for await (const m of this.server.requests()) {
        this.received++;
        if (this.replies) await this.server.reply(m, m.bytes());
        m.release();
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  /** Requests one round sends. */
  get requestsPerRound(): number { return this.clients.length * this.sizes.length; }

  /** One round: every client sends every size; resolves when all arrived (and were answered). */
  async round(): Promise<void> {
    const dest = { address: this.device.address, port: SERVER_PORT };
    const target = this.received + this.requestsPerRound;
    const calls: Promise<unknown>[] = [];
    for (const c of this.clients) {
      for (const n of this.sizes) {
        const payload = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
        if (this.replies) calls.push(c.call(dest, payload).then((r: Message) => r.release()));
        else calls.push(c.send(dest, payload));
      }
    }
    await Promise.all(calls);
    const deadline = this.now() + ROUND_LIMIT_NS;
    while (this.received < target) {
      if (this.now() >= deadline) throw new Error(`sim:${this.options.host}: ${target - this.received} of the round's requests did not arrive in ${ROUND_LIMIT_NS / 1e6} ms of simulated time`);
      await this.cluster.sleep(1000);
    }
  }

  /** Simulated time in nanoseconds. */
  now(): number { return this.cluster.now(); }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.clients) c.close();
    this.server.close();
    await this.serving;
    this.cluster.close();
  }
}
