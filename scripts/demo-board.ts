// scripts/demo-board.ts — `npm run demo:board`: host-lib on a simulated iCEBreaker over a
// serial line. The board (boards/sim/serve.ts: the board core in Verilator, or the JS
// simulator without it) sits behind a socat pseudo-terminal pair; a reference-model NIC on its
// Ethernet port sends 100 requests to port 99; host-lib, through `serial:<pty>`, runs the
// server that answers them. Ends with `demo-board: <n> rpcs over serial:<path>, <e> errors`;
// an RPC counts when its reply reached the peer.

import '../plugins/index.ts';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { open } from '../host-lib/index.ts';
import { openBackend } from '../host-lib/backend-registry.ts';
import { readCounters } from '../tools/stats/counters.ts';
import { findToolchain, ToolchainError } from '../sim/verilator/toolchain.ts';

const RPCS = 100;
const STALL_MS = 60_000;
const REPLY_MS = 30_000;

function ensureSocat(): boolean {
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0) return true;
  if (process.getuid?.() !== 0) { console.error('demo-board: socat is missing and this is not root: apt-get install socat'); return false; }
  console.log('demo-board: installing socat (apt-get install socat)');
  return spawnSync('apt-get', ['install', '-y', 'socat'], { stdio: 'inherit' }).status === 0;
}

async function main(): Promise<number> {
  if (!ensureSocat()) return 1;
  const engine = findToolchain() instanceof ToolchainError ? 'js' : 'verilator';
  if (engine === 'js') console.log('demo-board: no Verilator here; the board runs in the JS simulator (about 30x slower)');
  console.log(`demo-board: starting the simulated iCEBreaker (${engine}; the first Verilator build takes a minute or two)`);
  const board = spawn(process.execPath, [...process.execArgv, 'boards/sim/serve.ts', '--engine', engine, '--peer', 'model'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let path = '';
  let peer = { sent: 0, replies: 0, failed: 0, framesFromBoard: 0, framesToBoard: 0 };
  const ready = new Promise<void>((resolve, reject) => {
    board.on('exit', (code) => reject(new Error(`the simulated board exited (${code})`)));
    createInterface({ input: board.stdout! }).on('line', (line) => {
      const b = /^board: (serial:\S+)/.exec(line);
      if (b) { path = b[1]!; resolve(); }
      const p = /^peer: sent=(\d+) replies=(\d+) failed=(\d+) frames_from_board=(\d+) frames_to_board=(\d+)/.exec(line);
      if (p) peer = { sent: +p[1]!, replies: +p[2]!, failed: +p[3]!, framesFromBoard: +p[4]!, framesToBoard: +p[5]! };
    });
  });
  let received = 0, replied = 0, hostErrors = 0;
  try {
    await ready;
    console.log(`demo-board: board on ${path}; host-lib opens it`);
    const device = openBackend(`${path}?address=10.0.0.2&retry_ms=1000`);
    const nic = open(device);
    const server = nic.socket({ port: 99, server: true });
    void (async () => {
      try {
        for await (const request of server.requests()) {
          received++;
          try { await server.reply(request, `reply to ${request.text()}`); replied++; } catch (e) { hostErrors++; console.error(`demo-board: reply: ${(e as Error).message}`); }
        }
      } catch (e) { hostErrors++; console.error(`demo-board: server: ${(e as Error).message}`); }
    })();
    board.stdin!.write(`requests ${RPCS}\n`);
    let lastChange = Date.now(), shown = '', marker = '', repliedAt = 0, answered = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const m = `${received}/${replied}/${peer.replies}/${peer.failed}`;
      if (m !== marker) { marker = m; lastChange = Date.now(); }
      if (replied > answered) { answered = replied; repliedAt = Date.now(); }
      const line = `demo-board: peer sent ${peer.sent}, got ${peer.replies} replies; host-lib received ${received} requests, replied ${replied}; frames to the board ${peer.framesToBoard}, from it ${peer.framesFromBoard}`;
      if (line !== shown) { console.log(line); shown = line; }
      if (peer.replies + peer.failed >= RPCS) break;
      // host-lib replied and nothing came back to the peer: did the board's engine send DATA at all?
      if (repliedAt && peer.replies < replied && Date.now() - repliedAt > REPLY_MS) {
        const sent = readCounters(device).get('packets_sent_DATA') ?? 0n;
        if (sent === 0n) {
          console.log(`demo-board: host-lib received ${received} request(s) over the serial link and replied, but the board's engine sent no DATA packet (packets_sent_DATA = 0), so no RPC can complete`);
          break;
        }
      }
      if (Date.now() - lastChange > STALL_MS) { console.log(`demo-board: no progress for ${STALL_MS / 1000} s; stopping`); break; }
    }
  } catch (e) {
    hostErrors++;
    console.error(`demo-board: ${(e as Error).message}`);
  } finally {
    board.kill('SIGTERM');
  }
  const errors = hostErrors + peer.failed + (RPCS - peer.replies - peer.failed);
  console.log(`demo-board: ${peer.replies} rpcs over ${path || 'serial:(none)'}, ${errors} errors`);
  return peer.replies >= RPCS && errors === 0 ? 0 : 1;
}

process.exit(await main());
