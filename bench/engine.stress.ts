// bench/engine.stress.ts — the model's stress test with RTL NICs (conformance/stress.ts says what
// is run and checked).
//
//   npm run stress:engine -- --rpcs 1600 --engine verilator [--peer model|rtl] [--max-length 1000000]
//                             [--loss 0.1] [--concurrency 8] [--seed S] [--hold-ns 200000]
//
// Progress on stderr; the last line: `engine-stress: <n> rpcs, nics=<a>+<b>, problems=<p>`.
// Exits 1 when anything went wrong (each problem is printed).

import { parseArgs } from 'node:util';
import { runEngineStress } from '../conformance/stress.ts';

const { values } = parseArgs({
  options: {
    rpcs: { type: 'string', default: '1600' },
    engine: { type: 'string', default: 'js' },
    peer: { type: 'string', default: 'model' },
    'max-length': { type: 'string', default: '1000000' },
    loss: { type: 'string', default: '0.1' },
    concurrency: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    'hold-ns': { type: 'string', default: '200000' },
    config: { type: 'string', default: 'u250' },
  },
});
const num = (name: string, v: string | undefined, ok: (x: number) => boolean, what: string): number => {
  const x = Number(v);
  if (!ok(x)) { console.error(`stress:engine: --${name} ${v}: ${what}`); process.exit(2); }
  return x;
};
const rpcs = num('rpcs', values.rpcs, (x) => Number.isInteger(x) && x >= 1, 'a whole number of RPCs per direction, at least 1');
const maxLength = num('max-length', values['max-length'], (x) => Number.isInteger(x) && x >= 4 && x <= 1_000_000, 'a message length from 4 to 1,000,000 bytes');
const loss = num('loss', values.loss, (x) => x >= 0 && x <= 0.5, 'a rate from 0 to 0.5 (loss, and as much duplication and reordering)');
const concurrency = num('concurrency', values.concurrency, (x) => Number.isInteger(x) && x >= 1, 'a whole number of calls outstanding per client');
const seed = num('seed', values.seed, Number.isInteger, 'a whole number');
const holdNs = num('hold-ns', values['hold-ns'], (x) => x >= 0, 'nanoseconds, 0 or more');
const kinds: Record<string, string> = { js: 'rtl', verilator: 'rtl-verilator' };
const dut = kinds[values.engine!];
if (!dut) { console.error(`stress:engine: --engine ${values.engine}: js or verilator`); process.exit(2); }
const peer = values.peer === 'model' ? 'model' : values.peer === 'rtl' ? dut : null;
if (!peer) { console.error(`stress:engine: --peer ${values.peer}: model (an RTL NIC and the model) or rtl (two RTL NICs)`); process.exit(2); }
await import('../plugins/index.ts');

const t0 = performance.now();
const r = await runEngineStress({
  rpcs, concurrency, maxLength, nics: [dut, peer], seed, holdNs, config: values.config,
  faults: { drop: loss, duplicate: loss, reorder: loss, reorderDelayPs: 3_000_000 },
  log: (l) => console.error(l),
});
console.error(`stress: ${r.completed} RPCs completed, ${r.simulatedMs.toFixed(1)} ms simulated in ${((performance.now() - t0) / 1000).toFixed(1)} s; `
  + `the wire dropped ${r.faults.dropped}, duplicated ${r.faults.duplicated}, reordered ${r.faults.reordered} frames`);
for (const p of r.problems.slice(0, 30)) console.error(`stress: ${p}`);
console.log(`engine-stress: ${2 * rpcs} rpcs, nics=${dut}+${peer}, problems=${r.problems.length}`);
process.exit(r.problems.length === 0 ? 0 : 1);
