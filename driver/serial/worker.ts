// driver/serial/worker.ts — the serial backend's worker thread: opens the port with the
// serialport package, runs the bridge's host end (hw/lib/uart_bridge_host.ts) on it, serves
// the board's DMA reads and writes from the host memory the device shared with it, counts
// its interrupts, and answers the register requests the device posts in the control block.

import { parentPort, workerData } from 'node:worker_threads';
import { BridgeHost, type BridgeMemory } from '../../hw/lib/uart_bridge_host.ts';
import { SLOT, waitAsync, writeText, type WorkerConfig, type WorkerMessage } from './shared.ts';

const config = workerData as WorkerConfig;
const control = new Int32Array(config.control);
const regions = new Map<bigint, Uint8Array>();

function fail(message: string): void {
  writeText(config.text, control, message);
  Atomics.store(control, SLOT.open, 2);
  Atomics.notify(control, SLOT.open);
}

function region(addr: bigint, len: number): { bytes: Uint8Array; at: number } | null {
  for (const [base, bytes] of regions) {
    if (addr >= base && addr + BigInt(len) <= base + BigInt(bytes.length)) return { bytes, at: Number(addr - base) };
  }
  return null;
}

const memory: BridgeMemory = {
  read(addr, len) {
    const r = region(addr, len);
    if (!r) { Atomics.add(control, SLOT.dmaFaults, 1); return new Uint8Array(len); }
    return r.bytes.slice(r.at, r.at + len);
  },
  write(addr, data) {
    const r = region(addr, data.length);
    if (!r) { Atomics.add(control, SLOT.dmaFaults, 1); return; }
    r.bytes.set(data, r.at);
  },
};

async function main(): Promise<void> {
  let SerialPort: typeof import('serialport').SerialPort;
  try {
    ({ SerialPort } = await import('serialport'));
  } catch {
    fail('the serial backend needs the serialport package: npm install serialport');
    return;
  }
  const port = new SerialPort({ path: config.path, baudRate: config.baud, autoOpen: false });
  const opened = await new Promise<Error | null>((resolve) => port.open((e) => resolve(e ?? null)));
  if (opened) { fail(`cannot open ${config.path}: ${opened.message}`); return; }
  port.on('error', (e: Error) => { writeText(config.text, control, `${config.path}: ${e.message}`); Atomics.store(control, SLOT.open, 2); });
  port.on('close', () => { if (Atomics.load(control, SLOT.open) === 1) { writeText(config.text, control, `${config.path} closed`); Atomics.store(control, SLOT.open, 2); } });
  const now = () => performance.now();
  const host = new BridgeHost(memory, (bytes) => { port.write(Buffer.from(bytes)); }, { retryAfter: config.retryMs, tries: config.tries });
  let lastByteAt = now();
  let afterReceive = (): void => {};
  port.on('data', (chunk: Buffer) => {
    lastByteAt = now();
    host.receive(chunk);
    afterReceive();
    Atomics.store(control, SLOT.lostWrites, host.lostWrites);
    if (host.irqs !== Atomics.load(control, SLOT.events)) {
      Atomics.store(control, SLOT.events, host.irqs);
      Atomics.notify(control, SLOT.events);
    }
  });

  // A session starts with a PING; the board must answer within the retry budget.
  const deadline = now() + config.retryMs * config.tries;
  while (host.pongs === 0 && now() < deadline) {
    host.ping();
    await new Promise((r) => setTimeout(r, config.retryMs));
  }
  if (host.pongs === 0) {
    fail(`no answer from a board on ${config.path} at ${config.baud} baud after ${config.tries} tries (is it powered, programmed with the homa-nic bitstream, on this port?)`);
    port.close();
    return;
  }
  Atomics.store(control, SLOT.open, 1);
  Atomics.notify(control, SLOT.open);

  // Register requests: taken as soon as the device posts one, answered as soon as the board does.
  let busy = false;
  const settle = (): void => {
    if (!busy) return;
    host.poll(now());
    const r = host.result();
    if (!r) return;
    busy = false;
    if ('error' in r) { writeText(config.text, control, r.error.message); Atomics.store(control, SLOT.state, 3); }
    else { Atomics.store(control, SLOT.result, r.value | 0); Atomics.store(control, SLOT.state, 2); }
    Atomics.notify(control, SLOT.state);
  };
  afterReceive = settle;
  let closed = false;
  const take = async (): Promise<void> => {
    while (!closed) {
      if (!busy && Atomics.load(control, SLOT.state) === 1) {
        busy = true;
        host.start(Atomics.load(control, SLOT.write) === 1, Atomics.load(control, SLOT.addr), Atomics.load(control, SLOT.value) >>> 0, now());
      }
      const w = waitAsync(control, SLOT.state, Atomics.load(control, SLOT.state), 50);
      if (w.async) await w.value;
    }
  };
  void take();
  const tick = setInterval(() => {
    if (now() - lastByteAt > 5) host.lineIdle();
    settle();
  }, 2);

  parentPort!.on('message', (m: WorkerMessage) => {
    if (m.kind === 'alloc') regions.set(m.address, new Uint8Array(m.buffer));
    else if (m.kind === 'free') regions.delete(m.address);
    else {
      clearInterval(tick);
      closed = true;
      Atomics.store(control, SLOT.open, 3);
      port.close(() => parentPort!.close());
    }
  });
}

void main().catch((e: unknown) => fail(`serial worker: ${(e as Error).stack ?? e}`));
