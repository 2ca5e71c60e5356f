// test/setup.ts — vitest's setupFiles: every test file starts with the seams bound
// (plugins/index.ts: the host-lib backends and the simulation engines), so tests under hw/
// and host-lib/ use `testEngines()` and `open('pcie:...')` without importing upward.
import '../plugins/index.ts';
