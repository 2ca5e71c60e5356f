// plugins/backends.ts — every Device backend host-lib can open besides `sim`, registered.
// host-lib sits below driver/ and never imports it; the backends register themselves into
// host-lib/backend-registry.ts, and this file (above both) is what loads them. Imported by the
// package entry `homa-nic/host-lib` (plugins/host-lib.ts), the homa-nic command and the test
// setup. A new backend is one more line here.

import '../driver/native/backend.ts';
import '../driver/serial/backend.ts';
