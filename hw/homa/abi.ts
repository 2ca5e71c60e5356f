// hw/homa/abi.ts — ABI v1: the contract between the Homa engine and host software (seam 3
// of the architecture).
//
// - Register map: a discoverable list of register blocks (identity, ABI version, one
//   configuration register per HomaModule tunable with its default, 64-bit counters, queue
//   pairs) — abi/regmap.ts, abi/tunables.ts.
// - Queue pairs: each socket gets one, in its own 4 KiB register page: a send-queue ring of
//   descriptors, a completion-queue ring, a registered region of 64 KiB bpages and a
//   bpage-return ring, each with base/size/head/tail, and a port binding. The engine only
//   writes a queue pair's own region and rings, so sockets are isolated — abi/records.ts.
// - Host-memory records (descriptors, completions, bpage returns) are DSL records, read and
//   written through abi/memory.ts; the C header for the driver is generated from all of it
//   (abi/cheader.ts, scripts/gen-abi.ts -> driver/linux/uapi/homa_nic_abi.h).

export * from './abi/tunables.ts';
export * from './abi/records.ts';
export * from './abi/regmap.ts';
export * from './abi/memory.ts';
export { generateCHeader } from './abi/cheader.ts';

/** Where the generated C header lives, relative to the repository root. */
export const C_HEADER_PATH = 'driver/linux/uapi/homa_nic_abi.h';
