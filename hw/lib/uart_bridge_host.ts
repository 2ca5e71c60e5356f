// hw/lib/uart_bridge_host.ts — the host's end of the UART bridge (uart_bridge.ts), in plain
// TypeScript with no I/O: the frame codec, and an endpoint that turns register accesses into
// requests (numbered, repeated when unanswered, failed after a bounded number of tries),
// serves the board's DMA reads from host memory and applies its DMA writes. The serial
// backend (driver/serial) puts it on a real port; the bridge's tests put it on a simulated
// line. Time is passed in (`now`, in any unit the caller chooses), so both can drive it.

import { UART_BRIDGE } from './uart_bridge.ts';

const T = UART_BRIDGE.type;

/** One checked frame. */
export interface BridgeFrame { readonly type: number; readonly payload: Uint8Array }

/** A frame's bytes: sync, type, len, payload, Fletcher check bytes (uart_bridge.ts). */
export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (payload.length > 255) throw new RangeError(`uart bridge frame payload of ${payload.length} bytes (at most 255)`);
  const out = new Uint8Array(payload.length + 5);
  out[0] = UART_BRIDGE.sync; out[1] = type; out[2] = payload.length; out.set(payload, 3);
  let a = 0, b = 0;
  for (let i = 1; i < payload.length + 3; i++) { a = (a + out[i]!) & 0xff; b = (b + a) & 0xff; }
  out[payload.length + 3] = a; out[payload.length + 4] = b;
  return out;
}

/** Frames out of a byte stream, with the hardware's resynchronisation rules. */
export class FrameDecoder {
  private state: 'hunt' | 'type' | 'len' | 'payload' | 'sum_a' | 'sum_b' = 'hunt';
  private type = 0;
  private payload: number[] = [];
  private len = 0;
  private a = 0;
  private b = 0;
  /** Frames dropped (bad check or length). */
  bad = 0;

  push(bytes: Uint8Array, out: BridgeFrame[] = []): BridgeFrame[] {
    for (const x of bytes) {
      const sum = () => { this.a = (this.a + x) & 0xff; this.b = (this.b + this.a) & 0xff; };
      switch (this.state) {
        case 'hunt': if (x === UART_BRIDGE.sync) this.state = 'type'; break;
        case 'type': this.type = x; this.a = 0; this.b = 0; sum(); this.state = 'len'; break;
        case 'len':
          sum(); this.len = x; this.payload = [];
          if (x > UART_BRIDGE.maxLen) { this.bad++; this.state = 'hunt'; } else this.state = x === 0 ? 'sum_a' : 'payload';
          break;
        case 'payload': sum(); this.payload.push(x); if (this.payload.length === this.len) this.state = 'sum_a'; break;
        case 'sum_a': if (x === this.a) this.state = 'sum_b'; else { this.bad++; this.state = 'hunt'; } break;
        case 'sum_b':
          this.state = 'hunt';
          if (x === this.b) out.push({ type: this.type, payload: Uint8Array.from(this.payload) }); else this.bad++;
          break;
      }
    }
    return out;
  }

  /** Forget a partial frame (after a pause in the middle of one, as the hardware does). */
  reset(): void { if (this.state !== 'hunt') this.bad++; this.state = 'hunt'; }
}

/** Host memory as the board's DMA sees it. */
export interface BridgeMemory {
  read(addr: bigint, len: number): Uint8Array;
  write(addr: bigint, bytes: Uint8Array): void;
}

/** Why a request failed. */
export class BridgeError extends Error {}

interface Pending { seq: number; frame: Uint8Array; sentAt: number; tries: number; result?: number; error?: BridgeError; what: string }

const be = (v: bigint, n: number) => Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * (n - 1 - i))) & 0xffn));
const beNum = (b: Uint8Array, at: number, n: number) => { let v = 0n; for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[at + i]!); return v; };

export interface BridgeHostOptions {
  /** Time after which an unanswered request is sent again (the caller's unit). */
  readonly retryAfter: number;
  /** Sends of one request before it fails. */
  readonly tries: number;
}

/** The host's end of the link, without I/O: feed it bytes and time, send what it gives you. */
export class BridgeHost {
  private readonly decoder = new FrameDecoder();
  private pending: Pending | null = null;
  private seq = Math.floor(Math.random() * 256);
  private nextWseq: number | null = null;
  /** IRQ messages received (a queue pair's event each). */
  irqs = 0;
  /** DMA write chunks the board sent that never arrived (gaps in their numbers). */
  lostWrites = 0;
  /** DMA read requests served (a repeated request is served again). */
  readsServed = 0;
  /** PONGs received (a board answered a PING). */
  pongs = 0;
  /** Frames dropped on the way in (bad check or length). */
  get badFrames(): number { return this.decoder.bad; }

  constructor(private readonly memory: BridgeMemory, private readonly send: (bytes: Uint8Array) => void, private readonly o: BridgeHostOptions) {}

  /** Starts a session: a run of bytes that ends any partial frame on the board, then a PING. */
  ping(): void {
    this.send(new Uint8Array(UART_BRIDGE.maxLen + 6));
    this.send(encodeFrame(T.ping));
  }

  /** Starts a register read or write; `poll` and `result` follow it. One at a time. */
  start(write: boolean, addr: number, value: number, now: number): void {
    if (this.pending && this.pending.result === undefined && !this.pending.error) throw new BridgeError('uart bridge: a register request is already in flight');
    this.seq = (this.seq + 1) & 0xff;
    const head = [this.seq, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff];
    const payload = write ? Uint8Array.from([...head, ...be(BigInt(value >>> 0), 4)]) : Uint8Array.from(head);
    const frame = encodeFrame(write ? T.regWrite : T.regRead, payload);
    const what = `${write ? 'write' : 'read'} of register 0x${addr.toString(16)}`;
    this.pending = { seq: this.seq, frame, sentAt: now, tries: 1, what };
    this.send(frame);
  }

  /** The finished request's value, its error, or undefined while it is in flight. */
  result(): { value: number } | { error: BridgeError } | undefined {
    const p = this.pending;
    if (!p) return undefined;
    if (p.error) return { error: p.error };
    return p.result === undefined ? undefined : { value: p.result };
  }

  /** Repeats an unanswered request, or fails it after `tries` sends. */
  poll(now: number): void {
    const p = this.pending;
    if (!p || p.result !== undefined || p.error || now - p.sentAt < this.o.retryAfter) return;
    if (p.tries >= this.o.tries) {
      p.error = new BridgeError(`uart bridge: no answer to the ${p.what} after ${p.tries} tries (is the board powered, programmed, on this port, at this baud rate?)`);
      return;
    }
    p.tries++;
    p.sentAt = now;
    this.send(p.frame);
  }

  /** Bytes from the board. */
  receive(bytes: Uint8Array): void {
    for (const f of this.decoder.push(bytes)) this.handle(f);
  }

  /** A pause in the line (longer than the board's idle limit): forget a partial frame. */
  lineIdle(): void { this.decoder.reset(); }

  /** The board says its next WR is numbered `wseq`: chunks numbered before it that never came are lost. */
  private checkpoint(wseq: number): void {
    if (this.nextWseq !== null) this.lostWrites += (wseq - this.nextWseq) & 0xff;
    this.nextWseq = wseq;
  }

  private handle(f: BridgeFrame): void {
    const p = f.payload;
    switch (f.type) {
      case T.regResp:
        if (p.length === 5 && this.pending && this.pending.result === undefined && p[0] === this.pending.seq) this.pending.result = Number(beNum(p, 1, 4));
        break;
      case T.pong: this.pongs++; if (p.length === 1) this.checkpoint(p[0]!); break;
      case T.irq: this.irqs++; if (p.length === 2) this.checkpoint(p[1]!); break;
      case T.rdReq: {
        if (p.length !== 12) break;
        const tag = p[0]!, addr = beNum(p, 2, 8), len = Number(beNum(p, 10, 2));
        const data = this.memory.read(addr, len);
        this.readsServed++;
        for (let off = 0; off < len; off += UART_BRIDGE.maxChunk) {
          const n = Math.min(UART_BRIDGE.maxChunk, len - off);
          this.send(encodeFrame(T.rdData, Uint8Array.from([tag, off >> 8, off & 0xff, ...data.subarray(off, off + n)])));
        }
        break;
      }
      case T.wr: {
        if (p.length < 11) break;
        this.checkpoint(p[1]!);
        this.nextWseq = (p[1]! + 1) & 0xff;
        this.memory.write(beNum(p, 2, 8), p.subarray(10));
        break;
      }
    }
  }
}
