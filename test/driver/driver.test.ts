// test/driver/driver.test.ts — the Linux driver against a real kernel: the module builds
// warning-free against Debian's headers (and is clean under the kernel's checkpatch.pl), then
// one QEMU boot runs every guest check in sequence against two simulated NICs served from
// this process by the reference model: one polled (ivshmem-plain), one with MSI-X
// (ivshmem-doorbell); the C client and, over 9p, the host's Node with the addon. Skipped,
// saying what to install, where the tools cannot be installed.

import { beforeAll, describe, expect, test } from 'vitest';
import type { TestContext } from 'vitest';
import { buildAddon } from '../../driver/native/build.ts';
import { ModelPairEngine, SERVER_PORT } from '../../driver/qemu/model-engine.ts';
import { ROOT, buildGuestPrograms, buildHostHelper, buildModule, prepareAssets, runCheckpatch } from '../../driver/qemu/prepare.ts';
import type { Assets, ModuleBuild } from '../../driver/qemu/prepare.ts';
import { runGuest } from '../../driver/qemu/vm.ts';
import type { GuestResult } from '../../driver/qemu/vm.ts';

let skipReason: string | null = null;
let nodeSkipReason: string | null = null;
let assets: Assets;
let mod: ModuleBuild;
let run: GuestResult;
const engines = [new ModelPairEngine(), new ModelPairEngine()];

/** The guest's script: each step's output sits between "== name" markers. */
const SCRIPT = `
step() { echo "== $1"; }
step insmod
dmesg -c > /dev/null
insmod /homa_nic.ko bind_ivshmem=1 && echo "ok insmod"
ls /dev/homa_nic0 /dev/homa_nic1 && echo "ok char devices"
readlink /sys/bus/pci/devices/0000:00:04.0/driver | grep -q homa_nic && echo "ok bound 04.0"
readlink /sys/bus/pci/devices/0000:00:05.0/driver | grep -q homa_nic && echo "ok bound 05.0"
step regs
hnic regs /dev/homa_nic0
hnic regs /dev/homa_nic1
step rpc
# homa_nic0 has no MSI-X: spinning on the ring, then poll(2) woken by the driver's timer
hnic rpc /dev/homa_nic0 10.0.0.2 ${SERVER_PORT} spin
hnic rpc /dev/homa_nic0 10.0.0.2 ${SERVER_PORT} wait
# homa_nic1 (ivshmem-doorbell): poll(2) woken by MSI-X
hnic rpc /dev/homa_nic1 10.0.0.2 ${SERVER_PORT} wait
grep "homa_nic" /proc/interrupts | awk '{ n += $2 } END { if (n > 0) print "ok msi-x interrupts" }'
step node
if [ -n "$NODE_CHECK" ]; then
  host_root && chroot /host sh -c "export TMPDIR=/dev/shm; cd $REPO && node --import tsx driver/native/guest-check.ts /dev/homa_nic1 10.0.0.2 ${SERVER_PORT} &&
    node --import tsx driver/native/guest-hostlib.ts /dev/homa_nic1 10.0.0.1 10.0.0.2 ${SERVER_PORT}"
fi
step misuse
hnic_misuse args /dev/homa_nic0
hnic_misuse isolation /dev/homa_nic0 10.0.0.2 ${SERVER_PORT}
hnic_misuse inflight /dev/homa_nic1 10.0.0.2 ${SERVER_PORT}
hnic rpc /dev/homa_nic1 10.0.0.2 ${SERVER_PORT} wait
hnic_misuse unbind /dev/homa_nic0 0000:00:04.0
hnic rpc /dev/homa_nic0 10.0.0.2 ${SERVER_PORT} spin
step rmmod
rmmod homa_nic && echo "ok rmmod"
test -e /dev/homa_nic0 || echo "ok char devices gone"
step dmesg
dmesg
step end
`;

function section(name: string): string {
  const out = run.output;
  const start = out.indexOf(`== ${name}\n`);
  if (start < 0) return '';
  const end = out.indexOf('\n== ', start + 1);
  return out.slice(start, end < 0 ? undefined : end + 1);
}

function expectAllOk(text: string, names: string[]): void {
  const failed = text.split('\n').filter((l) => l.startsWith('FAIL'));
  expect(failed).toEqual([]);
  for (const n of names) expect(text).toContain(`ok ${n}\n`);
}

function skipIfNeeded(ctx: TestContext): void {
  if (skipReason) {
    process.stderr.write(`test/driver skipped: ${skipReason}\n`);
    ctx.skip();
  }
}

beforeAll(async () => {
  try {
    assets = prepareAssets();
  } catch (e) {
    skipReason = (e as Error).message;
    return;
  }
  mod = buildModule(assets);
  const programs = buildGuestPrograms();
  const helper = buildHostHelper();
  try {
    buildAddon();
  } catch (e) {
    nodeSkipReason = (e as Error).message;
  }
  const env = nodeSkipReason ? '' : `NODE_CHECK=1\nREPO=${ROOT}\n`;
  run = await runGuest({
    assets, ko: mod.ko, programs, helper, script: env + SCRIPT, timeoutMs: 200_000, hostRoot: !nodeSkipReason,
    nics: [{ kind: 'plain', engine: engines[0]!, slot: 4 }, { kind: 'doorbell', engine: engines[1]!, slot: 5 }],
  });
}, 290_000);

describe('homa_nic Linux driver', () => {
  test('builds warning-free with W=1 against the distro headers', (ctx) => {
    skipIfNeeded(ctx);
    expect(mod.warnings).toEqual([]);
    expect(mod.log).toContain('homa_nic.ko');
  });

  test('is clean under the kernel\'s checkpatch.pl --strict', (ctx) => {
    skipIfNeeded(ctx);
    const r = runCheckpatch();
    if (typeof r === 'string') {
      process.stderr.write(`checkpatch skipped: ${r}\n`);
      ctx.skip();
      return;
    }
    expect(r.problems).toEqual([]);
  });

  test('boots, loads, binds both devices and powers off', (ctx) => {
    skipIfNeeded(ctx);
    expect(run.serverErrors).toEqual([]);
    expect(run.output).toContain('HNIC-BOOTED');
    expect(run.output).not.toContain('HNIC-TIMEOUT');
    expectAllOk(section('insmod'), ['insmod', 'char devices', 'bound 04.0', 'bound 05.0']);
  });

  test('register round trip between a guest program and the host device server', (ctx) => {
    skipIfNeeded(ctx);
    expectAllOk(section('regs'), ['regs info', 'regs active', 'regs user page', 'regs doorbell']);
    expect(run.servers[0]!.stats.badDescriptors).toBeGreaterThanOrEqual(1);
  });

  test('RPCs of 100 B, 64 KiB and 1,000,000 B through the driver to the other simulated NIC', (ctx) => {
    skipIfNeeded(ctx);
    const text = section('rpc');
    const names = ['spin', 'wait'].flatMap((m) => [100, 65536, 1000000].map((n) => `rpc ${n} B ${m}`)
      .concat(`rpc abort ${m}`, `rpc after abort ${m}`, `rpc counters ${m}`));
    expectAllOk(text, names.concat('msi-x interrupts'));
    // Three runs: spin and wait on the polled NIC, wait on the MSI-X NIC.
    expect(text.split('\n').filter((l) => l === 'ok rpc 1000000 B wait')).toHaveLength(2);
    // The server on the far NIC really saw the requests, and the MSI-X NIC raised interrupts.
    for (const e of engines) expect(e.stats.bytesServed).toBeGreaterThanOrEqual(100 + 65536 + 1000000);
    expect(run.servers[1]!.stats.interrupts).toBeGreaterThan(0);
  });

  test('Node in the guest: the addon, then host-lib\'s sockets over it (pcie Device), send the same RPCs', (ctx) => {
    skipIfNeeded(ctx);
    if (nodeSkipReason) {
      process.stderr.write(`node addon check skipped: ${nodeSkipReason}\n`);
      ctx.skip();
      return;
    }
    expectAllOk(section('node'), [
      'node info', 'node queue pair', 'node rpc 100 B', 'node rpc 65536 B', 'node rpc 1000000 B',
      'node wait leaves the event loop free', 'node foreign destroy', 'node foreign map', 'node destroy while mapped',
      'node foreign user page', 'node unmap and destroy', 'node counters',
      'host-lib socket over pcie', 'host-lib call 100 B', 'host-lib call 65536 B', 'host-lib call 1000000 B',
    ]);
  });

  test('misuse gets errors: bad arguments, mapping limits, foreign queue pairs, close in flight, unbind while open', (ctx) => {
    skipIfNeeded(ctx);
    expectAllOk(section('misuse'), [
      'misuse info', 'bad log size', 'bad flags', 'port in use', 'port range', 'bad pointer', 'destroy unknown', 'unknown ioctl',
      'region of 0', 'region too small', 'region too big', 'send region too big', 'counters', 'bad qp flags', 'server flag',
      'mmap user page beyond page', 'mmap beyond region', 'mmap inside object', 'mmap private', 'mmap unknown kind',
      'destroy while mapped', 'mmap missing send region',
      'arena too big', 'arena', 'mmap beyond arena', 'mmap missing arena', 'attach outside arenas', 'attach foreign ring',
      'attach foreign send region',
      'queue pairs exhausted', 'queue pairs freed on close', 'foreign queue pair', 'mapping not inherited', 'inflight posted', 'rpc 1000000 B wait',
      'unbind write', 'ioctl after unbind', 'mmap after unbind', 'poll after unbind', 'old mapping faults',
      'old region faults', 'unbind arena', 'old arena faults', 'close after unbind', 'rebind', 'rpc 1000000 B spin',
    ]);
  });

  test('isolation: no mapping reaches a control page, user-page writes and descriptors outside the send region change nothing', (ctx) => {
    skipIfNeeded(ctx);
    const text = section('misuse');
    expectAllOk(text, [
      'isolation open', 'only the user page and own memory map', 'no page beyond the user page', 'user page names no memory',
      'rpc after user-page writes', 'user-page writes change nothing', 'outside the send region: EINVAL',
      'outside the send region: BAD_DESCRIPTOR', 'outside the send region: nothing sent', 'outside the send region: memory untouched',
      'device works after refusals',
    ]);
    expect(text.split('\n').filter((l) => l === 'ok outside the send region: EINVAL')).toHaveLength(3);
    // On the host side: the device refused them itself, and put back what the guest scribbled over.
    expect(run.servers[0]!.stats.badDescriptors).toBeGreaterThanOrEqual(1 + 3);
    expect(run.servers[0]!.stats.restoredWords).toBeGreaterThan(0);
  });

  test('rmmod succeeds and the kernel log has no oops, warning or leak report', (ctx) => {
    skipIfNeeded(ctx);
    expectAllOk(section('rmmod'), ['rmmod', 'char devices gone']);
    const log = section('dmesg');
    expect(log).toContain('homa_nic0: ABI 0x20000');
    const bad = log.split('\n').filter((l) => /Oops|BUG:|WARNING:|Call Trace|leak|still active|segfault|general protection|homa_nic.*error/i.test(l));
    expect(bad).toEqual([]);
    expect(run.exitStatus).toBe(0);
  });
});
