// driver/serial/backend.ts — host-lib's `serial` backend (a board on a UART, no PCIe), not built
// yet: the scheme is registered so `open('serial:...')` says so instead of "unknown URL".
// When it is built, its Device lives in this folder and this file constructs it.

import { registerBackend } from '../../host-lib/backend-registry.ts';
import { NoDeviceError } from '../../host-lib/errors.ts';

registerBackend('serial', (_rest, url) => {
  throw new NoDeviceError(url, 'the serial backend is not built yet; use "sim" or "pcie:"');
});
