// tools/wireshark/install.ts — `homa-nic wireshark`: where the Homa dissector is, and
// `--install` to copy it into Wireshark's personal Lua plugins folder (asked of tshark when
// it is installed, else the folder Wireshark uses by default on this system).

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HOMA_LUA } from './tshark.ts';
import { UsageError } from '../../sim/experiments/cli-args.ts';

export const WIRESHARK_HELP = `homa-nic wireshark — the Homa dissector for Wireshark and tshark (IP protocol 146)

Usage: homa-nic wireshark [--install] [--dir DIR]

  (no flag)    print where the dissector is and how to load it without installing
  --install    copy homa.lua into Wireshark's personal Lua plugins folder (restart Wireshark;
               tshark and Wireshark then decode Homa in every capture)
  --dir DIR    install into DIR instead
  --help       this text
`;

export interface WiresharkPlan { readonly install: boolean; readonly dir: string | undefined; readonly help: boolean }

export function parseWiresharkArgs(argv: readonly string[]): WiresharkPlan {
  let install = false;
  let dir: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--install') install = true;
    else if (a === '--help' || a === '-h') help = true;
    else if (a === '--dir') {
      dir = argv[++i];
      if (!dir) throw new UsageError('--dir needs a folder');
    } else throw new UsageError(`unknown flag "${a}"; accepted: --install, --dir, --help`);
  }
  if (dir !== undefined && !install) throw new UsageError('--dir goes with --install');
  return { install, dir, help };
}

/** Wireshark's personal Lua plugins folder: tshark's answer, else the platform default. */
export function personalPluginsDir(): string {
  const r = spawnSync('tshark', ['-G', 'folders'], { encoding: 'utf8' });
  if (!r.error && r.status === 0) {
    const line = r.stdout.split('\n').find((l) => l.startsWith('Personal Lua Plugins:'));
    const path = line?.slice(line.indexOf(':') + 1).trim();
    if (path) return path;
  }
  if (process.platform === 'win32') return join(process.env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Wireshark', 'plugins');
  return join(homedir(), '.local', 'lib', 'wireshark', 'plugins');
}

/** Runs the plan; returns the exit code. */
export function runWireshark(plan: WiresharkPlan, out: NodeJS.WritableStream = process.stdout): number {
  if (plan.help) { out.write(WIRESHARK_HELP); return 0; }
  if (!plan.install) {
    out.write(`${HOMA_LUA}\n`);
    out.write(`load it for one run:  tshark -X lua_script:${HOMA_LUA} -r capture.pcap\n`);
    out.write('install it:           npx homa-nic wireshark --install\n');
    return 0;
  }
  const dir = plan.dir ?? personalPluginsDir();
  mkdirSync(dir, { recursive: true });
  const target = join(dir, 'homa.lua');
  copyFileSync(HOMA_LUA, target);
  out.write(`installed ${target}; restart Wireshark, then filter with "homa"\n`);
  return 0;
}
