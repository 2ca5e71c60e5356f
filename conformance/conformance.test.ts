// conformance/conformance.test.ts — the conformance suite as vitest tests, one per conformance
// test: every group on the reference model (its own oracle: a determinism check, and the suite's
// check of itself), every group on the RTL in the JS simulator, and groups rx, tx and
// reliability on the RTL in Verilator when Verilator is installed (`npx homa-nic conformance
// --nic rtl-verilator` runs the rest).

import { beforeAll, describe, expect, test } from 'vitest';
import { verilatorUnavailable } from '../sim/verilator/index.ts';
import { nicIdentity, registeredTests, runTest, type DutKind, type Group } from './suite.ts';

/** One vitest test per conformance test of `group` (or all) on `nic`. */
function suite(nic: DutKind, group?: Group): void {
  for (const t of registeredTests(group)) {
    test(`${t.group}: ${t.name}`, async () => {
      const r = await runTest(t, nic);
      if (!r.ok) expect.fail(`${nic}: ${r.reason}`);
    });
  }
}

describe('conformance on the reference model (every group)', () => suite('model'));

describe('conformance on the RTL, JS simulator (group rx)', () => suite('rtl', 'rx'));
describe('conformance on the RTL, JS simulator (group grants)', () => suite('rtl', 'grants'));
describe('conformance on the RTL, JS simulator (group tx)', () => suite('rtl', 'tx'));
describe('conformance on the RTL, JS simulator (group host)', () => suite('rtl', 'host'));
describe('conformance on the RTL, JS simulator (group reliability)', () => suite('rtl', 'reliability'));

if (verilatorUnavailable) {
  process.stderr.write(`conformance: the rtl-verilator runs are skipped: ${verilatorUnavailable}\n`);
  test.skip(`conformance on the RTL in Verilator (groups rx, tx, reliability): ${verilatorUnavailable}`, () => {});
} else {
  describe('conformance on the RTL, Verilator (groups rx, tx, reliability)', () => {
    // The Verilator model comes from the build cache, or is built here (minutes, once).
    beforeAll(async () => { await nicIdentity('rtl-verilator'); }, 30 * 60_000);
    suite('rtl-verilator', 'rx');
    suite('rtl-verilator', 'tx');
    suite('rtl-verilator', 'reliability');
  });
}
