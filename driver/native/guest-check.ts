// driver/native/guest-check.ts — runs in Node inside the QEMU guest (test/driver): the addon
// against the real driver. RPCs of 100 B, 64 KiB and 1,000,000 B to the server on the other
// simulated NIC, woken by the driver's poll; the event loop keeps running while the addon
// waits; another open file cannot touch this one's queue pair; mapped queue pairs cannot be
// destroyed until unmapped. Prints "ok <name>" or "FAIL <name>: why" per check, as hnic does.
//
//   node --import tsx driver/native/guest-check.ts DEV PEER_IPV4 PORT

import { PcieNic } from './index.ts';
import type { PcieQueuePair } from './index.ts';

const [dev = '/dev/homa_nic0', peerText = '10.0.0.2', portText = '99'] = process.argv.slice(2);
let failures = 0;

function check(ok: boolean, name: string, why = ''): void {
  if (ok) console.log(`ok ${name}`);
  else { failures++; console.log(`FAIL ${name}: ${why}`); }
}

async function checkAsync(name: string, fn: () => Promise<string | null>): Promise<void> {
  try {
    const why = await fn();
    check(why === null, name, why ?? '');
  } catch (e) {
    check(false, name, (e as Error).message);
  }
}

function errorCode(fn: () => void): string {
  try { fn(); return 'no error'; } catch (e) { return (e as { code?: string }).code ?? String(e); }
}

function v4Mapped(text: string): Uint8Array {
  const a = new Uint8Array(16);
  a[10] = 0xff; a[11] = 0xff;
  text.split('.').forEach((b, i) => { a[12 + i] = Number(b); });
  return a;
}

/** The server answers each request with its bytes XOR 0xa5 (driver/qemu/model-engine.ts). */
async function rpc(qp: PcieQueuePair, length: number, cookie: bigint): Promise<string | null> {
  const req = new Uint8Array(length);
  for (let i = 0; i < length; i++) req[i] = (i * 31 + Number(cookie)) & 0xff;
  qp.request(v4Mapped(peerText), Number(portText), req, cookie);
  const c = await qp.next();
  if (c.type !== 2 || c.cookie !== cookie || c.length !== length) return `completion type ${c.type} cookie ${c.cookie} length ${c.length} error ${c.error}`;
  const got = qp.messageBytes(c);
  qp.returnBpages(c);
  for (let i = 0; i < length; i++) if (got[i] !== (req[i]! ^ 0xa5)) return `byte ${i} is ${got[i]}, want ${req[i]! ^ 0xa5}`;
  return null;
}

const nic = PcieNic.open(dev);
const info = nic.info();
check(info.abiVersion >>> 16 === 2 && info.numQueuePairs > 0 && info.minRegionBpages === 33, 'node info', JSON.stringify(info));
const qp = nic.createQueuePair({ regionBpages: 40, sendBytes: 1 << 20 });
// The user page: the queue pair is ACTIVE, its whole region free.
check(qp.port >= 0x8000 && (qp.register('status') & 1) === 1 && qp.register('bpool_avail_bytes') === 40 * 65536,
  'node queue pair', `port ${qp.port} status ${qp.register('status')} avail ${qp.register('bpool_avail_bytes')}`);

for (const [i, n] of [100, 65536, 1000000].entries()) await checkAsync(`node rpc ${n} B`, () => rpc(qp, n, BigInt(10 + i)));

await checkAsync('node wait leaves the event loop free', async () => {
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 10);
  const ready = await nic.wait(1000);
  clearInterval(timer);
  return !ready && ticks >= 3 ? null : `ready ${ready}, ${ticks} timer ticks while waiting`;
});

const other = PcieNic.open(dev);
check(errorCode(() => other.addon.destroyQueuePair(other.fd, qp.created.qp)) === 'EPERM', 'node foreign destroy');
check(errorCode(() => other.addon.map(other.fd, other.addon.MAP.REGION, qp.created.qp, 4096)) === 'EPERM', 'node foreign map');
check(errorCode(() => other.addon.map(other.fd, other.addon.MAP.USER, qp.created.qp, 4096)) === 'EPERM', 'node foreign user page');
other.close();
check(errorCode(() => nic.addon.destroyQueuePair(nic.fd, qp.created.qp)) === 'EBUSY', 'node destroy while mapped');
check(errorCode(() => qp.close()) === 'no error', 'node unmap and destroy');
check(nic.counters().length > 0, 'node counters');
nic.close();
process.exitCode = failures ? 1 : 0;
