// conformance/check.ts — how a conformance test fails: it throws a ConformanceFailure whose
// message says what was expected and what happened, citing the rule (spec section) broken.

import { HomaError } from '../host-lib/errors.ts';
import type { HomaSocket, ReceiveOptions } from '../host-lib/socket.ts';
import type { Message } from '../host-lib/message.ts';

export class ConformanceFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConformanceFailure';
  }
}

export function fail(message: string): never { throw new ConformanceFailure(message); }

export function check(ok: boolean, message: string): asserts ok {
  if (!ok) fail(message);
}

const text = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));

/** `what` must equal `want` (compared as JSON). */
export function equal<T>(what: string, got: T, want: T): void {
  if (text(got) !== text(want)) fail(`${what}: expected ${text(want)}, got ${text(got)}`);
}

/** Each named counter must have the value given (counters read through the register map). */
export function countersAre(counters: Readonly<Record<string, number>>, want: Readonly<Record<string, number>>): void {
  const wrong = Object.entries(want).filter(([k, v]) => (counters[k] ?? 0) !== v);
  if (wrong.length > 0) fail(`counters: ${wrong.map(([k, v]) => `${k} expected ${v}, got ${counters[k] ?? 0}`).join('; ')}`);
}

/** Every counter not named in `except` is 0 (e.g. no refusal besides the one under test). */
export function othersZero(counters: Readonly<Record<string, number>>, names: readonly string[], except: readonly string[]): void {
  const wrong = names.filter((n) => !except.includes(n) && (counters[n] ?? 0) !== 0);
  if (wrong.length > 0) fail(`counters that should not have moved: ${wrong.map((n) => `${n}=${counters[n]}`).join(', ')}`);
}

/**
 * The next message on `sock`, within `timeoutNs` of simulated time; a clear failure when none
 * comes (EAGAIN at the deadline, EDEADLK when the simulation has nothing left to run).
 */
export async function expectMessage(sock: HomaSocket, what: string, opt: ReceiveOptions = {}): Promise<Message> {
  try {
    return await sock.receive({ timeoutNs: 50_000_000, ...opt });
  } catch (e) {
    if (e instanceof HomaError) fail(`${what}: expected a message on port ${sock.port}, got ${e.code} (${e.message})`);
    throw e;
  }
}

/** `n` messages, each within the timeout. */
export async function expectMessages(sock: HomaSocket, n: number, what: string, opt: ReceiveOptions = {}): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < n; i++) out.push(await expectMessage(sock, `${what} (message ${i + 1} of ${n}, ${i} arrived)`, opt));
  return out;
}

/** No message may arrive on `sock` within `waitNs` of simulated time. */
export async function expectNoMessage(sock: HomaSocket, what: string, waitNs: number): Promise<void> {
  try {
    const m = await sock.receive({ timeoutNs: waitNs });
    fail(`${what}: expected no message on port ${sock.port}, got a ${m.kind} of ${m.length} bytes (id ${m.id})`);
  } catch (e) {
    if (e instanceof HomaError && (e.code === 'EAGAIN' || e.code === 'EDEADLK')) return;
    throw e;
  }
}

/** The bytes of `m` must be `want`; the first difference is named. */
export function sameBytes(what: string, m: Message, want: Uint8Array): void {
  const got = m.bytes();
  if (got.length !== want.length) fail(`${what}: expected ${want.length} bytes, got ${got.length}`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) fail(`${what}: byte ${i} of ${want.length} is 0x${got[i]!.toString(16)}, expected 0x${want[i]!.toString(16)}`);
  }
}

/** `length` bytes that depend on `key` (so a misplaced byte shows, and messages differ). */
export function pattern(key: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  let x = (Math.imul(key + 1, 2654435761) ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}
