// hw/homa/engine/regs_map.ts — the register map as tables the register block is built from.
// Every number comes from hw/homa/abi (registerBlocks, the page records, COUNTERS), so the
// RTL decodes exactly what the driver, the generated C header and host-lib read.

import { byteFields } from '../../hdl/index.ts';
import {
  BLOCK_HEADER, COUNTERS, QP_CONTROL_WRITABLE, QP_CTRL_BASE, QP_STRIDE, QP_USER_BASE, QP_USER_WRITABLE, queuePairControl,
  queuePairUser, registerBlocks, type EngineParams,
} from '../abi.ts';

/** A 32-bit word below the queue-pair pages, by word address (byte offset / 4). */
export type BlockWord =
  | { kind: 'const'; value: number }
  | { kind: 'config'; index: number; writable: boolean; readable: boolean }
  | { kind: 'counter'; index: number; high: boolean };

export interface RegisterMap {
  /** Words of the register blocks (identity, config, counters, queue-pair header), by word address. */
  readonly words: ReadonlyMap<number, BlockWord>;
  /** Config words in order: name, word within the register, reset value. */
  readonly config: readonly { name: string; word: number; reset: number }[];
  /** Word address of the first config word (config index 0). */
  readonly configBase: number;
  /** Word address of counter 0's low word. */
  readonly counterBase: number;
  /** Control-page words by word offset in the page, and which the host may write. */
  readonly ctrlWord: Readonly<Record<string, number>>;
  readonly ctrlWritable: readonly number[];
  readonly userWord: Readonly<Record<string, number>>;
  readonly userWritable: readonly number[];
  readonly ctrlBase: number;
  readonly userBase: number;
  readonly stride: number;
}

export function registerMap(p: EngineParams): RegisterMap {
  const words = new Map<number, BlockWord>();
  const config: { name: string; word: number; reset: number }[] = [];
  let configBase = 0;
  let counterBase = 0;
  const blocks = registerBlocks(p);
  blocks.forEach((b, i) => {
    const w0 = b.offset / 4;
    words.set(w0 + BLOCK_HEADER.type / 4, { kind: 'const', value: b.type });
    words.set(w0 + BLOCK_HEADER.version / 4, { kind: 'const', value: b.version });
    words.set(w0 + BLOCK_HEADER.next / 4, { kind: 'const', value: blocks[i + 1]?.offset ?? 0 });
    for (const r of b.registers) {
      for (let k = 0; k < r.words; k++) {
        const addr = w0 + r.offset / 4 + k;
        if (b.name === 'config') {
          if (config.length === 0) configBase = addr;
          words.set(addr, { kind: 'config', index: config.length, writable: r.access !== 'ro', readable: r.access !== 'wo' });
          config.push({ name: r.name, word: k, reset: r.access === 'wo' ? 0 : r.reset[k]! });
        } else if (b.name === 'counters') {
          const index = COUNTERS.indexOf(r.name);
          if (index === 0 && k === 0) counterBase = addr;
          words.set(addr, { kind: 'counter', index, high: k === 1 });
        } else {
          words.set(addr, { kind: 'const', value: r.reset[k]! >>> 0 });
        }
      }
    }
  });
  const pageWords = (layout: typeof queuePairControl | typeof queuePairUser): Record<string, number> =>
    Object.fromEntries(byteFields(layout).map((f) => [f.name, f.offset / 4]));
  const ctrlWord = pageWords(queuePairControl);
  const userWord = pageWords(queuePairUser);
  return {
    words, config, configBase, counterBase,
    ctrlWord, ctrlWritable: QP_CONTROL_WRITABLE.map((n) => ctrlWord[n]!),
    userWord, userWritable: QP_USER_WRITABLE.map((n) => userWord[n]!),
    ctrlBase: QP_CTRL_BASE, userBase: QP_USER_BASE, stride: QP_STRIDE,
  };
}
