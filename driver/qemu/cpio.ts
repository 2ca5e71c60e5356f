// driver/qemu/cpio.ts — an initramfs is a cpio archive in the "newc" format (the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII
// header of hex fields, the name, the data, each padded to 4 bytes; "TRAILER!!!" ends it.

export interface CpioEntry {
  /** Path inside the archive, without a leading slash. */
  path: string;
  /** 'file' (with data), 'dir', 'symlink' (data = target) or 'char' (a device node). */
  kind: 'file' | 'dir' | 'symlink' | 'char';
  mode?: number;
  data?: Uint8Array | string;
  /** Device numbers of a char node. */
  major?: number;
  minor?: number;
}

const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000 } as const;

function hex8(n: number): string { return (n >>> 0).toString(16).padStart(8, '0'); }
function pad4(n: number): number { return (4 - (n % 4)) % 4; }

/** The archive as one buffer; parent directories must be listed before their contents. */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (e: CpioEntry): void => {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const name = Buffer.from(`${e.path}\0`);
    const perm = e.mode ?? (e.kind === 'dir' ? 0o755 : e.kind === 'symlink' ? 0o777 : 0o644);
    const header = '070701' + [
      ino++, TYPE_BITS[e.kind] | perm, 0, 0, e.kind === 'dir' ? 2 : 1, 0, data.length,
      0, 0, e.major ?? 0, e.minor ?? 0, name.length, 0,
    ].map(hex8).join('');
    parts.push(Buffer.from(header), name, Buffer.alloc(pad4(110 + name.length)), data, Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) push(e);
  push({ path: 'TRAILER!!!', kind: 'file', mode: 0 });
  return Buffer.concat(parts);
}
