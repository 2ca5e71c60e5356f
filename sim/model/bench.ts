// sim/model/bench.ts — `npm run bench:model`: how fast the reference model runs. Two NICs on
// a direct 25 Gb/s wire; a client keeps 32 RPCs outstanding; request and response lengths are
// drawn from W3 (HomaModule's util/dist.cc table, sim/workloads/data/w3.csv), draws
// above 1,000,000 B truncated to 1,000,000 as HomaModule's benchmark does. Rates are per
// CPU-second of this process (user + system), which stays meaningful when other jobs share the
// machine; the wall-clock time is printed too (they agree on an idle machine). The last line is
// the headline: payload bytes copied and checksummed, the default configuration.
// Env: BENCH_RPCS (default 40000), HOMA_WORKLOADS (another folder of wN.csv).

import { Rng } from '../net/rng.ts';
import { loadWorkload } from '../workloads/cdf.ts';
import { SizeSampler } from '../workloads/sampler.ts';
import { ADDR_B, makePair, SERVER_PORT } from './testing.ts';
import type { Completion } from './types.ts';

interface BenchResult { rpcs: number; packets: number; seconds: number; wallSeconds: number; simSeconds: number; bytes: number }

function run(rpcs: number, copyPayload: boolean): BenchResult {
  const w3 = new SizeSampler(loadWorkload('w3'));
  const rng = new Rng(3);
  const draw = (): number => w3.sample(rng);
  const p = makePair({ bitsPerSecond: 25e9, delayPs: 1e6 }, { copyPayload, checksums: copyPayload }, {}, 256);
  const payload = new Uint8Array(1_000_000).map((_, i) => i & 0xff);
  const respLen = new Map<number, number>();
  p.server.onCompletion = (c: Completion) => {
    p.server.returnBpages(c.bpageOffsets);
    const n = respLen.get(c.id - 1) ?? 1;
    p.server.sendReply({ id: c.id, peer: c.peer, payload: copyPayload ? payload.subarray(0, n) : undefined, length: n });
  };
  let started = 0;
  let done = 0;
  let bytes = 0;
  const start = (): void => {
    started++;
    const req = draw();
    const id = p.client.sendRequest({ peer: ADDR_B, dport: SERVER_PORT, payload: copyPayload ? payload.subarray(0, req) : undefined, length: req });
    const resp = draw();
    respLen.set(id, resp);
    bytes += req + resp;
  };
  p.client.onCompletion = (c) => {
    done++;
    respLen.delete(c.id);
    p.client.returnBpages(c.bpageOffsets);
    if (started < rpcs) start();
  };
  for (let i = 0; i < 32; i++) start();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  p.wire.q.run(Infinity, () => done >= rpcs);
  const cpu = process.cpuUsage(c0);
  const seconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (done < rpcs) throw new Error(`bench: only ${done} of ${rpcs} RPCs completed`);
  return { rpcs: done, packets: p.wire.ab.frames + p.wire.ba.frames, seconds, wallSeconds, simSeconds: p.wire.q.now / 1e12, bytes };
}

const n = Number(process.env['BENCH_RPCS'] ?? 40000);
run(Math.min(n, 5000), true);                                   // warm-up (V8 optimisation)
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').replace(/,/g, '');
const noCopy = run(n, false);
console.log(`model (no payload copies): ${fmt(noCopy.rpcs / noCopy.seconds)} rpcs/s, ${fmt(noCopy.packets / noCopy.seconds)} packets/s`);
const r = run(n, true);
console.log(`W3 RPCs: ${r.rpcs}, packets: ${r.packets}, simulated ${r.simSeconds.toFixed(3)} s at 25 Gb/s ` +
  `(goodput ${(r.bytes * 8 / r.simSeconds / 1e9).toFixed(1)} Gb/s both ways), cpu ${r.seconds.toFixed(2)} s, wall ${r.wallSeconds.toFixed(2)} s`);
console.log(`model: ${fmt(r.rpcs / r.seconds)} rpcs/s, ${fmt(r.packets / r.seconds)} packets/s`);
