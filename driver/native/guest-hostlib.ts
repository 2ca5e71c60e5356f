// driver/native/guest-hostlib.ts — runs in Node inside the QEMU guest (test/driver): host-lib's
// socket API, unchanged, over the Linux driver, opened as an application would:
// open('pcie:/dev/homa_nicN?address=...') (the `pcie` backend, PcieDevice, registered as the package entry does). A
// client socket calls the server on the other simulated NIC with 100 B, 64 KiB and
// 1,000,000 B and checks each response (the request's bytes XOR 0xa5). Prints "ok <name>" or
// "FAIL <name>: why" per check.
//
//   node --import tsx driver/native/guest-hostlib.ts DEV NIC_IPV4 PEER_IPV4 PORT

import { open } from '../../plugins/host-lib.ts';   // host-lib as a package user gets it: with the pcie backend registered

const [dev = '/dev/homa_nic1', ownText = '10.0.0.1', peerText = '10.0.0.2', portText = '99'] = process.argv.slice(2);
let failures = 0;

function check(ok: boolean, name: string, why = ''): void {
  if (ok) console.log(`ok ${name}`);
  else { failures++; console.log(`FAIL ${name}: ${why}`); }
}

const nic = open(`pcie:${dev}?address=${ownText}`);
const client = nic.socket();
check(client.port > 0, 'host-lib socket over pcie', `port ${client.port}`);
for (const [i, n] of [100, 65536, 1000000].entries()) {
  const name = `host-lib call ${n} B`;
  try {
    const req = Buffer.alloc(n);
    for (let k = 0; k < n; k++) req[k] = (k * 17 + i) & 0xff;
    const resp = await client.call({ address: peerText, port: Number(portText) }, req);
    const got = resp.bytes();
    resp.release();
    let bad = got.length === n ? -1 : 0;
    for (let k = 0; k < n && bad < 0; k++) if (got[k] !== (req[k]! ^ 0xa5)) bad = k;
    check(bad < 0, name, `length ${got.length}, first wrong byte at ${bad}`);
  } catch (e) {
    check(false, name, (e as Error).message);
  }
}
client.close();
nic.close();
process.exitCode = failures ? 1 : 0;
