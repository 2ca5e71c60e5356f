// driver/serial/worker.ts — the serial backend's worker thread: opens the port (stty for raw
// 8N1 at the baud rate, then reads and writes on its descriptor), runs the bridge's host end (hw/lib/uart_bridge_host.ts) on it, serves
// the board's DMA reads and writes from the host memory the device shared with it, counts
// its interrupts, and answers the register requests the device posts in the control block.

import { execFileSync } from 'node:child_process';
import { closeSync, openSync, read, writeSync } from 'node:fs';
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
  // The port: raw 8N1 at the baud rate (stty), then plain reads and writes on its descriptor.
  try {
    execFileSync('stty', ['-F', config.path, 'raw', '-echo', '-crtscts', 'cs8', '-cstopb', '-parenb', String(config.baud)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    fail(`cannot set up ${config.path} (raw, ${config.baud} baud): ${why}`);
    return;
  }
  let fd: number;
  try { fd = openSync(config.path, 'r+'); } catch (e) { fail(`cannot open ${config.path}: ${(e as Error).message}`); return; }
  let open = true;
  const port = {
    write: (bytes: Uint8Array) => { if (open) writeSync(fd, bytes); },
    close: () => { open = false; closeSync(fd); },
  };
  const now = () => performance.now();
  const host = new BridgeHost(memory, (bytes) => port.write(bytes), { retryAfter: config.retryMs, tries: config.tries });
  let lastByteAt = now();
  let afterReceive = (): void => {};
  const buf = Buffer.alloc(4096);
  const readMore = (): void => {
    read(fd, buf, 0, buf.length, null, (e, n) => {
      if (!open) return;
      if (e || n === 0) {
        writeText(config.text, control, `${config.path}: ${e ? e.message : 'closed (end of file)'}`);
        Atomics.store(control, SLOT.open, 2);
        Atomics.notify(control, SLOT.state);
        return;
      }
      lastByteAt = now();
      host.receive(buf.subarray(0, n));
      afterReceive();
      Atomics.store(control, SLOT.lostWrites, host.lostWrites);
      if (host.irqs !== Atomics.load(control, SLOT.events)) {
        Atomics.store(control, SLOT.events, host.irqs);
        Atomics.notify(control, SLOT.events);
      }
      readMore();
    });
  };
  readMore();

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
    if (now() - lastByteAt > config.retryMs / 2) host.lineIdle();
    settle();
  }, 2);

  parentPort!.on('message', (m: WorkerMessage) => {
    if (m.kind === 'alloc') regions.set(m.address, new Uint8Array(m.buffer));
    else if (m.kind === 'free') regions.delete(m.address);
    else {
      clearInterval(tick);
      closed = true;
      Atomics.store(control, SLOT.open, 3);
      port.close();
      parentPort!.close();
    }
  });
}

void main().catch((e: unknown) => fail(`serial worker: ${(e as Error).stack ?? e}`));
