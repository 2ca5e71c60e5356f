// host-lib/arguments.ts — checks of what an application passes to a socket, each failing with
// EINVAL and the name of the argument (homa-protocol.md §2.2).

import { v4Mapped } from '../hw/homa/abi.ts';
import { parseAddr } from '../hw/homa/wire/index.ts';
import { InvalidArgumentError, MessageTooLongError } from './errors.ts';
import { addressText, unmapV4 } from './message.ts';

/** Where a request goes: an address (text or bytes) and a port. */
export interface Destination {
  readonly address: string | Uint8Array;
  readonly port: number;
}

export type Payload = Uint8Array | string;

const IPV4_TEXT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Addresses given as text, parsed once (an application names the same few peers over and over). */
const parsed = new Map<string, Uint8Array | null>();
const PARSED_MAX = 4096;

function parseText(a: string): Uint8Array | null {
  let bytes = parsed.get(a);
  if (bytes !== undefined) return bytes;
  const v4 = IPV4_TEXT.exec(a);
  bytes = (v4 ? v4.slice(1).every((x) => Number(x) <= 255) : /^[0-9a-fA-F:]+$/.test(a) && a.includes(':')) ? parseAddr(a) : null;
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(a, bytes);
  return bytes;
}

/** The destination's address in the NIC's family (4 bytes on an IPv4 NIC, else 16). */
export function destinationAddress(dest: Destination, nicAddress: Uint8Array): Uint8Array {
  if (!Number.isInteger(dest.port) || dest.port < 1 || dest.port > 65535) {
    throw new InvalidArgumentError('port', `destination port ${dest.port} must be 1..65535`);
  }
  const a = dest.address;
  let bytes: Uint8Array | null = null;
  if (typeof a === 'string') bytes = parseText(a);
  else if (a instanceof Uint8Array) bytes = a;
  if (!bytes || (bytes.length !== 4 && bytes.length !== 16)) {
    throw new InvalidArgumentError('address', `"${String(a)}" is not an IPv4 or IPv6 address`);
  }
  const plain = unmapV4(bytes);
  if (nicAddress.length === 4) {
    if (plain.length !== 4) throw new InvalidArgumentError('address', `${addressText(bytes)} is IPv6 and this NIC (${addressText(nicAddress)}) is IPv4`);
    return plain;
  }
  return v4Mapped(bytes);
}

/** The message as bytes: 1 .. maxLength of them (HOMA_MAX_MESSAGE_LENGTH, §2). */
export function messageBytes(payload: Payload, maxLength: number): Uint8Array {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('payload', 'must be a Uint8Array or a string');
  if (bytes.length === 0) throw new InvalidArgumentError('length', 'a message needs at least one byte (spec §2.2)');
  if (bytes.length > maxLength) throw new MessageTooLongError(bytes.length, maxLength);
  return bytes;
}

/** A completion cookie is an unsigned 64-bit value (§2.1). */
export function checkCookie(cookie: bigint): void {
  if (typeof cookie !== 'bigint' || cookie < 0n || cookie >= 1n << 64n) {
    throw new InvalidArgumentError('cookie', `must be a bigint in 0..2^64-1, got ${String(cookie)}`);
  }
}

/**
 * An options object names only options that exist: an unknown one (a misspelling, an option
 * another call takes) is EINVAL naming it, never silently ignored. `signal` must be an AbortSignal.
 */
export function checkOptions(what: string, opt: unknown, known: readonly string[]): void {
  if (opt === undefined) return;
  if (opt === null || typeof opt !== 'object' || Array.isArray(opt)) throw new InvalidArgumentError('options', `${what}: options must be an object, got ${String(opt)}`);
  for (const k of Object.keys(opt)) {
    if (!known.includes(k)) {
      throw new InvalidArgumentError(k, `${what}() has no option '${k}'; it takes ${known.length ? known.map((x) => `'${x}'`).join(', ') : 'none'}`);
    }
  }
  const signal = (opt as { signal?: unknown }).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('signal', `${what}: signal must be an AbortSignal`);
}
