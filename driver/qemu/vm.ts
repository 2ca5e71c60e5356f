// driver/qemu/vm.ts — one guest run: a busybox initramfs with the homa_nic module and the
// guest programs, Debian's kernel booted under QEMU TCG (KVM hangs on this machine kind),
// guest RAM in a shared file so the host can do the device's DMA, and one ivshmem device per
// simulated NIC, each served by a DeviceServer in this process. The guest runs a shell
// script; its console is the run's output.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpioArchive } from './cpio.ts';
import type { CpioEntry } from './cpio.ts';
import { DeviceServer, SharedFile } from './device.ts';
import type { Engine } from './device.ts';
import { BUILD } from './prepare.ts';
import type { Assets } from './prepare.ts';

/** Guest RAM; more when the host's Node runs in the guest. */
export const RAM_BYTES = 256 << 20;
export const RAM_BYTES_WITH_NODE = 768 << 20;
/** The register BAR: ABI v2's blocks, then the control pages and the user pages (a power of two, as ivshmem wants). */
export const BAR_BYTES = 4 << 20;

export interface NicSpec {
  /** ivshmem-plain: no interrupts, the driver polls. ivshmem-doorbell: MSI-X through ivshmem-server. */
  kind: 'plain' | 'doorbell';
  engine: Engine | null;
  /** PCI slot, e.g. 4 -> 0000:00:04.0 in the guest. */
  slot: number;
}

export interface GuestRun {
  assets: Assets;
  ko: string;
  programs: Record<string, string>;
  /** Guest shell script, run after the mounts; its exit status is printed as HNIC-EXIT <n>. */
  script: string;
  nics: NicSpec[];
  helper?: string;
  timeoutMs?: number;
  /**
   * Share the host's root read-only over 9p: the script can then call `host_root`, after
   * which `chroot /host ...` runs the host's own Node and this repository in the guest.
   */
  hostRoot?: boolean;
}

export interface GuestResult {
  output: string;
  exitStatus: number | null;
  servers: DeviceServer[];
  /** Errors thrown on the host side by a device server's engine (the guest was stopped). */
  serverErrors: string[];
}

const VECTORS = 4;

function initScript(): string {
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
cat > /bin/host_root <<'EOF'
#!/bin/sh
for m in $(cat /lib/modules/load-order); do insmod /lib/modules/$m || exit 1; done
mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,cache=loose,ro host /host || exit 1
# Writable scratch for programs run under chroot /host (TMPDIR=/dev/shm). Not a tmpfs over
# /host/tmp: the repository itself may live under the host's /tmp (a CI clone does).
mount -t devtmpfs dev /host/dev && mount -t proc proc /host/proc && mount -t sysfs sys /host/sys &&
  mkdir -p /host/dev/shm && mount -t tmpfs shm /host/dev/shm
EOF
chmod +x /bin/host_root
echo HNIC-BOOTED
sh /run.sh
echo "HNIC-EXIT $?"
# poweroff does not wait for the console to drain
sleep 1
poweroff -f
`;
}

/** Modules and their dependencies from modules.dep, each after what it needs. */
function loadOrder(moduleDir: string, wanted: string[]): string[] {
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(join(moduleDir, 'modules.dep'), 'utf8').split('\n')) {
    const [mod, rest] = line.split(':');
    if (mod) deps.set(mod, (rest ?? '').trim().split(/\s+/).filter(Boolean));
  }
  const out: string[] = [];
  const visit = (m: string): void => {
    if (out.includes(m)) return;
    if (!deps.has(m)) throw new Error(`module ${m} is not in ${moduleDir}/modules.dep`);
    for (const d of deps.get(m)!) visit(d);
    out.push(m);
  };
  wanted.forEach(visit);
  return out;
}

function initramfs(run: GuestRun): Buffer {
  const e: CpioEntry[] = ['bin', 'dev', 'proc', 'sys', 'tmp', 'lib', 'lib/modules'].map((path) => ({ path, kind: 'dir' as const }));
  e.push({ path: 'dev/console', kind: 'char', mode: 0o600, major: 5, minor: 1 });
  e.push({ path: 'bin/busybox', kind: 'file', mode: 0o755, data: readFileSync(run.assets.busybox) });
  e.push({ path: 'init', kind: 'file', mode: 0o755, data: initScript() });
  e.push({ path: 'run.sh', kind: 'file', mode: 0o755, data: run.script });
  e.push({ path: 'homa_nic.ko', kind: 'file', data: readFileSync(run.ko) });
  for (const [name, path] of Object.entries(run.programs)) e.push({ path: `bin/${name}`, kind: 'file', mode: 0o755, data: readFileSync(path) });
  if (run.hostRoot) {
    const dir = join(run.assets.imageRoot, 'lib', 'modules', run.assets.kver);
    const order = loadOrder(dir, ['kernel/drivers/virtio/virtio_pci.ko', 'kernel/net/9p/9pnet_virtio.ko', 'kernel/fs/9p/9p.ko']);
    for (const m of order) e.push({ path: `lib/modules/${m.split('/').pop()}`, kind: 'file', data: readFileSync(join(dir, m)) });
    e.push({ path: 'lib/modules/load-order', kind: 'file', data: order.map((m) => m.split('/').pop()).join('\n') + '\n' });
  }
  return cpioArchive(e);
}

async function startHelper(helper: string, socket: string, shm: string): Promise<ChildProcess> {
  const p = spawn(helper, [socket, shm, String(VECTORS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('ready')) resolve(); });
    p.on('exit', (code) => reject(new Error(`ivshmem-server exited (${code}) before it was ready`)));
  });
  return p;
}

/** Boot, run the script, power off; resolves with the console output. */
export async function runGuest(run: GuestRun): Promise<GuestResult> {
  const id = `homa-nic-${process.pid}-${Date.now()}`;
  const dir = join(BUILD, 'runs', id);
  mkdirSync(dir, { recursive: true });
  const initrd = join(dir, 'initrd.cpio');
  writeFileSync(initrd, initramfs(run));
  const shm = (name: string): string => `/dev/shm/${id}-${name}`;
  const ramBytes = run.hostRoot ? RAM_BYTES_WITH_NODE : RAM_BYTES;
  const ram = new SharedFile(shm('ram'), ramBytes);
  const helpers: ChildProcess[] = [];
  const bars: SharedFile[] = [];
  const servers: DeviceServer[] = [];
  const args = [
    '-accel', 'tcg', '-machine', 'pc,memory-backend=ram', '-m', `${ramBytes >> 20}M`, '-smp', '1',
    '-object', `memory-backend-file,id=ram,size=${ramBytes},mem-path=${ram.path},share=on`,
    '-kernel', run.assets.vmlinux, '-initrd', initrd,
    '-append', 'console=ttyS0 panic=-1 loglevel=4 quiet',
    '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-nodefaults', '-no-reboot',
  ];
  if (run.hostRoot) args.push('-virtfs', 'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap');
  try {
    for (const [k, nic] of run.nics.entries()) {
      const bar = new SharedFile(shm(`bar${k}`), BAR_BYTES);
      bars.push(bar);
      const addr = `addr=${nic.slot.toString(16)}.0`;
      if (nic.kind === 'plain') {
        args.push('-object', `memory-backend-file,id=hm${k},share=on,mem-path=${bar.path},size=${BAR_BYTES}`,
          '-device', `ivshmem-plain,memdev=hm${k},${addr}`);
        servers.push(new DeviceServer({ bar, ram, engine: nic.engine }));
      } else {
        if (!run.helper) throw new Error('an ivshmem-doorbell NIC needs the ivshmem-server helper');
        const socket = shm(`sock${k}`);
        const h = await startHelper(run.helper, socket, bar.path);
        helpers.push(h);
        args.push('-chardev', `socket,path=${socket},id=ivs${k}`, '-device', `ivshmem-doorbell,chardev=ivs${k},vectors=${VECTORS},${addr}`);
        const irq = (v: number): void => { h.stdin!.write(Uint8Array.of(v)); };
        servers.push(new DeviceServer({ bar, ram, engine: nic.engine, irq, vectors: VECTORS }));
      }
    }
    const qemu = spawn(run.assets.qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Never leave a guest running after this process (a killed test worker, Ctrl-C).
    const killGuest = (): void => { qemu.kill('SIGKILL'); };
    process.once('exit', killGuest);
    const serving = servers.map((s) => s.serve(() => { qemu.kill('SIGKILL'); }));
    let output = '';
    qemu.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    qemu.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    const timeout = setTimeout(() => { output += '\nHNIC-TIMEOUT\n'; qemu.kill('SIGKILL'); }, run.timeoutMs ?? 150_000);
    await new Promise<void>((resolve) => {
      qemu.on('exit', () => resolve());
      qemu.on('error', (e) => { output += `\nHNIC-QEMU-ERROR ${e.message}\n`; resolve(); });
    });
    clearTimeout(timeout);
    process.off('exit', killGuest);
    for (const s of servers) s.stop();
    await Promise.all(serving);
    const m = /HNIC-EXIT (\d+)/.exec(output);
    const serverErrors = servers.flatMap((s, k) => (s.failure ? [`device server ${k}: ${s.failure.stack ?? s.failure.message}`] : []));
    return { output: output.replace(/\r/g, ''), exitStatus: m ? Number(m[1]) : null, servers, serverErrors };
  } finally {
    for (const h of helpers) h.stdin!.end();
    ram.close();
    for (const b of bars) b.close();
    for (const f of ['ram', ...run.nics.flatMap((_, k) => [`bar${k}`, `sock${k}`])]) rmSync(shm(f), { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}
