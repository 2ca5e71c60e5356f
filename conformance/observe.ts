// conformance/observe.ts — what a conformance test records about the NIC under test (DUT), and
// how two runs' records are compared: the DUT's run against the same scenario on the reference
// model (the oracle, ENGINE.md "How it is checked" item 3).
//
// Everything is read the way a driver reads it: counters and identity through Device.read32 at
// offsets found by walking the register-block list (hw/homa/abi discoverBlocks) and the ABI's
// block declarations (registerOffset), never hand-written; messages as host-lib hands them to
// the application. Only behaviour is recorded, never timing: no timestamps, and per-message
// records can be kept in a canonical order where arrival order is not the NIC's to decide.

import { createHash } from 'node:crypto';
import { BlockType, COUNTERS, discoverBlocks, registerBlocks, registerOffset } from '../hw/homa/abi.ts';
import type { RegisterBlock } from '../hw/homa/abi.ts';
import type { Device } from '../host-lib/device.ts';
import type { Message } from '../host-lib/message.ts';

/** Counters that count what the NIC transmits (spec §5: packets_sent_*, the priority levels, ...). */
export const TRANSMIT_COUNTERS: readonly string[] = COUNTERS.filter((c) => c.startsWith('packets_sent_') || /^priority\d_/.test(c)
  || ['sent_msg_bytes', 'resent_packets', 'client_requests_started', 'server_responses_started', 'fifo_grant_bytes', 'pacer_fifo_bytes'].includes(c));

/**
 * Counters the receive path decides (every other one): what arrived, what was refused and why,
 * what buffers it found. Group `rx` compares these with the model. What the NIC sends back
 * because of what it received (CUTOFFS to a stale sender, §3.3; RPC_UNKNOWN, §3.5) is the
 * business of the groups that test the transmit side, which check those packets on the wire.
 */
export const RECEIVE_COUNTERS: readonly string[] = COUNTERS.filter((c) => !TRANSMIT_COUNTERS.includes(c));

/** What the identity block says about the limits a NIC enforces (the oracle is configured from it). */
export interface NicIdentity {
  readonly numQueuePairs: number;
  readonly maxGaps: number;
  readonly minRegionBpages: number;
  readonly maxRegionBpages: number;
  readonly maxMessageLength: number;
}

/** Where block `name` is in the device's BAR, by walking its block list (regmap.ts). */
function blockBase(device: Device, name: RegisterBlock['name']): number {
  const type = { identity: BlockType.IDENTITY, config: BlockType.CONFIG, counters: BlockType.COUNTERS, queue_pairs: BlockType.QUEUE_PAIRS }[name];
  const found = discoverBlocks((o) => device.read32(o)).find((b) => b.type === type);
  if (!found) throw new Error(`${device.url}: the register-block list has no '${name}' block (not an ABI v2 homa-nic?)`);
  return found.offset;
}

/** Offset of a register inside its block, from the ABI's declarations. */
function withinBlock(name: RegisterBlock['name'], register: string): number {
  return registerOffset(name, register) - registerBlocks().find((b) => b.name === name)!.offset;
}

/** A register of `block`, read through the device at the offset its block list gives. */
export function readRegister(device: Device, block: RegisterBlock['name'], register: string): number {
  return device.read32(blockBase(device, block) + withinBlock(block, register));
}

/** `words` consecutive 32-bit words of a register (arrays such as config unsched_cutoffs). */
export function readRegisterWords(device: Device, block: RegisterBlock['name'], register: string, words: number): number[] {
  const at = blockBase(device, block) + withinBlock(block, register);
  return Array.from({ length: words }, (_, k) => device.read32(at + 4 * k));
}

/** Write `words` consecutive 32-bit words of a register (tunables, through the register map). */
export function writeRegisterWords(device: Device, block: RegisterBlock['name'], register: string, words: readonly number[]): void {
  const at = blockBase(device, block) + withinBlock(block, register);
  words.forEach((w, k) => device.write32(at + 4 * k, w >>> 0));
}

export function readIdentity(device: Device): NicIdentity {
  const base = blockBase(device, 'identity');
  const r = (n: string): number => device.read32(base + withinBlock('identity', n));
  return {
    numQueuePairs: r('num_queue_pairs'), maxGaps: r('max_gaps'), minRegionBpages: r('min_region_bpages'),
    maxRegionBpages: r('max_region_bpages'), maxMessageLength: r('max_message_length'),
  };
}

/** Every counter of the ABI (64 bits, low word first), read through the register map. */
export function readCounters(device: Device): Record<string, number> {
  const base = blockBase(device, 'counters');
  const out: Record<string, number> = {};
  for (const name of COUNTERS) {
    const at = base + withinBlock('counters', name);
    out[name] = device.read32(at) + device.read32(at + 4) * 2 ** 32;
  }
  return out;
}

/** One received message as the application saw it. */
export interface MessageRecord {
  readonly kind: string;
  readonly id: string;
  readonly cookie: string;
  readonly peer: string;
  readonly length: number;
  /** SHA-256 of the bytes (first 16 hex digits): equal bytes, equal hash. */
  readonly sha: string;
  readonly offsets: readonly number[];
}

export function sha16(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export function messageRecord(m: Message): MessageRecord {
  return {
    kind: m.kind, id: m.id.toString(), cookie: m.cookie.toString(), peer: `${m.peer.address}:${m.peer.port}`,
    length: m.length, sha: sha16(m.bytes()), offsets: [...m.bpageOffsets],
  };
}

/**
 * How a list of messages is compared. `arrival`: in the order the application got them, bpage
 * offsets included (the order decides the offsets, §4). `key`: sorted by (peer, id), for
 * traffic whose arrival order the network decides (several senders): each message's offsets
 * then depend on that order, so only the sorted list of all offsets is compared. `content`:
 * sorted by (peer, cookie, length, bytes), ids and offsets left out, for traffic whose order
 * the sending NIC's own timing decides: a DUT's client ids and the order its responses come
 * back depend on when it took each send descriptor (an RTL NIC takes doorbells over simulated
 * time, the model at once; HomaModule's ids follow the order sendmsg calls reach it), so only
 * what each message is may be compared.
 */
export type MessageOrder = 'arrival' | 'key' | 'content';

/** One named observation: a JSON-able value. */
export type Observation = string | number | boolean | null | readonly Observation[] | { readonly [k: string]: Observation };

/** What one run of a test recorded, by label, in the order recorded. */
export class Observations {
  private readonly items = new Map<string, Observation>();

  get size(): number { return this.items.size; }
  get labels(): string[] { return [...this.items.keys()]; }
  get(label: string): Observation | undefined { return this.items.get(label); }

  put(label: string, value: Observation): void {
    if (this.items.has(label)) throw new Error(`observation '${label}' recorded twice: give each its own label`);
    this.items.set(label, value);
  }

  messages(label: string, msgs: readonly MessageRecord[], order: MessageOrder): void {
    if (order === 'arrival') { this.put(label, msgs.map((m) => ({ ...m }))); return; }
    if (order === 'content') {
      const what = (m: MessageRecord): string => `${m.peer}/${m.cookie.padStart(20, '0')}/${String(m.length).padStart(7, '0')}/${m.sha}`;
      this.put(label, [...msgs].sort((a, b) => (what(a) < what(b) ? -1 : what(a) > what(b) ? 1 : 0)).map(({ offsets: _o, id: _i, ...rest }) => ({ ...rest })));
      return;
    }
    const key = (m: MessageRecord): string => `${m.peer}/${m.id.padStart(20, '0')}`;
    const sorted = [...msgs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    this.put(label, sorted.map(({ offsets: _offsets, ...rest }) => ({ ...rest })));
    this.put(`${label} (all bpage offsets, sorted)`, msgs.flatMap((m) => m.offsets).sort((a, b) => a - b));
  }

  /** Counters after the run is quiet; only `names` take part in the comparison. */
  counters(label: string, values: Record<string, number>, names: readonly string[]): void {
    this.put(label, Object.fromEntries(names.map((n) => [n, values[n] ?? 0])));
  }
}

/** The differences between the DUT's observations and the oracle's, one line each (empty: same). */
export function compareObservations(dut: Observations, oracle: Observations, dutName: string): string[] {
  const out: string[] = [];
  const labels = [...new Set([...dut.labels, ...oracle.labels])];
  for (const label of labels) {
    const a = dut.get(label);
    const b = oracle.get(label);
    if (a === undefined || b === undefined) {
      out.push(`${label}: recorded only by the ${a === undefined ? 'model' : dutName} run (the scenario took another path)`);
      continue;
    }
    diff(label, a, b, out, dutName);
  }
  return out;
}

const show = (v: Observation | undefined): string => (v === undefined ? 'nothing' : JSON.stringify(v));

function diff(path: string, a: Observation, b: Observation, out: string[], dutName: string): void {
  if (out.length >= 12) return;                                        // enough to see what is wrong
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: ${dutName} has ${a.length} entries, the model ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) diff(`${path}[${i}]`, a[i]!, b[i]!, out, dutName);
    return;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as { readonly [k: string]: Observation };
    const bo = b as { readonly [k: string]: Observation };
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      if (ao[k] === undefined || bo[k] === undefined) { out.push(`${path}.${k}: ${dutName} ${show(ao[k])}, model ${show(bo[k])}`); continue; }
      diff(`${path}.${k}`, ao[k]!, bo[k]!, out, dutName);
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}: ${dutName} ${show(a)}, model ${show(b)}`);
}
