// hw/homa/abi.ts — ABI v2: the contract between the Homa engine and host software (seam 3
// of the architecture).
//
// - Register map: a discoverable list of register blocks (identity, ABI version, one
//   configuration register per HomaModule tunable with its default, 64-bit counters, queue
//   pairs) — abi/regmap.ts, abi/tunables.ts.
// - Queue pairs: each socket gets one, with two pages. The control page (kernel only) holds
//   what decides which memory the engine touches: ring bases and sizes, a region of 64 KiB
//   bpages, a send region, the port and the enable bit. The user page holds the doorbells and
//   read-only copies of the engine's side of each ring. Send descriptors name their bytes by
//   an offset into the send region, so a process can only make the engine reach memory its
//   kernel registered for it — abi/records.ts.
// - Host-memory records (descriptors, 64-byte completions, bpage returns) are DSL records,
//   read and written through abi/memory.ts; the ring conventions are in records.ts. The C
//   header for the driver is generated from all of it (abi/cheader.ts, scripts/gen-abi.ts ->
//   driver/linux/uapi/homa_nic_abi.h).

export * from './abi/tunables.ts';
export * from './abi/records.ts';
export * from './abi/regmap.ts';
export * from './abi/memory.ts';
export { descriptorFault } from './abi/descriptor.ts';
export { generateCHeader } from './abi/cheader.ts';

/** Where the generated C header lives, relative to the repository root. */
export const C_HEADER_PATH = 'driver/linux/uapi/homa_nic_abi.h';
