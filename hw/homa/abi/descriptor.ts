// hw/homa/abi/descriptor.ts — which send descriptors the engine refuses (records.ts
// sendDescriptor): the rule the RTL's sq_fetch implements and the reference model, host-lib's
// sim backend and the QEMU device apply, so every NIC refuses the same descriptors.

import { HOMA_MAX_MESSAGE_LENGTH } from '../wire/types.ts';
import type { MemRecord } from './memory.ts';
import { SendOpcode } from './records.ts';

/** The address is IPv4 in IPv6 form (::ffff:a.b.c.d). */
export function isV4Mapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** Every byte is 0 (an address left unnamed). */
export function allZero(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

/**
 * Why the engine refuses descriptor `d` on a queue pair with a `sendSize`-byte send region
 * and an IP family of `family` bytes (records.ts sendDescriptor), or null if it takes it.
 */
export function descriptorFault(d: MemRecord, sendSize: number, family: number): string | null {
  const opcode = d['opcode'] as number;
  if (opcode === SendOpcode.ABORT) return null;
  if (opcode !== SendOpcode.REQUEST && opcode !== SendOpcode.REPLY) return `unknown opcode ${opcode}`;
  const what = opcode === SendOpcode.REQUEST ? 'REQUEST' : 'REPLY';
  const length = d['length'] as number;
  const offset = d['send_offset'] as number;
  if (length === 0 || length > HOMA_MAX_MESSAGE_LENGTH) return `${what} of ${length} bytes (1..${HOMA_MAX_MESSAGE_LENGTH}, spec §2.2)`;
  if (offset + length > sendSize) return `${what} bytes [${offset}, ${offset + length}) leave the ${sendSize}-byte send region`;
  if (opcode === SendOpcode.REQUEST) {
    if ((d['id'] as bigint) !== 0n) return `REQUEST with id ${d['id'] as bigint} (the engine assigns request ids, spec §1.2)`;
    if ((d['dport'] as number) === 0) return 'REQUEST to port 0 (spec §2)';
  } else if ((d['cookie'] as bigint) !== 0n) {
    return 'REPLY with a completion cookie (spec §2.2: responses carry none)';
  }
  const addr = d['peer_addr'] as Uint8Array;
  const unnamed = opcode === SendOpcode.REPLY && allZero(addr);
  if (family === 4 && !unnamed && !isV4Mapped(addr)) return `${what} to an IPv6 peer on an IPv4 NIC (peer_addr must be ::ffff:a.b.c.d)`;
  return null;
}
