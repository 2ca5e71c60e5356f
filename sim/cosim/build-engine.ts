// sim/cosim/build-engine.ts — builds the Verilator model of one engine configuration into the
// cache (the child process engine-nic.ts runs when a NIC must be made synchronously).
//
//   npx tsx sim/cosim/build-engine.ts '<engine configuration as JSON>'

import type { EngineConfig } from '../../hw/homa/engine/config.ts';
import { prepareEngine } from './engine-nic.ts';

const arg = process.argv[2];
if (!arg) throw new Error('usage: build-engine.ts <engine configuration as JSON>');
await prepareEngine(JSON.parse(arg) as EngineConfig, 'verilator');
