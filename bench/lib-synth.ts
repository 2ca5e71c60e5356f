// bench/lib-synth.ts — the two Yosys targets bench/lib.bench.ts uses and how to read their
// `stat` output.

export interface SynthResult { luts: number; ffs: number; brams: number; ltp: number; seconds: number }

export interface Target {
  readonly name: string;
  /** The synthesis command for top `top`. */
  script(top: string): string;
  /** Cell types that hold state (deleted before `ltp`, so paths end at them). */
  readonly sequential: string;
  lut(cell: string): boolean;
  ff(cell: string): boolean;
  /** Block RAM count contributed by one cell of this type. */
  bram(cell: string): number;
}

export const TARGETS: readonly Target[] = [
  {
    name: 'ice40',
    script: (top) => `synth_ice40 -top ${top}`,
    sequential: 't:SB_DFF* t:SB_RAM40_4K',
    lut: (c) => c === 'SB_LUT4',
    ff: (c) => c.startsWith('SB_DFF'),
    bram: (c) => (c === 'SB_RAM40_4K' ? 1 : 0),
  },
  {
    name: 'xc7',
    script: (top) => `synth_xilinx -family xc7 -flatten -noiopad -top ${top}`,
    sequential: 't:FD* t:RAMB* t:RAM32* t:RAM64* t:RAM128* t:RAM256* t:SRL*',
    lut: (c) => /^LUT[1-6]$/.test(c),
    ff: (c) => /^FD/.test(c),
    bram: (c) => (c === 'RAMB36E1' ? 1 : c === 'RAMB18E1' ? 0.5 : 0),
  },
];

/** Cell counts from a Yosys `stat` report (the top module's, the last block printed). */
export function parseStat(text: string, t: Target): Omit<SynthResult, 'ltp' | 'seconds'> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^\s+(\$?[A-Za-z_][\w$]*)\s+(\d+)\s*$/gm)) counts.set(m[1]!, Number(m[2]));
  let luts = 0, ffs = 0, brams = 0;
  for (const [cell, n] of counts) {
    if (t.lut(cell)) luts += n;
    if (t.ff(cell)) ffs += n;
    brams += t.bram(cell) * n;
  }
  return { luts, ffs, brams };
}
