// hw/hdl/memory.ts — synchronous memories that synthesis maps to block RAM.
//
// Reads are registered (the data appears the cycle after `read(addr)` and holds until the
// next read on that port), which is what block RAMs do; writes happen at the clock edge,
// optionally per byte lane. Each port may read, write, or both; two ports give a
// simple or true dual-port RAM.

import type { Expr, Memory, MemPortInfo } from './ir.ts';
import { clog2, type Layout } from './layout.ts';
import { ElaborationError, here, type SourceLoc } from './loc.ts';
import { currentBlockKind, emitStmt } from './context.ts';
import { Bits, UInt, constExpr } from './values.ts';
import { unpack, packAs, type AnyValue, type ValueOf } from './structs.ts';

export type MemPortKind = 'r' | 'w' | 'rw';

export interface MemoryOptions<L extends Layout> {
  /** Layout of one word. */
  readonly layout: L;
  /** Number of words. */
  readonly depth: number;
  /** One entry per port: 'r' read, 'w' write, 'rw' both (default one 'rw' port). */
  readonly ports?: readonly MemPortKind[];
  /** Writes take a mask with one bit per 8-bit lane (word width must be a multiple of 8). */
  readonly byteEnables?: boolean;
  /** Initial contents, word 0 first (the rest are zero). */
  readonly init?: readonly (number | bigint)[];
}

interface Owner { claimName(name: string, loc: SourceLoc): void }

export class MemoryHandle<L extends Layout> {
  readonly ir: Memory;
  readonly ports: readonly MemPort<L>[];

  constructor(owner: Owner, name: string, o: MemoryOptions<L>, id: number, loc: SourceLoc) {
    if (!Number.isInteger(o.depth) || o.depth < 2) throw new ElaborationError(`memory '${name}': depth must be an integer >= 2 (got ${o.depth})`, loc);
    const kinds = o.ports ?? ['rw'];
    if (kinds.length < 1 || kinds.length > 2) throw new ElaborationError(`memory '${name}': one or two ports (got ${kinds.length})`, loc);
    const width = o.layout.width;
    if (o.byteEnables && width % 8 !== 0) throw new ElaborationError(`memory '${name}': byte enables need a width that is a multiple of 8 (got ${width})`, loc);
    owner.claimName(name, loc);
    const portInfo: MemPortInfo[] = kinds.map((k, i) => {
      const pname = kinds.length === 1 ? `${name}_rdata` : `${name}_rdata${i}`;
      if (k !== 'w') owner.claimName(pname, loc);
      return { read: k !== 'w', write: k !== 'r', name: pname };
    });
    const init = o.init?.map((v, i) => {
      if (i >= o.depth) throw new ElaborationError(`memory '${name}': ${o.init!.length} initial words for a depth of ${o.depth}`, loc);
      return (constExpr(v, width, false, `memory '${name}' initial word ${i}`, () => loc) as { value: bigint }).value;
    }) ?? null;
    this.ir = { id, name, width, depth: o.depth, addrWidth: clog2(o.depth), laneWidth: o.byteEnables ? 8 : null, ports: portInfo, init, loc };
    this.ports = portInfo.map((_, i) => new MemPort(this.ir, i, o.layout));
  }
}

export class MemPort<L extends Layout> {
  constructor(private readonly mem: Memory, private readonly index: number, private readonly layout: L) {}

  /** The word read by the last `read` on this port (valid the cycle after the read). */
  get data(): ValueOf<L> {
    if (!this.mem.ports[this.index]!.read) throw new ElaborationError(`memory '${this.mem.name}' port ${this.index} is write-only`, here());
    const e: Expr = { kind: 'memread', width: this.mem.width, mem: this.mem, port: this.index };
    return unpack(this.layout, new UInt(e));
  }

  /** Starts a read of `addr` (inside m.seq); the word appears on `data` next cycle. */
  read(addr: UInt<number>): void {
    const loc = here();
    this.check('read', loc);
    this.checkAddr(addr, loc);
    emitStmt({ kind: 'memread', mem: this.mem, port: this.index, addr: addr.expr, loc }, loc, 'read');
  }

  /** Writes `data` at `addr` (inside m.seq); with byte enables, only lanes whose mask bit is set. */
  write(addr: UInt<number>, data: ValueOf<L>, mask?: UInt<number>): void {
    const loc = here();
    this.check('write', loc);
    this.checkAddr(addr, loc);
    const bits = data instanceof Bits ? data : packAs(this.layout, data as AnyValue);
    if (bits.width !== this.mem.width) throw new ElaborationError(`memory '${this.mem.name}': data is ${bits.width} bits, words are ${this.mem.width}`, loc);
    let m: Expr | null = null;
    if (mask) {
      if (this.mem.laneWidth === null) throw new ElaborationError(`memory '${this.mem.name}' has no byte enables (set byteEnables: true)`, loc);
      const lanes = this.mem.width / this.mem.laneWidth;
      if (mask.width !== lanes) throw new ElaborationError(`memory '${this.mem.name}': mask is ${mask.width} bits, needs ${lanes} (one per byte)`, loc);
      m = mask.expr;
    }
    emitStmt({ kind: 'memwrite', mem: this.mem, port: this.index, addr: addr.expr, data: bits.expr, mask: m, loc }, loc, 'write');
  }

  private check(what: 'read' | 'write', loc: SourceLoc): void {
    const p = this.mem.ports[this.index]!;
    if (what === 'read' ? !p.read : !p.write) throw new ElaborationError(`memory '${this.mem.name}' port ${this.index} cannot ${what}`, loc);
    if (currentBlockKind() !== 'seq') throw new ElaborationError(`memory ${what} must be inside m.seq(...)`, loc);
  }
  private checkAddr(addr: Bits, loc: SourceLoc): void {
    if (addr.width !== this.mem.addrWidth) throw new ElaborationError(`memory '${this.mem.name}': address is ${addr.width} bits, needs ${this.mem.addrWidth} for depth ${this.mem.depth}`, loc);
  }
}
