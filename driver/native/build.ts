// driver/native/build.ts — compiles addon.cpp into build/native/homa_nic_native.node with g++
// against the running Node's headers and node-addon-api (one translation unit, no node-gyp
// needed; rebuilt only when a source is newer). `npx tsx driver/native/build.ts` builds it.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDON_PATH } from './index.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the running Node keeps node_api.h, or null. */
export function nodeIncludeDir(): string | null {
  const dir = join(dirname(dirname(process.execPath)), 'include', 'node');
  return existsSync(join(dir, 'node_api.h')) ? dir : null;
}

export function buildAddon(log: (m: string) => void = () => {}): string {
  const sources = ['driver/native/addon.cpp', 'driver/linux/uapi/homa_nic_abi.h', 'driver/linux/uapi/homa_nic_ioctl.h'].map((f) => join(ROOT, f));
  if (existsSync(ADDON_PATH) && sources.every((s) => statSync(s).mtimeMs <= statSync(ADDON_PATH).mtimeMs)) return ADDON_PATH;
  const nodeInclude = nodeIncludeDir();
  if (!nodeInclude) throw new Error(`no Node headers next to ${process.execPath} (install the nodejs headers, e.g. apt-get install libnode-dev)`);
  mkdirSync(dirname(ADDON_PATH), { recursive: true });
  log('compiling the homa_nic addon');
  const r = spawnSync('g++', [
    '-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared',
    `-I${nodeInclude}`, `-I${join(ROOT, 'node_modules', 'node-addon-api')}`, `-I${join(ROOT, 'driver', 'linux', 'uapi')}`,
    '-DNAPI_CPP_EXCEPTIONS', '-DNAPI_VERSION=8', '-o', ADDON_PATH, sources[0]!,
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`g++ failed building the addon:\n${r.stdout}${r.stderr}`);
  return ADDON_PATH;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(buildAddon((m) => process.stderr.write(`native: ${m}\n`)));
}
