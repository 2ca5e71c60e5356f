// The serial backend end to end: host-lib on `serial:<pty>` with a simulated iCEBreaker
// (boards/sim/serve.ts) on the other end of a socat pseudo-terminal pair.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, expect, test } from 'vitest';
import { open } from '../../host-lib/index.ts';
import { openBackend } from '../../host-lib/backend-registry.ts';
import { readCounters } from '../../tools/stats/counters.ts';
import { testEngines } from '../../hw/hdl/sim/index.ts';
import { ptyPair } from './serve.ts';

const socat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
if (!socat) console.warn('boards/sim/serial.test.ts: skipped, socat is not installed (apt-get install socat)');
// The board core is large: Verilator where it runs (one build, then cached), else the JS simulator.
const engine = testEngines().run.includes('verilator') ? 'verilator' : 'js';

const children: ChildProcess[] = [];
afterAll(() => { for (const c of children) c.kill('SIGTERM'); });

async function startBoard(): Promise<{ url: string; peer: (line: string) => void; lines: string[] }> {
  const board = spawn(process.execPath, ['--import', 'tsx', 'boards/sim/serve.ts', '--engine', engine, '--peer', 'model'], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(board);
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    board.on('exit', (code) => reject(new Error(`simulated board exited (${code})`)));
    createInterface({ input: board.stdout! }).on('line', (l) => {
      lines.push(l);
      const m = /^board: (serial:\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
  });
  return { url, peer: (line) => board.stdin!.write(`${line}\n`), lines };
}

test.skipIf(!socat)('serial: a port with no board behind it fails to open, saying what to check', async () => {
  const pty = await ptyPair();
  try {
    expect(() => openBackend(`serial:${pty.host}?retry_ms=100&tries=3`)).toThrow(/no answer from a board on \/dev\/pts\/\d+ at 3000000 baud after 3 tries/);
  } finally { pty.stop(); }
});

test('serial: a malformed URL is refused with the form of a good one', () => {
  expect(() => openBackend('serial:/dev/ttyUSB1?speed=9600')).toThrow(/unknown parameter 'speed'; use serial:\/dev\/ttyUSB1\?baud=3000000/);
  expect(() => openBackend('serial:')).toThrow(/use serial:/);
});

test.skipIf(!socat)(`serial: registers over the UART bridge, and a request from the wire reaches a host-lib server (${engine} board)`, async () => {
  const board = await startBoard();
  const device = openBackend(`${board.url}?address=10.0.0.2&retry_ms=1000`);
  try {
    // The identity block's first word, as on every other backend, and the address programmed at open.
    const identity = device.read32(0);
    expect(identity).toBe(0x484d4944);
    const nic = open(device);
    const server = nic.socket({ port: 99, server: true });
    board.peer('requests 1');
    const it = server.requests()[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(first.value!.text()).toBe('request 1');
    const counters = readCounters(device);
    expect(counters.get('packets_rcvd_DATA')).toBe(1n);
    expect(counters.get('server_requests_done')).toBe(1n);
    server.close();
  } finally { device.close(); }
}, 600_000);
