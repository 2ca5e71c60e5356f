// conformance/conformance.test.ts — the conformance suite as vitest tests, one per conformance
// test: every group on the reference model (its own oracle: a determinism check, and the suite's
// check of itself), groups rx, grants, tx and host on the RTL in the JS simulator, and groups rx
// and tx on the RTL in Verilator when Verilator is installed. Group reliability on the RTL is
// `npx homa-nic conformance --nic rtl`'s business until it passes there (it needs the engine's
// timers, RESEND service and ACK handling: 5 of its tests fail today).

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

if (verilatorUnavailable) {
  process.stderr.write(`conformance: the rtl-verilator runs are skipped: ${verilatorUnavailable}\n`);
  test.skip(`conformance on the RTL in Verilator (groups rx, tx): ${verilatorUnavailable}`, () => {});
} else {
  describe('conformance on the RTL, Verilator (groups rx, tx)', () => {
    // The Verilator model comes from the build cache, or is built here (minutes, once).
    beforeAll(async () => { await nicIdentity('rtl-verilator'); }, 30 * 60_000);
    suite('rtl-verilator', 'rx');
    suite('rtl-verilator', 'tx');
  });
}
