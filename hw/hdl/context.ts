// hw/hdl/context.ts — the elaboration context: which module is being built and which
// statement list new statements go into.
//
// Hardware is described by running ordinary TypeScript; `when`, `set` and friends append
// statements to the innermost open list. The stack makes nesting (when inside switch inside
// a clocked block) fall out of ordinary function calls.

import type { Block, Signal, Stmt } from './ir.ts';
import { ElaborationError, type SourceLoc } from './loc.ts';

/** What the module builder exposes to values and statements. */
export interface BuilderHooks {
  readonly moduleName: string;
  /** Signals this module may assign (its outputs, wires, registers, children's inputs). */
  owns(sig: Signal): boolean;
  /** A new comb block holding one statement, for assignments made outside any block. */
  implicitComb(stmt: Stmt, loc: SourceLoc): void;
}

interface Frame { readonly builder: BuilderHooks; block: Block | null; readonly lists: Stmt[][] }

const frames: Frame[] = [];

export function pushModule(builder: BuilderHooks): void { frames.push({ builder, block: null, lists: [] }); }
export function popModule(): void { frames.pop(); }

function top(loc: SourceLoc, what: string): Frame {
  const f = frames[frames.length - 1];
  if (!f) throw new ElaborationError(`${what} used outside a module body`, loc);
  return f;
}

export function currentBuilder(loc: SourceLoc, what: string): BuilderHooks { return top(loc, what).builder; }

/** The kind of the block being written, or null at the top level of a module body. */
export function currentBlockKind(): 'comb' | 'seq' | null {
  return frames[frames.length - 1]?.block?.kind ?? null;
}

export function inBlock<T>(block: Block, loc: SourceLoc, fn: () => T): T {
  const f = top(loc, block.kind === 'comb' ? 'm.comb' : 'm.seq');
  if (f.block) throw new ElaborationError(`m.${block.kind} cannot be nested inside m.${f.block.kind}`, loc);
  f.block = block;
  f.lists.push(block.body);
  try { return fn(); } finally { f.lists.pop(); f.block = null; }
}

/** Runs `fn` with statements going to `list` (a branch of an if or a case). */
export function inList<T>(list: Stmt[], fn: () => T): T {
  const f = frames[frames.length - 1]!;
  f.lists.push(list);
  try { return fn(); } finally { f.lists.pop(); }
}

/** Appends a statement to the innermost open list; outside blocks, only assignments are allowed. */
export function emitStmt(stmt: Stmt, loc: SourceLoc, what: string): void {
  const f = top(loc, what);
  const list = f.lists[f.lists.length - 1];
  if (list) { list.push(stmt); return; }
  if (stmt.kind !== 'assign') {
    throw new ElaborationError(`${what} must be inside m.comb(...) or m.seq(...)`, loc);
  }
  f.builder.implicitComb(stmt, loc);
}
