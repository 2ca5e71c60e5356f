#!/usr/bin/env node
// scripts/setup.mjs — makes a fresh machine ready: npm dependencies, then (with --tools) the
// hardware tools from Debian's packages. Plain Node with no dependencies, so it runs before
// `npm ci`. Safe to run again: it only installs what is missing.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wantTools = process.argv.includes('--tools');

/** Debian package for each command the tests and flows use. */
const TOOLS = [
  { cmd: 'verilator', pkg: 'verilator', why: 'lint and the Verilator simulation engine' },
  { cmd: 'iverilog', pkg: 'iverilog', why: 'differential simulation against Icarus' },
  { cmd: 'yosys', pkg: 'yosys', why: 'synthesis checks and estimates' },
  { cmd: 'nextpnr-ice40', pkg: 'nextpnr-ice40', why: 'iCE40 place and route' },
  { cmd: 'icepack', pkg: 'fpga-icestorm', why: 'iCE40 bitstreams' },
  { cmd: 'tshark', pkg: 'tshark', why: 'reading pcap captures back in tests' },
  { cmd: 'socat', pkg: 'socat', why: 'the simulated board behind a pseudo-terminal' },
  { cmd: 'stty', pkg: 'coreutils', why: 'raw mode for the serial backend\'s tty' },
  { cmd: 'g++', pkg: 'g++', why: 'native addons' },
  { cmd: 'make', pkg: 'make', why: 'native addons' },
];

function log(msg) { process.stderr.write(`setup: ${msg}\n`); }
function has(cmd) { return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0; }

if (!existsSync(join(root, 'node_modules', '.bin', 'vitest'))) {
  log('node_modules missing: running npm ci');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

if (wantTools) {
  const missing = TOOLS.filter((t) => !has(t.cmd));
  if (missing.length) {
    const pkgs = [...new Set(missing.map((t) => t.pkg))];
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (isRoot && has('apt-get')) {
      log(`installing ${pkgs.join(' ')} (for ${missing.map((t) => t.why).join('; ')})`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      const install = update.status === 0
        ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env })
        : update;
      if (install.status !== 0) log(`apt-get failed; tests that need ${pkgs.join(', ')} will be skipped with a message`);
    } else {
      log(`missing ${pkgs.join(' ')}; not root or no apt-get, so tests that need them are skipped.`);
      log(`to install: sudo apt-get install ${pkgs.join(' ')}`);
    }
  }
}
