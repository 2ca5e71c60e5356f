// conformance/fuzz.ts — a NIC under a storm of bad and stray frames while it carries real RPCs
// (the reliability issue's engine fuzz; `npm run fuzz:engine`, bench/engine.fuzz.ts).
//
// Two hosts: the NIC under test (host 0, any NIC kind: 'rtl', 'rtl-verilator', 'model') and a
// model peer. Real RPCs run both ways (a client and an echo server on each host) for the whole
// run, and `frames` fuzz frames are handed to the DUT's MAC between them, from hosts that exist
// only as these frames (so no real RPC can be hit by a forged one): valid packets of every
// type with random fields (ids, ports, offsets, lengths, priorities), packets that break one
// protocol rule (message lengths of 0 or past the largest message, payload past the message,
// unknown types, ACKs with too many entries, IPv4 header faults, frames for another host), and
// raw damage (truncation, flipped bits, a bad FCS, a stray ethertype).
//
// What is checked, and printed as `engine-fuzz: N frames, hangs=H, watchdog=W, uncounted=U`:
//  - hangs: real RPCs that did not complete with the right bytes, and a NIC that did not go
//    quiet once the traffic ended;
//  - watchdog: the DMA watchdog stopped the run (the NIC touched host memory it must not);
//  - uncounted: frames the DUT received (fuzz and real) that no receive counter accounts for.
//    Every frame ends in exactly one of: a drop reason of the parser (RX_DROP_COUNTER), a
//    packets_rcvd_<type> (it reached its handler), unknown_rpcs, unknown_grants,
//    peer_table_full, requests_to_non_server, server_cant_create_rpcs. Frames received minus
//    their sum is `uncounted`; a negative difference (a frame counted twice) is reported too.
//    (That identity is the engine's. The reference model, as HomaModule, answers a packet to
//    a port with no socket with ICMP port unreachable and counts nothing, so on `--nic model`
//    those frames show as uncounted.)

import { HomaType, ackPacket, bareControl, cutoffsPacket, dataPacket, encodeFrame, grantPacket, resendPacket, RESEND_ALL, IPPROTO_HOMA } from '../hw/homa/wire/index.ts';
import type { HomaPacket, IpFields } from '../hw/homa/wire/index.ts';
import { RX_DROP_COUNTER } from '../hw/homa/engine/types.ts';
import { SimCluster } from '../host-lib/backends/sim.ts';
import { HomaDevice } from '../host-lib/homa-device.ts';
import { hostAddress } from '../sim/net/frame.ts';
import { seededRng } from '../sim/model/rng.ts';
import { logUniform } from '../sim/model/stress.ts';
import { pattern } from './check.ts';
import { readCounters } from './observe.ts';
import { arpFrame, ipv4Faults, maxPayload, truncateHoma, withType } from './wire.ts';

export interface EngineFuzzOptions {
  /** Fuzz frames to hand the DUT. */
  readonly frames: number;
  /** The DUT's NIC kind (SimCluster's kinds: 'rtl', 'rtl-verilator', 'model'). */
  readonly nic: string;
  readonly seed: number;
  /** Engine configuration of an RTL DUT (default 'u250'). */
  readonly config?: string;
  /** Mean simulated time between fuzz frames (ns, default 2,000). */
  readonly gapNs?: number;
  /** A line now and then (progress), and the details of anything that went wrong. */
  readonly log?: (line: string) => void;
}

export interface EngineFuzzResult {
  readonly frames: number;
  readonly hangs: number;
  readonly watchdog: number;
  /** Frames received that no counter accounts for (negative: counted more than once). */
  readonly uncounted: number;
  /** Frames the DUT received in all (fuzz and real). */
  readonly received: number;
  readonly realRpcs: number;
  /** The run's first failure (the simulation stopped), or null. */
  readonly failure: string | null;
  /** The receive counters that account for frames, as they ended. */
  readonly fates: Readonly<Record<string, number>>;
  readonly simulatedMs: number;
}

/** The counters that say what became of a received frame: exactly one per frame. */
export const FATE_COUNTERS: readonly string[] = [
  ...Object.values(RX_DROP_COUNTER),
  ...['DATA', 'GRANT', 'RESEND', 'RPC_UNKNOWN', 'BUSY', 'CUTOFFS', 'FREEZE', 'NEED_ACK', 'ACK'].map((t) => `packets_rcvd_${t}`),
  'unknown_rpcs', 'unknown_grants', 'peer_table_full', 'requests_to_non_server', 'server_cant_create_rpcs',
];

const SERVER_PORT = 700;
const FAKE_HOSTS = [200, 201, 202, 203];
const LINK_BPS = 25e9;

/** The fuzz frames' maker: what the DUT's peers could never send, and much they could. */
class FrameMaker {
  private readonly int: (n: number) => number;
  constructor(private readonly r: () => number, private readonly dut: Uint8Array, private readonly dutMac: number) {
    this.int = (n) => Math.floor(r() * n);
  }

  /** One fuzz frame, and whether it comes with a bad FCS. */
  next(): { frame: Uint8Array; fcsError: boolean } {
    const r = this.r, int = this.int;
    const host = hostAddress(FAKE_HOSTS[int(FAKE_HOSTS.length)]!);
    const mac = host.mac.reduce((a, b) => a * 256 + b, 0);
    const ip: IpFields = { version: 4, priority: int(8), flow: 0, ttl: 64, protocol: IPPROTO_HOMA, saddr: host.ipv4, daddr: this.dut };
    let frame = encodeFrame(this.dutMac, mac, ip, this.packet());
    const pick = r();
    if (pick < 0.55) return { frame, fcsError: false };                          // a well-formed packet
    if (pick < 0.75) {                                                          // one rule broken, checksums right
      const faults: ((f: Uint8Array) => Uint8Array)[] = [
        ipv4Faults.checksum, ipv4Faults.options, ipv4Faults.moreFragments, ipv4Faults.fragmentOffset, ipv4Faults.totalLengthPastFrame,
        ipv4Faults.totalLengthBelowHeader, ipv4Faults.udp, (f) => ipv4Faults.tcp(f, int(2) === 0), (f) => withType(f, 10 + int(200)),
        (f) => truncateHoma(f, int(40)),
        (f) => encodeFrame(this.dutMac, mac, { ...ip, daddr: Uint8Array.of(10, 9, 9, 9) }, this.packet()),
        () => arpFrame(hostAddress(0).mac, host.mac),
      ];
      return { frame: faults[int(faults.length)]!(frame), fcsError: false };
    }
    frame = frame.slice();
    if (pick < 0.85) {                                                          // flipped bits
      for (let k = 1 + int(3); k > 0; k--) frame[int(frame.length)] ^= 1 << int(8);
      return { frame, fcsError: false };
    }
    if (pick < 0.95) return { frame: frame.subarray(0, 1 + int(frame.length - 1)), fcsError: false };   // cut short
    return { frame, fcsError: true };                                           // the MAC saw a bad FCS
  }

  private packet(): HomaPacket {
    const int = this.int;
    const port = (): number => [SERVER_PORT, SERVER_PORT, 1 + int(65535), 40_000 + int(4)][int(4)]!;
    // Ids: small ones collide with the DUT's real client ids (2, 4, ...) and junk server RPCs.
    const id = (): bigint => (int(2) === 0 ? BigInt(int(64)) : BigInt(int(2 ** 30)) * 2n + BigInt(int(2)));
    switch (int(10)) {
      case 0: case 1: case 2: {
        const len = [1 + int(1400), 1 + int(100_000), 1 + int(1_000_000), 0, 1_000_001 + int(5_000_000)][int(5)]!;
        const per = maxPayload(4);
        const offset = int(4) === 0 ? int(len + 3000) : Math.floor(int(Math.max(1, len)) / per) * per;
        const n = Math.max(0, Math.min(per, int(3) === 0 ? per : len - offset));
        return dataPacket(port(), port(), id(), {
          message_length: len, incoming: int(len + 10_000), offset, payload: new Uint8Array(n).fill(0xee),
          cutoff_version: int(3), retransmit: int(2), pad: 0,
        });
      }
      case 3: return grantPacket(port(), port(), id(), int(1_100_000), int(8));
      case 4: return resendPacket(port(), port(), id(), int(1_000_000), [int(100_000), RESEND_ALL][int(2)]!, int(8));
      case 5: return cutoffsPacket(port(), port(), id(), Array.from({ length: 8 }, () => int(2_000_000)), int(5));
      case 6: return ackPacket(port(), port(), id(), Array.from({ length: int(7) }, () => ({ client_id: id(), server_port: port() })));
      default: return bareControl([HomaType.BUSY, HomaType.RPC_UNKNOWN, HomaType.NEED_ACK, HomaType.FREEZE][int(4)]!, port(), port(), id());
    }
  }
}

/** Runs one fuzz campaign (see the file's head). */
export async function runEngineFuzz(o: EngineFuzzOptions): Promise<EngineFuzzResult> {
  const log = o.log ?? ((): void => {});
  if (!Number.isInteger(o.frames) || o.frames < 0) throw new RangeError(`fuzz: --frames ${o.frames} must be a whole number`);
  const gapNs = o.gapNs ?? 2000;
  // Simulated time enough for the frames, the real RPCs' tail and timeouts, many times over.
  const horizonNs = o.frames * gapNs * 4 + 2e9;
  const cluster = await SimCluster.create({ engines: [o.nic, 'model'], rtl: o.config ?? 'u250', seed: o.seed, horizonNs });
  const r = seededRng(o.seed);
  let failure: string | null = null;
  let watchdog = 0;
  let hangs = 0;
  let realRpcs = 0;
  let received = 0;
  try {
    cluster.network.cable('host0').reverse.tap = { onTransmit: () => { received++; } };
    const dut = new HomaDevice(cluster.device(0));
    const peer = new HomaDevice(cluster.device(1));
    const dutAddr = cluster.device(0).address;
    const maker = new FrameMaker(r, dutAddr, hostAddress(0).mac.reduce((a, b) => a * 256 + b, 0));

    // Echo servers on both hosts: they answer anyone, fuzz requests that complete included.
    const serve = (d: HomaDevice): void => {
      const s = d.socket({ port: SERVER_PORT, server: true });
      void (async () => {
        try {
          for await (const req of s.requests()) {
            const b = req.bytes();
            req.release();
            await s.reply(req, b.reverse());
          }
        } catch { /* closed with the cluster */ }
      })();
    };
    serve(dut);
    serve(peer);

    // The fuzz frames, paced over simulated time (a link's frame time at least, random gaps).
    let injected = 0;
    const endpoint = cluster.device(0).endpoint;
    const step = Math.max(1, Math.floor(o.frames / 10));
    const inject = (): void => {
      if (injected >= o.frames) return;
      const { frame, fcsError } = maker.next();
      endpoint.receive(frame, fcsError);
      received++;
      injected++;
      if (injected % step === 0) log(`fuzz: ${injected}/${o.frames} frames, ${realRpcs} real RPCs, ${(cluster.now() / 1e6).toFixed(2)} ms simulated`);
      const frameNs = ((Math.max(frame.length, 60) + 24) * 8 / LINK_BPS) * 1e9;
      cluster.at(Math.round((frameNs + r() * 2 * gapNs) * 1000), inject);
    };
    cluster.at(1000, inject);

    // Real RPCs both ways, one at a time per direction, for as long as the fuzz goes on.
    const problems: string[] = [];
    const client = async (from: HomaDevice, to: HomaDevice, who: string, key0: number): Promise<void> => {
      const s = from.socket();
      for (let k = 0; injected < o.frames || k === 0; k++) {
        const len = logUniform(r, 200_000);
        const want = pattern(key0 + k, len);
        try {
          const m = await s.call({ address: to.address, port: SERVER_PORT }, want);
          const got = m.bytes();
          m.release();
          realRpcs++;
          const back = want.slice().reverse();
          if (got.length !== back.length || !Buffer.from(got).equals(Buffer.from(back))) problems.push(`${who} RPC ${k} (${len} bytes): wrong response bytes`);
        } catch (e) {
          problems.push(`${who} RPC ${k} (${len} bytes): ${e instanceof Error ? e.message : String(e)}`);
          break;                                                    // one failure says it; the next would repeat it
        }
      }
    };
    await Promise.all([client(dut, peer, 'DUT -> peer', 1), client(peer, dut, 'peer -> DUT', 1_000_000)]);
    // The traffic is over: whatever the fuzz left must drain (RESENDs to hosts that do not
    // exist, junk RPCs timing out) without the real side noticing.
    await cluster.sleep(50_000);
    hangs += problems.length;
    for (const p of problems.slice(0, 20)) log(`fuzz: ${p}`);
    const nic = endpoint as { quiet?: boolean; failure?: Error | null };
    if (nic.failure) throw nic.failure;
    if (nic.quiet === false) {
      hangs++;
      log('fuzz: the NIC is not quiet after the traffic ended (something stays in flight)');
    }
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
    if (e instanceof Error && (e.name === 'DmaWatchdogError' || /watchdog/i.test(e.message) || (e.cause instanceof Error && e.cause.name === 'DmaWatchdogError'))) watchdog = 1;
    else hangs++;
    log(`fuzz: the run stopped: ${failure}`);
  }
  let fates: Record<string, number> = {};
  let uncounted = 0;
  try {
    const all = readCounters(cluster.device(0));
    fates = Object.fromEntries(FATE_COUNTERS.map((n) => [n, all[n] ?? 0]));
    uncounted = received - Object.values(fates).reduce((a, b) => a + b, 0);
  } catch (e) {
    uncounted = received;
    log(`fuzz: the counters could not be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const simulatedMs = cluster.now() / 1e6;
  try { cluster.close(); } catch { /* a failed simulation has nothing to release */ }
  return { frames: o.frames, hangs, watchdog, uncounted, received, realRpcs, failure, fates, simulatedMs };
}
