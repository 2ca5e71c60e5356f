// plugins/host-lib.ts — the package entry `homa-nic/host-lib`: host-lib (host-lib/index.ts)
// with every Device backend registered, so `open('pcie:...')` works for the package's users.
import './backends.ts';
export * from '../host-lib/index.ts';
