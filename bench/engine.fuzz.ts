// bench/engine.fuzz.ts — bad and stray frames into a NIC that carries real RPCs
// (conformance/fuzz.ts says what is sent and what is checked).
//
//   npm run fuzz:engine -- --frames 1000000 --engine verilator [--seed S] [--config u250] [--nic model]
//
// Progress on stderr; the last line: `engine-fuzz: <N> frames, hangs=<H>, watchdog=<W>, uncounted=<U>`.
// Exits 1 when any of the three is not 0.

import { parseArgs } from 'node:util';
import { runEngineFuzz } from '../conformance/fuzz.ts';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '10000' },
    engine: { type: 'string', default: 'js' },
    nic: { type: 'string' },
    seed: { type: 'string', default: '1' },
    config: { type: 'string', default: 'u250' },
    'gap-ns': { type: 'string', default: '2000' },
  },
});
const frames = Number(values.frames), seed = Number(values.seed), gapNs = Number(values['gap-ns']);
if (!Number.isInteger(frames) || frames < 1) { console.error(`fuzz:engine: --frames ${values.frames}: a whole number of frames, at least 1`); process.exit(2); }
if (!Number.isInteger(seed)) { console.error(`fuzz:engine: --seed ${values.seed}: a whole number`); process.exit(2); }
if (!(gapNs > 0)) { console.error(`fuzz:engine: --gap-ns ${values['gap-ns']}: a positive number of nanoseconds`); process.exit(2); }
const kinds: Record<string, string> = { js: 'rtl', verilator: 'rtl-verilator' };
const nic = values.nic ?? kinds[values.engine];
if (!nic) { console.error(`fuzz:engine: --engine ${values.engine}: js or verilator (or name a NIC kind with --nic: rtl, rtl-verilator, model)`); process.exit(2); }
// The NIC kinds (rtl, rtl-verilator) and the Verilator engine are registered by plugins/.
await import('../plugins/index.ts');

const t0 = performance.now();
const r = await runEngineFuzz({ frames, nic, seed, config: values.config, gapNs, log: (l) => console.error(l) });
const fates = Object.entries(r.fates).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(' ');
console.error(`fuzz: nic=${nic} config=${values.config} seed=${seed}: ${r.received} frames received (fuzz and real), ${r.realRpcs} real RPCs, `
  + `${r.simulatedMs.toFixed(2)} ms simulated in ${((performance.now() - t0) / 1000).toFixed(1)} s; counted: ${fates}`);
if (r.failure) console.error(`fuzz: stopped by: ${r.failure}`);
console.log(`engine-fuzz: ${frames} frames, hangs=${r.hangs}, watchdog=${r.watchdog}, uncounted=${r.uncounted}`);
process.exit(r.hangs === 0 && r.watchdog === 0 && r.uncounted === 0 ? 0 : 1);
