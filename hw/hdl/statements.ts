// hw/hdl/statements.ts — conditional statements: when / elsewhen / otherwise, and switchOn.
//
// They record structure (the Verilog emitter prints them as if / case) and are lowered to
// multiplexers for the simulators and checks (lower.ts).

import type { Stmt, SwitchCase } from './ir.ts';
import { ElaborationError, here } from './loc.ts';
import { emitStmt, inList } from './context.ts';
import { Bits, Bool, type Literal } from './values.ts';
import { EnumValue } from './structs.ts';

type IfStmt = Extract<Stmt, { kind: 'if' }>;

export class WhenChain {
  constructor(private last: IfStmt) {}
  /** Another condition, tried when the earlier ones are false. */
  elsewhen(cond: Bool, body: () => void): WhenChain {
    const loc = here();
    checkCond(cond, 'elsewhen', loc);
    if (this.last.else.length) throw new ElaborationError('elsewhen after otherwise', loc);
    const next: IfStmt = { kind: 'if', cond: cond.expr, then: [], else: [], loc, elseIf: false };
    this.last.else.push(next);
    this.last.elseIf = true;
    inList(next.then, body);
    return new WhenChain(next);
  }
  /** What happens when no condition held. */
  otherwise(body: () => void): void {
    if (this.last.else.length) throw new ElaborationError('otherwise given twice', here());
    inList(this.last.else, body);
  }
}

/** Statements that apply only while `cond` is true. */
export function when(cond: Bool, body: () => void): WhenChain {
  const loc = here();
  checkCond(cond, 'when', loc);
  const stmt: IfStmt = { kind: 'if', cond: cond.expr, then: [], else: [], loc, elseIf: false };
  emitStmt(stmt, loc, 'when');
  inList(stmt.then, body);
  return new WhenChain(stmt);
}

function checkCond(cond: unknown, what: string, loc: ReturnType<typeof here>): void {
  if (!(cond instanceof Bits) || cond.width !== 1) {
    throw new ElaborationError(`${what} needs a one-bit condition (a Bool)`, loc);
  }
}

export class SwitchChain<V extends string | Literal> {
  private readonly seen = new Set<bigint>();
  constructor(private readonly stmt: Extract<Stmt, { kind: 'switch' }>, private readonly subject: Bits) {}
  /** Statements for the given value (or any of several values). */
  is(values: V | readonly V[], body: () => void): this {
    const loc = here();
    if (this.stmt.default) throw new ElaborationError('switchOn: a case after default', loc);
    const list = Array.isArray(values) ? values as readonly V[] : [values as V];
    const vals = list.map((v) => this.caseValue(v, loc));
    const c: SwitchCase = { values: vals, body: [], loc };
    this.stmt.cases.push(c);
    inList(c.body, body);
    return this;
  }
  /** Statements for every other value. */
  default(body: () => void): void {
    if (this.stmt.default) throw new ElaborationError('switchOn: default given twice', here());
    const list: Stmt[] = [];
    this.stmt.default = list;
    inList(list, body);
  }
  private caseValue(v: V, loc: ReturnType<typeof here>): bigint {
    let n: bigint;
    if (typeof v === 'string') {
      if (!(this.subject instanceof EnumValue)) throw new ElaborationError(`switchOn: case '${v}' needs an enum-typed subject`, loc);
      if (!(v in this.subject.layout.values)) throw new ElaborationError(`switchOn: '${v}' is not a member of enum '${this.subject.layout.name}'`, loc);
      n = this.subject.layout.values[v as keyof typeof this.subject.layout.values] as bigint;
    } else {
      n = BigInt(v);
      if (n < 0n || n >= 1n << BigInt(this.subject.width)) {
        throw new ElaborationError(`switchOn: case value ${n} does not fit the ${this.subject.width}-bit subject`, loc);
      }
    }
    if (this.seen.has(n)) throw new ElaborationError(`switchOn: case value ${n} appears twice`, loc);
    this.seen.add(n);
    return n;
  }
}

/** A case statement over `subject`; enum subjects take their member names as cases. */
export function switchOn<K extends string>(subject: EnumValue<K>): SwitchChain<K>;
export function switchOn(subject: Bits): SwitchChain<Literal>;
export function switchOn(subject: Bits): SwitchChain<string | Literal> {
  const loc = here();
  const stmt: Extract<Stmt, { kind: 'switch' }> = { kind: 'switch', subject: subject.expr, cases: [], default: null, loc };
  emitStmt(stmt, loc, 'switchOn');
  return new SwitchChain(stmt, subject);
}
