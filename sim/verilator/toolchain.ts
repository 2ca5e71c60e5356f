// sim/verilator/toolchain.ts — finding Verilator, g++ and the Node headers, and running them.
//
// Every missing piece is reported with the command that installs it, so a test run on a bare
// machine says what to do instead of failing deep inside a compiler.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const INSTALL_HINT = 'apt-get install verilator g++ make';

export interface Toolchain {
  readonly verilator: string;
  /** `verilator --version`, e.g. 'Verilator 5.006 2023-01-22 rev (Debian 5.006-3)'. */
  readonly verilatorVersion: string;
  /** VERILATOR_ROOT: holds include/verilated.cpp and friends. */
  readonly verilatorRoot: string;
  readonly cxx: string;
  readonly cxxVersion: string;
  /** Directory holding node_api.h. */
  readonly nodeInclude: string;
  /** Directory holding napi.h (node-addon-api). */
  readonly addonApiInclude: string;
}

export class ToolchainError extends Error {
  override readonly name = 'ToolchainError';
}

let cached: Toolchain | ToolchainError | undefined;

/** The toolchain (looked for once per process), or a ToolchainError naming what is missing and how to install it. */
export function findToolchain(): Toolchain | ToolchainError {
  if (cached === undefined) cached = probeToolchain();
  return cached;
}

/** The toolchain; throws ToolchainError when something is missing. */
export function requireToolchain(): Toolchain {
  const t = findToolchain();
  if (t instanceof ToolchainError) throw t;
  return t;
}

function firstLine(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return (r.stdout || r.stderr).split('\n')[0]!.trim();
}

/** Looks for the tools now; $VERILATOR, $CXX and $VERILATOR_ROOT in `env` override the defaults. */
export function probeToolchain(env: NodeJS.ProcessEnv = process.env): Toolchain | ToolchainError {
  const verilator = env['VERILATOR'] ?? 'verilator';
  const cxx = env['CXX'] ?? 'g++';
  const missing: string[] = [];
  const verilatorVersion = firstLine(verilator, ['--version']);
  if (!verilatorVersion) missing.push(`Verilator ('${verilator}' not found or not runnable)`);
  const cxxVersion = firstLine(cxx, ['--version']);
  if (!cxxVersion) missing.push(`a C++ compiler ('${cxx}' not found)`);
  let verilatorRoot = env['VERILATOR_ROOT'] ?? '';
  if (verilatorVersion && !verilatorRoot) {
    const r = spawnSync(verilator, ['--getenv', 'VERILATOR_ROOT'], { encoding: 'utf8' });
    verilatorRoot = r.stdout?.trim() ?? '';
  }
  if (verilatorVersion && !existsSync(join(verilatorRoot, 'include', 'verilated.cpp'))) {
    missing.push(`Verilator's runtime sources (no include/verilated.cpp under VERILATOR_ROOT='${verilatorRoot}')`);
  }
  const nodeInclude = [join(dirname(dirname(process.execPath)), 'include', 'node'), '/usr/include/node', '/usr/local/include/node']
    .find((d) => existsSync(join(d, 'node_api.h')));
  if (!nodeInclude) missing.push('the Node headers (node_api.h; apt-get install libnode-dev, or a Node tarball with include/)');
  let addonApiInclude = '';
  try {
    addonApiInclude = dirname(createRequire(import.meta.url).resolve('node-addon-api/package.json'));
  } catch {
    missing.push('node-addon-api (npm install)');
  }
  if (missing.length) {
    return new ToolchainError(`the Verilator engine needs ${missing.join(', ')}. Install with: ${INSTALL_HINT}`);
  }
  return { verilator, verilatorVersion: verilatorVersion!, verilatorRoot, cxx, cxxVersion: cxxVersion!, nodeInclude: nodeInclude!, addonApiInclude };
}

/** Runs a command; rejects with its output when it fails. */
export function run(cmd: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', (e) => reject(new ToolchainError(`cannot run ${cmd}: ${e.message}. Install with: ${INSTALL_HINT}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')}\n(in ${cwd}) failed with exit code ${code}:\n${out.slice(-6000)}`));
    });
  });
}

/** Progress for slow steps, on stderr; silenced by HOMA_QUIET=1. */
export function progress(message: string): void {
  if (process.env['HOMA_QUIET'] !== '1') process.stderr.write(`[verilator] ${message}\n`);
}
