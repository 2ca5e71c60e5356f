// driver/qemu/prepare.ts — everything a guest boot needs, under build/qemu (git-ignored):
// the tools (QEMU, static busybox, the distro's kernel headers; installed with apt-get when
// root), Debian's kernel matching those headers (apt-get download, unpacked, vmlinux taken
// out of the compressed image for a fast PVH boot, depmod run), the homa_nic module built
// out of tree, and the guest's static C programs. Idempotent: each step is skipped when its
// output exists. Run directly (`tsx driver/qemu/prepare.ts`) to see the progress.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD = join(ROOT, 'build', 'qemu');

export interface Assets {
  /** Kernel release, e.g. 6.1.0-56-amd64 (from the installed headers). */
  kver: string;
  headers: string;
  /** Uncompressed kernel (ELF with a PVH note). */
  vmlinux: string;
  /** Unpacked linux-image package (lib/modules/<kver> with modules.dep). */
  imageRoot: string;
  busybox: string;
  qemu: string;
}

export type Log = (msg: string) => void;
const quiet: Log = () => {};

/** What each needed command comes from. */
const TOOLS: { test: () => boolean; pkg: string }[] = [
  { test: () => has('qemu-system-x86_64'), pkg: 'qemu-system-x86' },
  { test: () => isStatic('/bin/busybox'), pkg: 'busybox-static' },
  { test: () => headersDir() !== null, pkg: 'linux-headers-amd64' },
  { test: () => has('make'), pkg: 'make' },
  { test: () => has('gcc') && existsSync('/usr/lib/x86_64-linux-gnu/libc.a'), pkg: 'gcc libc6-dev' },
  { test: () => has('depmod'), pkg: 'kmod' },
  { test: () => has('xz'), pkg: 'xz-utils' },
  { test: () => has('dpkg-deb') && has('apt-get'), pkg: 'dpkg apt' },
];

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
function isStatic(path: string): boolean {
  if (!existsSync(path)) return false;
  const out = spawnSync('sh', ['-c', `ldd ${path} 2>&1`], { encoding: 'utf8' }).stdout;
  return /not a dynamic executable|statically linked/.test(out);
}
function headersDir(): string | null {
  if (!existsSync('/usr/src')) return null;
  const dirs = readdirSync('/usr/src').filter((d) => /^linux-headers-.*-amd64$/.test(d)).sort();
  return dirs.length ? join('/usr/src', dirs[dirs.length - 1]!) : null;
}

function run(cmd: string, args: string[], opt: { cwd?: string; log?: Log } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opt.cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

/** Install what is missing (root only). Returns null when ready, else what to install. */
export function ensureTools(log: Log = quiet): string | null {
  let missing = TOOLS.filter((t) => !t.test()).map((t) => t.pkg);
  if (!missing.length) return null;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && has('apt-get')) {
    log(`installing ${missing.join(' ')}`);
    const pkgs = missing.join(' ').split(' ');
    let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'ignore' });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
      r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'ignore' });
    }
    missing = TOOLS.filter((t) => !t.test()).map((t) => t.pkg);
  }
  return missing.length ? `apt-get install ${missing.join(' ')}` : null;
}

/** The compressed payload of a bzImage, decompressed (the kernel's scripts/extract-vmlinux idea). */
function extractVmlinux(vmlinuz: string, out: string): void {
  const img = readFileSync(vmlinuz);
  const magic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  for (let at = img.indexOf(magic); at >= 0; at = img.indexOf(magic, at + 1)) {
    // Trailing bytes after the xz stream make xz exit non-zero; the ELF is complete anyway.
    const r = spawnSync('xz', ['-dc'], { input: img.subarray(at), maxBuffer: 512 << 20 });
    if (r.stdout && r.stdout.length > 4 && r.stdout.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
      writeFileSync(out, r.stdout);
      return;
    }
  }
  throw new Error(`no xz-compressed ELF kernel found in ${vmlinuz}`);
}

/** Tools, kernel and busybox; throws with a message naming what to install when impossible. */
export function prepareAssets(log: Log = quiet): Assets {
  const need = ensureTools(log);
  if (need) throw new Error(`QEMU driver tests need packages: ${need}`);
  const headers = headersDir()!;
  const kver = headers.replace(/^.*linux-headers-/, '');
  const kdir = join(BUILD, 'kernel', kver);
  const imageRoot = join(kdir, 'root');
  const vmlinux = join(kdir, 'vmlinux');
  if (!existsSync(vmlinux)) {
    mkdirSync(kdir, { recursive: true });
    const pkg = `linux-image-${kver}`;
    let deb = readdirSync(kdir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) {
      log(`downloading ${pkg} (apt-get download)`);
      run('apt-get', ['download', pkg], { cwd: kdir });
      deb = readdirSync(kdir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
      if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${kdir}`);
    }
    log(`unpacking ${deb}`);
    rmSync(imageRoot, { recursive: true, force: true });
    run('dpkg-deb', ['-x', join(kdir, deb), imageRoot]);
    log('running depmod');
    run('depmod', ['-b', imageRoot, kver]);
    log('extracting vmlinux');
    extractVmlinux(join(imageRoot, 'boot', `vmlinuz-${kver}`), `${vmlinux}.tmp`);
    copyFileSync(`${vmlinux}.tmp`, vmlinux);
    rmSync(`${vmlinux}.tmp`);
  }
  return { kver, headers, vmlinux, imageRoot, busybox: '/bin/busybox', qemu: 'qemu-system-x86_64' };
}

export interface ModuleBuild { ko: string; log: string; warnings: string[] }

/** Build driver/linux out of tree in a copy under build/ (keeps the work tree clean). */
export function buildModule(a: Assets, log: Log = quiet): ModuleBuild {
  const src = join(ROOT, 'driver', 'linux');
  const dst = join(BUILD, 'module');
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(join(dst, 'uapi'), { recursive: true });
  for (const f of readdirSync(src)) if (/\.(c|h)$|^Kbuild$|^Makefile$/.test(f)) copyFileSync(join(src, f), join(dst, f));
  for (const f of readdirSync(join(src, 'uapi'))) copyFileSync(join(src, 'uapi', f), join(dst, 'uapi', f));
  log('building homa_nic.ko');
  const out = run('make', ['-C', a.headers, `M=${dst}`, 'W=1', 'modules']);
  const warnings = out.split('\n').filter((l) => /warning:|error:/i.test(l) && !/Skipping BTF generation/.test(l));
  return { ko: join(dst, 'homa_nic.ko'), log: out, warnings };
}

/**
 * Static guest programs: each driver/qemu/guest/*.c with a main() is a program, linked with
 * the other .c files there; -Werror, against the uapi headers only.
 */
export function buildGuestPrograms(log: Log = quiet): Record<string, string> {
  const src = join(ROOT, 'driver', 'qemu', 'guest');
  const dst = join(BUILD, 'guest');
  mkdirSync(dst, { recursive: true });
  const files = readdirSync(src);
  const cFiles = files.filter((n) => n.endsWith('.c'));
  const isProgram = (f: string): boolean => /^int main\(/m.test(readFileSync(join(src, f), 'utf8'));
  const shared = cFiles.filter((f) => !isProgram(f)).map((f) => join(src, f));
  const inputs = [...files.filter((n) => /\.[ch]$/.test(n)).map((n) => join(src, n)),
    join(ROOT, 'driver/linux/uapi/homa_nic_abi.h'), join(ROOT, 'driver/linux/uapi/homa_nic_ioctl.h')];
  const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
  const out: Record<string, string> = {};
  for (const f of cFiles.filter(isProgram)) {
    const name = f.replace(/\.c$/, '');
    const bin = join(dst, name);
    if (!existsSync(bin) || statSync(bin).mtimeMs < newest) {
      log(`compiling guest program ${name}`);
      run('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-I', join(ROOT, 'driver/linux/uapi'), '-o', bin, join(src, f), ...shared]);
    }
    out[name] = bin;
  }
  return out;
}

/** The host helper that serves ivshmem-doorbell (driver/qemu/ivshmem-server.c). */
export function buildHostHelper(log: Log = quiet): string {
  const src = join(ROOT, 'driver', 'qemu', 'ivshmem-server.c');
  const bin = join(BUILD, 'ivshmem-server');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    log('compiling ivshmem-server');
    mkdirSync(BUILD, { recursive: true });
    run('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, src]);
  }
  return bin;
}

/**
 * The files checkpatch must pass: the module and its uapi header as kernel code; the guest
 * and host C programs as user space (there uint32_t is right and volatile is how MMIO is read).
 */
export function checkpatchFiles(): { kernel: string[]; user: string[] } {
  const lx = join(ROOT, 'driver', 'linux');
  const guest = join(ROOT, 'driver', 'qemu', 'guest');
  return {
    kernel: [...readdirSync(lx).filter((f) => /\.(c|h)$|^Kbuild$|^Makefile$/.test(f)).map((f) => join(lx, f)), join(lx, 'uapi', 'homa_nic_ioctl.h')],
    user: [join(ROOT, 'driver', 'qemu', 'ivshmem-server.c'), ...readdirSync(guest).filter((f) => /\.[ch]$/.test(f)).map((f) => join(guest, f))],
  };
}
export const USER_SPACE_CHECKPATCH_IGNORES = 'PREFER_KERNEL_TYPES,VOLATILE';

/**
 * The kernel's scripts/checkpatch.pl. Debian's headers package lacks it, so it comes out of
 * the linux-source package of the same series (apt-get download, unpacked under build/).
 */
export function findCheckpatch(log: Log = quiet): string | null {
  const installed = spawnSync('sh', ['-c', 'find /usr/src -name checkpatch.pl 2>/dev/null | head -1'], { encoding: 'utf8' }).stdout.trim();
  if (installed) return installed;
  const dir = join(ROOT, 'build', 'checkpatch');
  const headers = headersDir();
  const series = headers ? /linux-headers-(\d+\.\d+)/.exec(headers)?.[1] : undefined;
  if (!series) return null;
  const script = join(dir, `linux-source-${series}`, 'scripts', 'checkpatch.pl');
  if (existsSync(script)) return script;
  if (process.getuid?.() !== 0 || !has('apt-get')) return null;
  mkdirSync(dir, { recursive: true });
  let deb = readdirSync(dir).find((f) => f.startsWith(`linux-source-${series}_`) && f.endsWith('.deb'));
  if (!deb) {
    log(`downloading linux-source-${series} for checkpatch.pl`);
    spawnSync('apt-get', ['download', `linux-source-${series}`], { cwd: dir, stdio: 'ignore' });
    deb = readdirSync(dir).find((f) => f.startsWith(`linux-source-${series}_`) && f.endsWith('.deb'));
    if (!deb) return null;
  }
  log('extracting scripts/checkpatch.pl');
  const want = ['checkpatch.pl', 'spelling.txt', 'const_structs.checkpatch'].map((f) => `'linux-source-${series}/scripts/${f}'`).join(' ');
  spawnSync('sh', ['-c', `dpkg-deb --fsys-tarfile '${deb}' | tar -xO ./usr/src/linux-source-${series}.tar.xz | tar -xJ ${want}`], { cwd: dir, stdio: 'ignore' });
  return existsSync(script) ? script : null;
}

/** checkpatch.pl --strict over checkpatchFiles(); a string says why it could not run. */
export function runCheckpatch(log: Log = quiet): { problems: string[]; output: string; script: string } | string {
  const script = findCheckpatch(log);
  if (!script) return 'no checkpatch.pl: the headers package lacks it; as root, apt-get download linux-source-<series> provides it';
  const files = checkpatchFiles();
  const base = [script, '--no-tree', '--strict', '--terse', '--show-types', '-f'];
  const k = spawnSync('perl', [...base, ...files.kernel], { encoding: 'utf8' });
  const u = spawnSync('perl', [...base, '--ignore', USER_SPACE_CHECKPATCH_IGNORES, ...files.user], { encoding: 'utf8' });
  const output = k.stdout + k.stderr + u.stdout + u.stderr;
  const problems = output.split('\n').filter((l) => /: (ERROR|WARNING|CHECK):/.test(l));
  return { problems, output, script };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const log: Log = (m) => process.stderr.write(`prepare: ${m}\n`);
  const a = prepareAssets(log);
  const m = buildModule(a, log);
  log(`module: ${m.ko}${m.warnings.length ? `, ${m.warnings.length} warnings:\n${m.warnings.join('\n')}` : ', no warnings'}`);
  const progs = buildGuestPrograms(log);
  buildHostHelper(log);
  const cp = runCheckpatch(log);
  log(typeof cp === 'string' ? `checkpatch: ${cp}` : `checkpatch (${cp.script}): ${cp.problems.length ? cp.problems.join('\n') : 'clean'}`);
  log(`ready: kernel ${a.kver} at ${a.vmlinux}; guest programs ${Object.keys(progs).join(', ')}`);
}
