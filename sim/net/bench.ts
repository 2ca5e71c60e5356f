// sim/net/bench.ts — `npm run bench:netsim`: simulation speed on the paper's topology with
// W4 at 80 % load. Three measurements: the network alone (replay endpoints that reuse
// prebuilt frames, so nearly all time is the simulator's), the simple raw transport (a frame
// built per packet), then the Homa reference model (the experiments' real configuration,
// where the model's packet encoding and decoding dominate). The last line is the Homa one.
// Figures depend on what else the machine is running.

import { runExperiment } from '../experiments/runner.ts';
import { STACKS } from '../experiments/stacks.ts';
import { loadWorkload } from '../workloads/cdf.ts';
import { SizeSampler } from '../workloads/sampler.ts';
import { ReplayEndpoint } from './bench-endpoint.ts';
import { Rng } from './rng.ts';
import { Network, paperTopology } from './topology.ts';

const sampler = new SizeSampler(loadWorkload('w4'));

function measure(stackName: 'raw' | 'homa', durationPs: number): { eventsPerSecond: number; simUsPerWallSecond: number; events: number; wallS: number } {
  const stack = STACKS[stackName]!.create({ workload: 'w4', sampler, hostBitsPerSecond: 10e9 });
  const r = runExperiment({
    topology: paperTopology(),
    stack,
    workloadName: 'w4',
    sampler,
    load: 0.8,
    durationPs,
    warmupPs: 0,
    drainLimitPs: 0,
    seed: 1,
    mode: 'oneway',
    skipIdeal: true,
  });
  const wallS = r.wallMs / 1000;
  return { eventsPerSecond: r.events / wallS, simUsPerWallSecond: r.endPs / 1e6 / wallS, events: r.events, wallS };
}

/** The network alone: replay endpoints with MTU frames at 80 % load of W4 sizes. */
function measureNetworkOnly(durationPs: number): { eventsPerSecond: number; simUsPerWallSecond: number; events: number; wallS: number } {
  const spec = paperTopology();
  const frameWire = 1538;
  const meanWire = sampler.expectation((s) => Math.ceil(s / 1480) * frameWire);
  const meanGapPs = (8 * meanWire * 1e12) / (0.8 * spec.hostBitsPerSecond);
  const net = new Network(spec, (a) => new ReplayEndpoint(a.index, 144, new Rng(1, 0x10000 + a.index), meanGapPs, (rng) => sampler.sample(rng)), 1);
  net.start();
  const t0 = performance.now();
  net.sim.run(durationPs);
  const wallS = (performance.now() - t0) / 1000;
  return { eventsPerSecond: net.sim.eventsProcessed / wallS, simUsPerWallSecond: durationPs / 1e6 / wallS, events: net.sim.eventsProcessed, wallS };
}

function line(m: ReturnType<typeof measure>, label: string): string {
  return `netsim: ${Math.round(m.eventsPerSecond)} events/s, ${m.simUsPerWallSecond.toFixed(1)} simulated us per wall s (${label})`;
}

// Short runs first so the JIT has compiled the hot paths before anything is timed. The Homa
// model has far more code to optimise than the network: a single 100 us run left most of it
// unoptimised and its measurement 30-50 % below the steady state long experiments run at, so
// it gets three warm-up runs.
measureNetworkOnly(200_000_000);
measure('raw', 200_000_000);
for (let i = 0; i < Number(process.env['NETSIM_BENCH_HOMA_WARMUPS'] ?? 3); i++) measure('homa', 200_000_000);
const netOnly = measureNetworkOnly(Number(process.env['NETSIM_BENCH_NET_PS'] ?? 2_000_000_000));
console.log(`network only: ${netOnly.events} events in ${netOnly.wallS.toFixed(2)} s`);
console.log(line(netOnly, 'paper topology, w4, 0.8; network alone, replay endpoints with prebuilt MTU frames'));
const raw = measure('raw', Number(process.env['NETSIM_BENCH_RAW_PS'] ?? 2_000_000_000));
console.log(`raw transport: ${raw.events} events in ${raw.wallS.toFixed(2)} s`);
console.log(line(raw, 'paper topology, w4, 0.8; raw transport endpoints'));
const homa = measure('homa', Number(process.env['NETSIM_BENCH_HOMA_PS'] ?? 500_000_000));
console.log(`Homa model: ${homa.events} events in ${homa.wallS.toFixed(2)} s`);
console.log(line(homa, 'paper topology, w4, 0.8; Homa model endpoints'));
