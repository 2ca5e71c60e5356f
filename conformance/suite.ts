// conformance/suite.ts — the whole suite: importing this registers every test (one file per
// group or theme under tests/), then the runner runs them.

import './tests/rx-receive.ts';
import './tests/rx-bpages.ts';
import './tests/rx-order.ts';
import './tests/rx-bad-input.ts';
import './tests/grants.ts';
import './tests/grants-tunables.ts';
import './tests/tx.ts';
import './tests/reliability.ts';
import './tests/reliability-acks.ts';
import './tests/host.ts';

export { GROUPS, registeredTests, runSuite, runTest, nicIdentity, type ConformanceTest, type Group, type TestResult } from './runner.ts';
export { DUT_KINDS, type DutKind } from './context.ts';
