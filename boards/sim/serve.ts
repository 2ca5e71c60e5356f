// boards/sim/serve.ts — a simulated iCEBreaker behind a pseudo-terminal: `npx tsx
// boards/sim/serve.ts [--engine js|verilator] [--peer model]` starts socat with a pty pair,
// prints `board: serial:<host end>` once the board is running, and serves the board side
// until killed. host-lib then opens `serial:<host end>` as it would a real board's USB-UART.
// With --peer model, a reference-model NIC (10.0.0.1) sits on the board's Ethernet port and
// sends requests of --requests N (default 0) to port 99 of 10.0.0.2, counting replies.

import '../../plugins/engines.ts';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ModelNic } from '../../sim/model/nic.ts';
import { SimBoard } from './sim-board.ts';

export const BOARD_IP = Uint8Array.of(10, 0, 0, 2);
export const PEER_IP = Uint8Array.of(10, 0, 0, 1);

/** A socat pty pair: [board end, host end]; throws a clear message without socat. */
export function ptyPair(): Promise<{ board: string; host: string; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const p = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const paths: string[] = [];
    let err = '';
    p.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'ENOENT' ? 'socat is not installed (apt-get install socat)' : `socat: ${e.message}`)));
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      for (const m of d.toString().matchAll(/PTY is (\S+)/g)) paths.push(m[1]!);
      if (paths.length === 2) {
        process.on('exit', () => p.kill());
        resolve({ board: paths[0]!, host: paths[1]!, stop: () => p.kill() });
      }
    });
    p.on('exit', (code) => { if (paths.length < 2) reject(new Error(`socat exited (${code}): ${err.trim()}`)); });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { engine: { type: 'string', default: 'verilator' }, peer: { type: 'string' }, requests: { type: 'string', default: '0' }, verbose: { type: 'boolean' } } });
  const pty = await ptyPair();
  const fd = openSync(pty.board, 'r+');
  const board = await SimBoard.create((b) => writeSync(fd, b), { engine: values.engine });
  let peer: ModelNic | null = null;
  const calls = { sent: 0, replies: 0, failed: 0 };
  if (values.peer === 'model') {
    peer = new ModelNic({ address: PEER_IP });
    board.attachPeer(peer);
    // `requests N` on stdin: the peer sends N requests to port 99 of the board, one at a time
    // (each after the last one's reply or failure), and reports on stdout.
    const qp = peer.openQueuePair({ bpages: 40 });
    let left = 0;
    const next = () => {
      if (left === 0) return;
      left--;
      calls.sent++;
      qp.sendRequest({ peer: BOARD_IP, dport: 99, payload: new TextEncoder().encode(`request ${calls.sent}`) });
    };
    process.stdin.on('data', (d: Buffer) => {
      const m = /requests (\d+)/.exec(d.toString());
      if (m) { left = Number(m[1]); next(); }
    });
    setInterval(() => {
      for (let c = qp.poll(); c; c = qp.poll()) {
        if (c.error) calls.failed++; else calls.replies++;
        next();
      }
      console.log(`peer: sent=${calls.sent} replies=${calls.replies} failed=${calls.failed} frames_from_board=${board.counts.framesOut} frames_to_board=${board.counts.framesIn}`);
    }, 500).unref();
  }
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => { pty.stop(); closeSync(fd); process.exit(0); });
  process.stdin.on('end', () => { pty.stop(); process.exit(0); });
  console.log(`board: serial:${pty.host}`);
  // Reading a pty blocks; a child reader would be cleaner, but a non-blocking poll between
  // batches of cycles keeps this one loop.
  const { O_NONBLOCK, O_RDWR } = await import('node:fs').then((f) => f.constants);
  const nb = openSync(pty.board, O_RDWR | O_NONBLOCK);
  const buf = Buffer.alloc(4096);
  if (values.verbose) setInterval(() => console.error(`board: cycle ${board.sim.cycle}`, board.counts), 2000).unref();
  for (;;) {
    let n = 0;
    try { n = readSync(nb, buf, 0, buf.length, null); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; }
    if (n > 0) board.uartSend(buf.subarray(0, n));
    board.run(2000);
    if (board.quiet() && n === 0) await new Promise((r) => setTimeout(r, 1));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
