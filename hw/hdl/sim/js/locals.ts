// hw/hdl/sim/js/locals.ts — store forwarding inside each generated function: a value computed
// by `s[k]=EXPR;` is kept in a local `const` and later statements of the same function read the
// local instead of loading `s[k]` again (V8 does not eliminate repeated typed-array loads).
// The store itself is dropped when nothing else can see the slot: not a signal (peek, port
// handles and VCD read signals' slots), not read from `s` by any statement anywhere (another
// function, a later cycle, a statement after an overwrite), and not an operand of a wide helper
// (mulW/shlW/shrW take offsets, so their reads are invisible in the text). A local nothing
// reads is not declared, and a value neither stored nor read is not computed at all.
// Measured on bench/designs/lanes.ts: a few per cent at most (V8 does not eliminate repeated
// typed-array loads, but a load of a constant slot is cheap once bounds checks are gone, see
// engine.ts link); the larger gain is the smaller source, which TurboFan compiles sooner.
//
// Works on the statement texts the generator produced; a statement is forwarded only when it is
// one plain assignment (no `;`, no braces). Any other write to a slot (inside an `if`, in a carry
// chain, by a helper) ends its local, so later reads load it again.
//
// A local holds the value before the Uint32Array store converts it (ToUint32), so it is the same
// value only if EXPR is already in [0, 2^32): expr.ts and wide-expr.ts keep every text so.

/** A slot read (not the target of a plain assignment `s[k]=`). */
const READ = /s\[(\d+)\](?!=[^=])/g;
/** A slot written by an assignment. */
const WRITE = /s\[(\d+)\]=(?!=)/g;
/** A local this pass introduced. */
const LOCAL = /\bv\d+\b/g;
/** One plain assignment. */
const SIMPLE = /^s\[(\d+)\]=([^;{}]*);$/;
/** Wide helper calls: `mulW(s,d,a,b,n,tm)`, `shlW(s,d,a,n,w,amt)`, `shrW(s,d,a,n,w,amt,arith)`. */
const HELPER = /(mulW|shlW|shrW)\(s,(\d+),(\d+),(\d+),(\d+)/g;

interface Helper { dst: number; n: number; srcs: number[] }

/** A statement that is one plain assignment `s[k]=EXPR;`. */
export function isAssignment(st: string): boolean { return SIMPLE.test(st); }

/** Every slot a statement reads, wide helpers' operands included. */
export function slotsRead(st: string): number[] {
  const out = Array.from(st.matchAll(READ), (m) => Number(m[1]));
  for (const h of helpers(st)) for (const a of h.srcs) for (let i = 0; i < h.n; i++) out.push(a + i);
  return out;
}

function helpers(st: string): Helper[] {
  const out: Helper[] = [];
  for (const m of st.matchAll(HELPER)) {
    const [d, a, x, y] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
    // mulW: (d, a, b, n); the shifts: (d, a, n, width).
    out.push(m[1] === 'mulW' ? { dst: d, n: y, srcs: [a, x] } : { dst: d, n: x, srcs: [a] });
  }
  return out;
}

/**
 * Packs each phase's statements into functions of at most `limit` characters (a longer
 * statement gets one of its own) and rewrites them to forward values through locals. `pinned`
 * slots are always stored. Returns each phase's function bodies.
 */
export function packFunctions(phases: readonly (readonly string[])[], limit: number, pinned: (slot: number) => boolean): string[][] {
  // Slots a helper reads by offset must stay in `s`.
  const helperRead = new Set<number>();
  for (const ph of phases) for (const st of ph) for (const h of helpers(st)) for (const a of h.srcs) for (let i = 0; i < h.n; i++) helperRead.add(a + i);

  type Out = { text: string } | { name: string; slot: number; expr: string };
  const loadedFromS = new Set<number>(), used = new Set<string>();
  let seq = 0;
  // First rewrite every function, noting which slots are still loaded from `s`; a definition's
  // store is decided after, once every load is known. Sizes count the store, so a function
  // never outgrows `limit` whatever is decided.
  const packed = phases.map((ph) => {
    const fns: Out[][] = [];
    let cur: Out[] = [], size = 0, local = new Map<number, string>();
    for (const st of ph) {
      const simple = SIMPLE.exec(st);
      const body = simple ? simple[2]! : st;
      // The size counts the store (`const v1=...;s[k]=v1;`), so the function stays within
      // `limit` whatever is decided later.
      const cost = (t: string) => (simple ? t.length + 2 * String(seq).length + simple[1]!.length + 15 : t.length) + 1;
      let text = body.replace(READ, (m, k: string) => local.get(Number(k)) ?? m);
      if (size + cost(text) > limit && cur.length) {
        fns.push(cur); cur = []; size = 0; local = new Map();
        text = body; // no locals at the start of a function
      }
      size += cost(text);
      for (const m of text.matchAll(READ)) loadedFromS.add(Number(m[1]));
      for (const m of text.matchAll(LOCAL)) used.add(m[0]);
      if (simple) {
        const name = `v${seq++}`;
        cur.push({ name, slot: Number(simple[1]), expr: text });
        local.set(Number(simple[1]), name);
        continue;
      }
      cur.push({ text });
      for (const m of st.matchAll(WRITE)) local.delete(Number(m[1]));
      for (const h of helpers(st)) for (let i = 0; i < h.n; i++) local.delete(h.dst + i);
    }
    if (cur.length) fns.push(cur);
    return fns;
  });
  return packed.map((fns) => fns.map((fn) => fn.map((x) => {
    if ('text' in x) return x.text;
    const store = pinned(x.slot) || loadedFromS.has(x.slot) || helperRead.has(x.slot);
    if (!used.has(x.name)) return store ? `s[${x.slot}]=${x.expr};` : ''; // nothing reads it: dead (expressions have no effects)
    return store ? `const ${x.name}=${x.expr};s[${x.slot}]=${x.name};` : `const ${x.name}=${x.expr};`;
  }).filter((t) => t).join('\n')));
}
