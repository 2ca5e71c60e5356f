// host-lib/backend-registry.ts — the seam between host-lib and the Devices it can open.
// `open(url)` reads the URL's scheme (`sim`, `pcie`, `serial`, ...) and asks the backend
// registered under it for a Device. host-lib registers `sim` itself; the others live above it
// (driver/native registers `pcie`, driver/serial `serial`) and register themselves, so
// host-lib never imports driver/ and a new backend is a new folder, not an edit here.
// Who loads them: plugins/backends.ts (the package's `homa-nic/host-lib` entry and the
// homa-nic command import it).

import type { Device } from './device.ts';
import { NoDeviceError } from './errors.ts';

/**
 * Makes a Device for `url` (the whole URL, e.g. `pcie:/dev/homa_nic0?address=10.0.0.1`);
 * `rest` is what follows `scheme:` ('' for a bare `sim`). Throw NoDeviceError to refuse,
 * saying what a working URL looks like.
 */
export type BackendFactory = (rest: string, url: string) => Device;

const backends = new Map<string, BackendFactory>();

/** Makes `scheme:` URLs open through `factory` (replacing one of the same scheme). */
export function registerBackend(scheme: string, factory: BackendFactory): void {
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) throw new Error(`registerBackend: '${scheme}' is not a URL scheme (lower-case letters, digits, + . -)`);
  backends.set(scheme, factory);
}

/** Schemes `open` knows, in registration order. */
export function registeredBackends(): string[] {
  return [...backends.keys()];
}

/** The Device a URL names, from the backend registered for its scheme. */
export function openBackend(url: string): Device {
  const m = /^([a-z][a-z0-9+.-]*)(?::(.*))?$/s.exec(url);
  const factory = m ? backends.get(m[1]!) : undefined;
  if (!m || !factory) {
    const known = registeredBackends().map((s) => `"${s}:"`).join(', ');
    throw new NoDeviceError(url, `unknown URL: use one of ${known} or pass a Device${m && m[1] !== 'sim' ? ` (a backend for "${m[1]}:" registers with registerBackend; import 'homa-nic/host-lib', which loads them all)` : ''}`);
  }
  return factory(m[2] ?? '', url);
}
