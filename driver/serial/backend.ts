// driver/serial/backend.ts — host-lib's `serial` backend: `open('serial:/dev/ttyUSB1?baud=3000000')`
// is a SerialDevice (serial-device.ts) on that port, talking to a board that runs the UART
// bridge. Query parameters: baud (default 3000000), address (the NIC's IPv4 address, default
// 10.0.0.1), retry_ms (default 200) and tries (default 10): how long an unanswered request is
// waited for and how often it is sent before the call fails. Importing this file registers it
// (plugins/backends.ts does); nothing is opened until a URL is.

import { registerBackend } from '../../host-lib/backend-registry.ts';
import { NoDeviceError } from '../../host-lib/errors.ts';
import { SerialDevice } from './serial-device.ts';

export const SERIAL_URL_HELP = 'serial:/dev/ttyUSB1?baud=3000000[&address=10.0.0.1][&retry_ms=200][&tries=10]';

registerBackend('serial', (rest, url) => {
  const [path, query = ''] = rest.split('?', 2) as [string, string?];
  const q = new URLSearchParams(query);
  const known = new Set(['baud', 'address', 'retry_ms', 'tries']);
  const unknown = [...q.keys()].filter((k) => !known.has(k));
  const num = (k: string, d: number) => (q.has(k) ? Number(q.get(k)) : d);
  const baud = num('baud', 3_000_000), retryMs = num('retry_ms', 200), tries = num('tries', 10);
  const address = (q.get('address') ?? '10.0.0.1').split('.').map(Number);
  if (!path || unknown.length || ![baud, retryMs, tries].every((v) => Number.isInteger(v) && v > 0)
    || address.length !== 4 || address.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new NoDeviceError(url, `${unknown.length ? `unknown parameter '${unknown[0]}'; ` : ''}use ${SERIAL_URL_HELP}`);
  }
  return new SerialDevice(path, { baud, address: Uint8Array.from(address), retryMs, tries });
});
