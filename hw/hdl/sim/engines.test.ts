// The engine list: loaders run on first use, once; HDL_ENGINES chooses; opt-in engines and
// unavailable ones are where they should be.

import { expect, test } from 'vitest';
import { input, module, output, u } from '../index.ts';
import { JsSimulator } from './js/engine.ts';
import { availableEngines, registerEngine, simulate, testEngines } from './index.ts';

const wire = module('wire', { a: input(u(4)), y: output(u(4)) }, (m, io) => { m.comb(() => io.y.set(io.a)); });

test('a loader is imported by the first simulation that names it, once', async () => {
  let loads = 0;
  registerEngine('test_lazy', { load: async () => { loads++; return ({ design }) => new JsSimulator(design); } });
  expect(loads).toBe(0);
  const a = await simulate(wire, { engine: 'test_lazy' });
  await simulate(wire, { engine: 'test_lazy' });
  a.poke('a', 5);
  expect(a.peek('y')).toBe(5);
  expect(loads).toBe(1);
});

test('HDL_ENGINES chooses; opt-in engines only when named; unavailable ones are skipped with the reason', async () => {
  registerEngine('test_optin', { optIn: true, load: async () => ({ design }) => new JsSimulator(design) });
  registerEngine('test_missing', { unavailable: () => 'no such toolchain', load: async () => { throw new Error('never'); } });
  expect(testEngines('js,test_optin').run).toEqual(['js', 'test_optin']);
  expect(testEngines('').run).toContain('js');
  expect(testEngines('').run).not.toContain('test_optin');
  expect(testEngines('js,test_missing')).toEqual({ run: ['js'], skipped: [{ engine: 'test_missing', reason: 'no such toolchain' }] });
  expect(testEngines('js,nope').skipped[0]!.reason).toMatch(/unknown simulation engine 'nope'/);
  expect(availableEngines()).not.toContain('test_missing');
  await expect(simulate(wire, { engine: 'test_missing' })).rejects.toThrow("simulation engine 'test_missing' cannot run here: no such toolchain");
});
