// conformance/runner.ts — the suite's runner: tests registered by group and name, each run on
// the NIC under test (DUT) and then, when it recorded observations, once more with the
// reference model in the DUT's place (the oracle, configured with the DUT's documented bounds).
// A test passes when its own expectations hold and the two runs observed the same thing.

import { SimCluster } from '../host-lib/backends/sim.ts';
import { ConformanceFailure } from './check.ts';
import { TestContext, type DutKind } from './context.ts';
import { compareObservations, readIdentity, type NicIdentity } from './observe.ts';

export const GROUPS = ['rx', 'grants', 'tx', 'reliability', 'host'] as const;
export type Group = (typeof GROUPS)[number];

export interface ConformanceTest {
  readonly group: Group;
  readonly name: string;
  /** Sections of shared/spec/homa-protocol.md (or ABI records) the test holds the NIC to. */
  readonly spec: string;
  /** The scenario: throws ConformanceFailure when the NIC does not behave. */
  run(ctx: TestContext): Promise<void>;
}

const registry: ConformanceTest[] = [];

/** Register a test (the test files call this when imported; suite.ts imports them all). */
export function conformanceTest(group: Group, name: string, spec: string, run: (ctx: TestContext) => Promise<void>): void {
  if (registry.some((t) => t.group === group && t.name === name)) throw new Error(`conformance test ${group}/${name} registered twice`);
  registry.push({ group, name, spec, run });
}

/** Registered tests, in registration order, of one group or all. */
export function registeredTests(group?: Group): readonly ConformanceTest[] {
  return registry.filter((t) => group === undefined || t.group === group);
}

export interface TestResult {
  readonly group: Group;
  readonly name: string;
  readonly nic: DutKind;
  readonly ok: boolean;
  /** Why it failed: what was expected, what happened. */
  readonly reason?: string;
  /** Whether the model's run was compared with the DUT's. */
  readonly compared: boolean;
  readonly wallMs: number;
}

const identities = new Map<DutKind, Promise<NicIdentity>>();

/**
 * What a kind of NIC reports in its identity block (a two-host cluster, read once per process).
 * For rtl-verilator this is where the Verilator model is built, if it is not in the cache.
 */
export function nicIdentity(kind: DutKind): Promise<NicIdentity> {
  let p = identities.get(kind);
  if (!p) {
    p = (async () => {
      const c = await SimCluster.create({ hosts: 2, engines: [kind, 'model'] });
      try { return readIdentity(c.device(0)); } finally { c.close(); }
    })();
    identities.set(kind, p);
  }
  return p;
}

/** Default wall-clock limit of one run: a safety net only (simulated time is bounded anyway). */
const WALL_LIMIT_MS = 300_000;

async function runOnce(test: ConformanceTest, ctx: TestContext, wallLimitMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConformanceFailure(`no result after ${wallLimitMs / 1000} s of wall time`)), wallLimitMs);
    });
    await Promise.race([test.run(ctx), limit]);
    return null;
  } catch (e) {
    if (e instanceof ConformanceFailure) return e.message;
    // Anything else thrown is a failure too (an error the host saw), with its own words.
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } finally {
    clearTimeout(timer);
    await ctx.teardown();
  }
}

/** Run one test on `nic`, then (if it recorded anything) on the model, and compare. */
export async function runTest(test: ConformanceTest, nic: DutKind, opt: { wallLimitMs?: number } = {}): Promise<TestResult> {
  const start = Date.now();
  const limit = opt.wallLimitMs ?? WALL_LIMIT_MS;
  const done = (ok: boolean, compared: boolean, reason?: string): TestResult => ({
    group: test.group, name: test.name, nic, ok, compared, wallMs: Date.now() - start, ...(reason === undefined ? {} : { reason }),
  });
  const identity = await nicIdentity(nic);
  const dut = new TestContext(nic, 'dut', identity);
  const failed = await runOnce(test, dut, limit);
  if (failed !== null) return done(false, false, failed);
  if (dut.observations.size === 0) return done(true, false);
  const oracle = new TestContext('model', 'oracle', identity);
  const oracleFailed = await runOnce(test, oracle, limit);
  if (oracleFailed !== null) return done(false, false, `the model, run as the oracle in the same scenario, failed: ${oracleFailed}`);
  const diffs = compareObservations(dut.observations, oracle.observations, nic);
  if (diffs.length > 0) return done(false, true, `differs from the model on the same traffic: ${diffs.join('; ')}`);
  return done(true, true);
}

/** Run every test of `group` (or all) on `nic`, reporting each result as it comes. */
export async function runSuite(nic: DutKind, group: Group | undefined, onResult: (r: TestResult) => void = () => {}): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const t of registeredTests(group)) {
    const r = await runTest(t, nic);
    results.push(r);
    onResult(r);
  }
  return results;
}
