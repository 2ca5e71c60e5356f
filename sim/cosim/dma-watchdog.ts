// sim/cosim/dma-watchdog.ts — the IOMMU of the co-simulation: every DMA access the engine
// makes must stay inside memory its queue pair registered, with the right direction, while
// the queue pair may still touch it. One bad access fails the run at once, so isolation
// between queue pairs is tested on every run (ENGINE.md "How it is checked", item 4).
//
// It learns the registrations the way the engine does: from the host's register writes to
// each queue pair's control page (hw/homa/abi records.ts, queuePairControl), latched when ctrl
// gets ENABLE:
//   sq ring      sq_base   + 64 << sq_log_size       read only
//   cq ring      cq_base   + 64 << cq_log_size       write only
//   bret ring    bret_base + 4 << bret_log_size      read only
//   bpage region bpool_base + bpool_num_bpages << 16 write only
//   send region  send_base + send_size               read only
// While a queue pair is enabled the engine ignores writes to anything but ctrl, and so does
// the watchdog. Clearing ENABLE does not remove the ranges at once: the ABI lets the engine
// finish accesses in flight until it clears ACTIVE, so the ranges stay until the host has
// SEEN status with ACTIVE clear (a read of either page's status) — or freed the memory, which
// the host-memory model reports on its own. A refused ENABLE (BAD_CONFIG, PORT_IN_USE) shows
// the same way: the host reads status, sees ACTIVE clear, and the ranges go.

import {
  BPAGE_SHIFT, QP_CTRL_BASE, QP_CTRL_REG, QP_STRIDE, QP_USER_BASE, QP_USER_REG, QpCtrl, QpStatus, queuePairControl,
} from '../../hw/homa/abi.ts';
import type { HostMemory } from './host-memory.ts';

export type DmaKind = 'read' | 'write';

/** A range a queue pair registered. */
export interface DmaRange {
  readonly name: 'sq ring' | 'cq ring' | 'bret ring' | 'bpage region' | 'send region';
  readonly kind: DmaKind;
  readonly start: number;
  readonly length: number;
}

/** 'draining': ENABLE cleared, the host has not yet seen ACTIVE clear. */
export type QueuePairState = 'off' | 'enabled' | 'draining';

export class DmaWatchdogError extends Error {
  override readonly name = 'DmaWatchdogError';
}

const CTRL_WORDS = queuePairControl.width / 32;
const W = Object.fromEntries(Object.entries(QP_CTRL_REG).map(([k, v]) => [k, v / 4])) as Record<string, number>;
const hex = (n: number): string => `0x${n.toString(16)}`;

export class DmaWatchdog {
  /** Accesses checked so far (all legal: an illegal one throws). */
  checked = 0;
  private readonly shadow: Uint32Array;
  private readonly states: QueuePairState[];
  private readonly ranges: DmaRange[][];

  /**
   * @param where describes the moment of an access (engine cycle, simulated time) for errors;
   *   called only when one is raised.
   */
  constructor(private readonly memory: HostMemory, readonly queuePairs: number, private readonly where: () => string = () => '') {
    this.shadow = new Uint32Array(queuePairs * CTRL_WORDS);
    this.states = Array.from({ length: queuePairs }, () => 'off');
    this.ranges = Array.from({ length: queuePairs }, () => []);
  }

  /** The host wrote `value` at BAR offset `offset`. */
  hostWrite(offset: number, value: number): void {
    if (offset < QP_CTRL_BASE || offset >= QP_CTRL_BASE + this.queuePairs * QP_STRIDE) return;
    const qp = Math.floor((offset - QP_CTRL_BASE) / QP_STRIDE);
    const word = ((offset - QP_CTRL_BASE) % QP_STRIDE) >>> 2;
    if (word >= CTRL_WORDS) return;
    const state = this.states[qp]!;
    if (word === W['ctrl']) {
      const enable = (value & QpCtrl.ENABLE) !== 0;
      if (enable && state !== 'enabled') {
        // Re-enabled before the host saw ACTIVE clear: the old incarnation's accesses may still
        // be in flight, so its ranges stay beside the new ones until then.
        this.ranges[qp] = [...this.latch(qp), ...(state === 'draining' ? this.ranges[qp]! : [])];
        this.states[qp] = 'enabled';
      } else if (!enable && state === 'enabled') {
        this.states[qp] = 'draining';
      }
    } else if (state !== 'enabled') {
      this.shadow[qp * CTRL_WORDS + word] = value >>> 0;
    }
  }

  /** The host read `value` at BAR offset `offset` (status reads end a disable). */
  hostRead(offset: number, value: number): void {
    let qp = -1;
    if (offset >= QP_CTRL_BASE && offset < QP_CTRL_BASE + this.queuePairs * QP_STRIDE && (offset - QP_CTRL_BASE) % QP_STRIDE === QP_CTRL_REG['status']) {
      qp = Math.floor((offset - QP_CTRL_BASE) / QP_STRIDE);
    } else if (offset >= QP_USER_BASE && offset < QP_USER_BASE + this.queuePairs * QP_STRIDE && (offset - QP_USER_BASE) % QP_STRIDE === QP_USER_REG['status']) {
      qp = Math.floor((offset - QP_USER_BASE) / QP_STRIDE);
    }
    if (qp < 0 || (value & QpStatus.ACTIVE) !== 0 || this.states[qp] === 'off') return;
    this.states[qp] = 'off';
    this.ranges[qp] = [];
  }

  /**
   * Checks one engine access and returns the host bytes it covers; throws DmaWatchdogError
   * naming the address, length, kind, queue pair and what the queue pair registered.
   */
  check(kind: DmaKind, address: bigint | number, length: number, qp: number): Uint8Array {
    const a = Number(address);
    const fail = (why: string): never => {
      const verb = kind === 'read' ? 'read' : 'wrote';
      const at = this.where();
      throw new DmaWatchdogError(
        `DMA watchdog: the engine ${verb} ${length} bytes at ${hex(a)}..${hex(a + length - 1)} for queue pair ${qp}: ${why}. `
        + `${qp < this.queuePairs ? this.registered(qp) : `The engine has queue pairs 0..${this.queuePairs - 1}.`}`
        + `${at ? ` (${at})` : ''} `
        + 'The engine may only touch memory the queue pair named in the request registered, in the direction the ABI gives it '
        + '(hw/homa/abi/records.ts): look at the block that issued this access.',
      );
    };
    if (!Number.isInteger(qp) || qp < 0 || qp >= this.queuePairs) fail(`there is no queue pair ${qp}`);
    const state = this.states[qp]!;
    if (state === 'off') fail(`queue pair ${qp} is not enabled (never enabled, or disabled and the host has already seen ACTIVE clear)`);
    const ranges = this.ranges[qp]!;
    let inside: DmaRange | null = null;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i]!;
      if (r.start <= a && a + length <= r.start + r.length) {
        if (r.kind === kind) { inside = r; break; }
        inside ??= r;
      }
    }
    if (!inside) fail('that is outside every range the queue pair registered');
    else if (inside.kind !== kind) fail(`that is inside its ${inside.name}, which the engine may only ${inside.kind}`);
    const bytes = this.memory.resolve(a, length);
    if (!bytes) {
      fail(this.memory.touchesFreed(a, length)
        ? `the host has freed that memory (${this.memory.describe(a, length)})`
        : `no live host buffer holds it (${this.memory.describe(a, length)}): the host registered memory it never allocated`);
    }
    this.checked++;
    return bytes!;
  }

  state(qp: number): QueuePairState { return this.states[qp] ?? 'off'; }
  rangesOf(qp: number): readonly DmaRange[] { return this.ranges[qp] ?? []; }

  /** "Queue pair 3 registered (enabled): sq ring read 0x...+4096, ..." */
  registered(qp: number): string {
    const rs = this.rangesOf(qp);
    const list = rs.length === 0 ? 'nothing' : rs.map((r) => `${r.name} ${r.kind} ${hex(r.start)}+${r.length}`).join(', ');
    return `Queue pair ${qp} (${this.state(qp)}) has registered: ${list}.`;
  }

  private latch(qp: number): DmaRange[] {
    const s = this.shadow;
    const o = qp * CTRL_WORDS;
    const base = (lo: string): number => s[o + W[`${lo}_lo`]!]! + s[o + W[`${lo}_hi`]!]! * 2 ** 32;
    const log = (name: string): number => 2 ** s[o + W[name]!]!;
    return [
      { name: 'sq ring', kind: 'read', start: base('sq_base'), length: 64 * log('sq_log_size') },
      { name: 'cq ring', kind: 'write', start: base('cq_base'), length: 64 * log('cq_log_size') },
      { name: 'bret ring', kind: 'read', start: base('bret_base'), length: 4 * log('bret_log_size') },
      { name: 'bpage region', kind: 'write', start: base('bpool_base'), length: s[o + W['bpool_num_bpages']!]! * 2 ** BPAGE_SHIFT },
      { name: 'send region', kind: 'read', start: base('send_base'), length: s[o + W['send_size']!]! },
    ];
  }
}
