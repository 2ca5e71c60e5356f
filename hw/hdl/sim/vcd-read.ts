// hw/hdl/sim/vcd-read.ts — a small VCD reader, so tests can check what a waveform file holds
// (scopes, variables, value changes) the way a viewer would read it.

export interface VcdVar {
  /** Scope path and name, joined with '.' (e.g. 'buffered_uart.tx.state'). */
  readonly path: string;
  readonly type: string;
  readonly width: number;
  readonly id: string;
}

export interface Vcd {
  readonly timescale: string;
  readonly scopes: readonly string[];
  readonly vars: readonly VcdVar[];
  /** Value changes per identifier: [time, value] in time order; vectors as bigint, strings as text. */
  readonly changes: ReadonlyMap<string, readonly [number, bigint | string][]>;
  /** The value of a variable (by path) at `time` (the last change at or before it). */
  valueAt(path: string, time: number): bigint | string | undefined;
}

export function parseVcd(text: string): Vcd {
  const tokens = text.split(/\s+/).filter(Boolean);
  const scopes: string[] = [], vars: VcdVar[] = [], stack: string[] = [];
  const changes = new Map<string, [number, bigint | string][]>();
  let timescale = '', i = 0, time = 0;
  const until = (end: string): string[] => {
    const out: string[] = [];
    while (i < tokens.length && tokens[i] !== end) out.push(tokens[i++]!);
    i++;
    return out;
  };
  // Header
  while (i < tokens.length) {
    const t = tokens[i++]!;
    if (t === '$enddefinitions') { until('$end'); break; }
    if (t === '$timescale') timescale = until('$end').join(' ');
    else if (t === '$scope') { const [, name] = until('$end'); stack.push(name!); scopes.push(stack.join('.')); }
    else if (t === '$upscope') { until('$end'); stack.pop(); }
    else if (t === '$var') {
      const [type, width, id, name] = until('$end');
      vars.push({ path: [...stack, name!].join('.'), type: type!, width: Number(width), id: id! });
    } else if (t.startsWith('$')) until('$end');
  }
  const record = (id: string, v: bigint | string) => {
    let list = changes.get(id);
    if (!list) changes.set(id, list = []);
    list.push([time, v]);
  };
  // Value changes
  while (i < tokens.length) {
    const t = tokens[i++]!;
    if (t.startsWith('#')) time = Number(t.slice(1));
    else if (t === '$dumpvars' || t === '$end' || t === '$dumpall' || t === '$dumpon' || t === '$dumpoff') continue;
    else if (t[0] === 'b' || t[0] === 'B') record(tokens[i++]!, /^[01]+$/.test(t.slice(1)) ? BigInt(`0b${t.slice(1)}`) : t.slice(1));
    else if (t[0] === 's' || t[0] === 'S') record(tokens[i++]!, t.slice(1));
    else if (t[0] === 'r' || t[0] === 'R') record(tokens[i++]!, t.slice(1));
    else if ('01xzXZ'.includes(t[0]!)) record(t.slice(1), t[0] === '0' ? 0n : t[0] === '1' ? 1n : t[0]!);
  }
  const byPath = new Map(vars.map((v) => [v.path, v]));
  return {
    timescale, scopes, vars, changes,
    valueAt(path, at) {
      const v = byPath.get(path);
      if (!v) return undefined;
      let out: bigint | string | undefined;
      for (const [t, val] of changes.get(v.id) ?? []) { if (t > at) break; out = val; }
      return out;
    },
  };
}
