// examples/demo.ts — `npm run demo`: the key-value store (examples/kv.ts) on a simulated
// cluster of Homa NICs (reference model + network simulator), driven by the W1 workload under
// load. Prints request latency percentiles in simulated time, throughput, where the bytes
// went, and ends with the line
//   demo: <rpcs> rpcs, p50=<us> us, p99=<us> us (simulated), <seconds> s wall
//
// Options: --rpcs N  --load L (0..1)  --hosts N  --servers N  --keys N  --workload w1..w5  --seed S

import { isWorkloadName } from '../sim/workloads/cdf.ts';
import { percentile, runKvLoad } from './kv-load.ts';
import type { KvLoadOptions } from './kv-load.ts';

function parseArgs(argv: readonly string[]): KvLoadOptions {
  const o: KvLoadOptions = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const n = Number(value);
    switch (flag) {
      case '--rpcs': o.rpcs = n; break;
      case '--load': o.load = n; break;
      case '--hosts': o.hosts = n; break;
      case '--servers': o.servers = n; break;
      case '--seed': o.seed = n; break;
      case '--keys': o.keys = n; break;
      case '--workload': if (!isWorkloadName(value)) throw new Error(`--workload ${value}: use w1..w5`); o.workload = value; break;
      default: throw new Error(`unknown option ${flag} (options: --rpcs --load --hosts --servers --keys --workload --seed)`);
    }
  }
  return o;
}

const us = (ns: number): string => (ns / 1000).toFixed(2);
const mb = (b: number): string => (b / 1e6).toFixed(2);

const wall0 = Date.now();
const r = await runKvLoad(parseArgs(process.argv.slice(2)));
const o = r.options;
const t = r.traffic;
const data = t.unscheduledBytes + t.grantedBytes + t.retransmittedBytes;
const pct = (b: number): string => (data > 0 ? ((100 * b) / data).toFixed(1) : '0.0');
console.log(`kv store on ${o.hosts} simulated hosts (${o.servers} servers, ${o.hosts - o.servers} clients), one ${o.hostBitsPerSecond / 1e9} Gb/s switch`);
console.log(`  ${o.workload.toUpperCase()} value sizes, ${o.keys} keys, ${Math.round(o.getFraction * 100)}% GET, Poisson arrivals at ${Math.round(o.load * 100)}% of the servers' links`);
console.log(`latency (simulated)   p50      p90      p99      p99.9    max`);
for (const [name, a] of [['all', r.latencyNs], ['GET', r.getLatencyNs], ['PUT', r.putLatencyNs]] as const) {
  const cols = [0.5, 0.9, 0.99, 0.999].map((p) => `${us(percentile(a, p)).padStart(7)}  `).join('');
  console.log(`  ${name.padEnd(4)} ${String(a.length).padStart(6)}  ${cols}${us(a[a.length - 1] ?? NaN).padStart(7)} us`);
}
const seconds = r.simulatedNs / 1e9;
console.log(`throughput: ${(r.rpcs / seconds / 1e6).toFixed(2)} M rpcs/s, ${((r.messageBytes * 8) / seconds / 1e9).toFixed(2)} Gb/s of messages over ${us(r.simulatedNs)} us simulated`);
console.log(`bytes: DATA payload ${mb(data)} MB = unscheduled ${mb(t.unscheduledBytes)} (${pct(t.unscheduledBytes)}%), granted ${mb(t.grantedBytes)} (${pct(t.grantedBytes)}%), retransmitted ${mb(t.retransmittedBytes)} (${pct(t.retransmittedBytes)}%)`);
console.log(`       ${t.dataPackets} DATA packets, ${t.controlPackets} control packets (${mb(t.controlWireBytes)} MB), ${mb(t.wireBytes)} MB on host links in all`);
if (data > 0 && t.grantedBytes < 0.01 * data) {
  console.log(`       (${o.workload.toUpperCase()} messages are nearly all under the 40,000 unscheduled bytes, spec §3.1: try --workload w3 to see grants)`);
}
if (r.misses > 0) console.log(`warning: ${r.misses} GETs found no value`);
console.log(`demo: ${r.rpcs} rpcs, p50=${us(percentile(r.latencyNs, 0.5))} us, p99=${us(percentile(r.latencyNs, 0.99))} us (simulated), ${((Date.now() - wall0) / 1000).toFixed(1)} s wall`);
