// Golden Verilog: the emitted text of each example is committed beside it, so any change to
// the emitter or an example shows up as a reviewable diff. `UPDATE_GOLDEN=1 npx vitest run
// hw/examples` rewrites them after an intended change.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { toVerilog } from '../hdl/index.ts';
import { exampleDesigns } from './index.ts';

const dir = new URL('./golden/', import.meta.url);

describe('golden Verilog of the examples', () => {
  for (const [name, def] of Object.entries(exampleDesigns())) {
    test(name, () => {
      const text = toVerilog(def).text;
      const file = new URL(`${name}.v`, dir);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
      expect(existsSync(file), `golden file ${file.pathname} is missing: run with UPDATE_GOLDEN=1 to create it`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }

  test('emission is deterministic: a second elaboration gives the same bytes', () => {
    const a = exampleDesigns(), b = exampleDesigns();
    for (const k of Object.keys(a) as (keyof typeof a)[]) expect(toVerilog(b[k]).text).toBe(toVerilog(a[k]).text);
  });

  test('identical parameterisations are emitted once, different ones get their own module', () => {
    const v = toVerilog(exampleDesigns().buffered_uart);
    expect(v.modules).toEqual(['ram_fifo', 'uart_tx', 'counter', 'buffered_uart']);
    expect(v.text.match(/^module counter \(/gm)).toHaveLength(1);
  });
});
