// driver/native/backend.ts — host-lib's `pcie` backend: `open('pcie:/dev/homa_nic0?address=10.0.0.1')`
// is a PcieDevice on that device node. Importing this file registers it (plugins/backends.ts
// does, for the package entry and the homa-nic command); the addon loads only when a URL is
// opened, so registering costs nothing on machines without the driver.

import { registerBackend } from '../../host-lib/backend-registry.ts';
import { NoDeviceError } from '../../host-lib/errors.ts';
import { PcieDevice } from './pcie-device.ts';

registerBackend('pcie', (rest, url) => {
  const m = /^([^?]+)(?:\?address=([0-9.]+))?$/.exec(rest);
  const address = m?.[2]?.split('.').map(Number);
  if (!m || !address || address.length !== 4 || address.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new NoDeviceError(url, 'give the card\'s IPv4 address: pcie:/dev/homa_nic0?address=10.0.0.1');
  }
  try {
    return new PcieDevice(m[1]!, { address: Uint8Array.from(address) });
  } catch (e) {
    throw new NoDeviceError(url, (e as Error).message);
  }
});
