// boards/flows/run.ts — runs one tool of a flow in the build folder: output into the folder's
// logs, a progress line every 30 seconds while it runs, and an error naming the tool, its
// log and how to install it.

import { spawn } from 'node:child_process';

export type Progress = (line: string) => void;

export class FlowError extends Error {}

const PACKAGE: Record<string, string> = { yosys: 'yosys', 'nextpnr-ice40': 'nextpnr-ice40', icepack: 'fpga-icestorm', iceprog: 'fpga-icestorm' };

export function runTool(tool: string, args: string[], cwd: string, progress: Progress, o: { allowFailure?: boolean } = {}): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setInterval(() => progress(`      ${tool}: ${Math.round((Date.now() - started) / 1000)} s`), 30_000);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearInterval(timer);
      reject(new FlowError(e.code === 'ENOENT' ? `${tool} is not installed (apt-get install ${PACKAGE[tool] ?? tool})` : `${tool}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearInterval(timer);
      progress(`      ${tool}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (code !== 0 && !o.allowFailure) reject(new FlowError(`${tool} failed (exit ${code}) in ${cwd}: ${err.trim().split('\n').slice(-3).join(' | ') || 'see its log there'}`));
      else resolve(code ?? 1);
    });
  });
}
