// driver/qemu/bench.ts — `npm run bench:driver`: 100-byte RPC round trips from a C client in
// the guest, through the homa_nic driver and the reference model NIC served from this process,
// to the server on the other simulated NIC and back. Polled: the client polls its completion
// ring (200 checks, then 20 µs sleeps so its vCPU thread leaves the host server a core).
// Interrupt: it sleeps in poll(2) and the completion's MSI-X wakes it (ivshmem-doorbell).
// Times are the guest's clock under QEMU TCG, so they measure this whole simulated path on
// this machine, not a hardware NIC; they move with host load (2 cores, shared).
//
//   tsx driver/qemu/bench.ts [round trips per mode, default 300]

import { ModelPairEngine, SERVER_PORT } from './model-engine.ts';
import { buildGuestPrograms, buildHostHelper, buildModule, prepareAssets } from './prepare.ts';
import { runGuest } from './vm.ts';

const rounds = Number(process.argv[2] ?? 300);
const log = (m: string): void => { process.stderr.write(`bench:driver: ${m}\n`); };
const assets = prepareAssets(log);
const mod = buildModule(assets, log);
if (mod.warnings.length) log(`module warnings:\n${mod.warnings.join('\n')}`);
const programs = buildGuestPrograms(log);
const helper = buildHostHelper(log);
const engine = new ModelPairEngine();
log(`booting; ${rounds} round trips per mode`);
const run = await runGuest({
  assets, ko: mod.ko, programs, helper, timeoutMs: 600_000,
  nics: [{ kind: 'doorbell', engine, slot: 4 }],
  script: `insmod /homa_nic.ko bind_ivshmem=1 && hnic bench /dev/homa_nic0 10.0.0.2 ${SERVER_PORT} ${rounds}; rmmod homa_nic`,
});
const m = /bench \S+: ([\d.]+) us polled, ([\d.]+) us poll\(2\)/.exec(run.output);
if (!m) {
  process.stderr.write(run.output);
  throw new Error('the guest printed no bench line');
}
const s = run.servers[0]!.stats;
console.log(`device server: ${s.descriptors} descriptors, ${s.completions} completions, ${s.interrupts} MSI-X interrupts`);
console.log(`driver: ${Number(m[1]).toFixed(1)} us per polled round trip, ${Number(m[2]).toFixed(1)} us per interrupt round trip (qemu tcg)`);
