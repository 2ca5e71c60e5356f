// conformance/cli.ts — `homa-nic conformance`: the suite over one NIC kind, a line per test on
// stderr as it finishes, and the verdict as the last line on stdout:
//   conformance: nic=<nic> group=<group|all> <N> passed, <M> failed
// The exit code is 1 when any test failed.

import { UsageError } from '../sim/experiments/cli-args.ts';
import { labelWaves, parseWindow, requestWaves } from '../sim/cosim/waves.ts';
import { DUT_KINDS, GROUPS, nicIdentity, registeredTests, runTest, type DutKind, type Group, type TestResult } from './suite.ts';

export const CONFORMANCE_HELP = `homa-nic conformance — the NIC conformance suite, the reference model as the oracle

Usage: homa-nic conformance --nic NIC [--group GROUP] [--list] [--vcd FILE [--vcd-window START:END]]

  --nic NIC       the NIC under test: ${DUT_KINDS.join(', ')}
                  (rtl: the engine's RTL in the JS simulator; rtl-verilator: in Verilator,
                  built first unless it is in the build cache)
  --group GROUP   one group: ${GROUPS.join(', ')} (default: all)
  --list          list the tests (group and name) instead of running them
  --vcd FILE      a waveform of the RTL NIC in each test: FILE-<group>-<test>.vcd, every signal
                  by instance, FSM states by name, stamped in simulated time (ps)
  --vcd-window W  only START:END of each test's simulated time, e.g. 0us:50us (either side
                  may be empty), so a long test does not write gigabytes
  --help          this text

Each test builds its own simulated cluster: the NIC under test is host 0, every other host a
reference-model NIC. A test passes when its own expectations hold and, where it records what
the NIC's host saw (messages, bytes, bpage offsets, counters), the same scenario run with the
model in its place records the same. Progress goes to stderr; the last line on stdout is
"conformance: nic=NIC group=GROUP N passed, M failed"; the exit code is 1 if any failed.
`;

export interface ConformancePlan {
  readonly nic: DutKind | undefined;
  readonly group: Group | undefined;
  readonly list: boolean;
  readonly help: boolean;
  readonly vcd?: string;
  readonly vcdWindowPs?: { readonly start: number; readonly end: number };
}

const isKind = (s: string): s is DutKind => (DUT_KINDS as readonly string[]).includes(s);
const isGroup = (s: string): s is Group => (GROUPS as readonly string[]).includes(s);

/** Flags to a plan; a UsageError says what was wrong and what is accepted. */
export function parseConformanceArgs(argv: readonly string[]): ConformancePlan {
  let nic: DutKind | undefined;
  let group: Group | undefined;
  let list = false;
  let help = false;
  let vcd: string | undefined;
  let window: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--nic': {
        const v = value();
        if (!isKind(v)) throw new UsageError(`--nic "${v}": expected one of ${DUT_KINDS.join(', ')}`);
        nic = v;
        break;
      }
      case '--group': {
        const v = value();
        if (!isGroup(v)) throw new UsageError(`--group "${v}": expected one of ${GROUPS.join(', ')} (or leave it out for all)`);
        group = v;
        break;
      }
      case '--list': list = true; break;
      case '--help': case '-h': help = true; break;
      case '--vcd': vcd = value(); break;
      case '--vcd-window': window = value(); break;
      default: throw new UsageError(`unknown flag "${arg}"; accepted: --nic, --group, --list, --vcd, --vcd-window, --help`);
    }
  }
  if (!help && !list && nic === undefined) throw new UsageError(`give the NIC under test: --nic ${DUT_KINDS.join('|')}`);
  if (window !== undefined && vcd === undefined) throw new UsageError('--vcd-window goes with --vcd FILE');
  if (vcd !== undefined && nic === 'model') throw new UsageError('--vcd records RTL NICs: use it with --nic rtl or rtl-verilator');
  let vcdWindowPs: { start: number; end: number } | undefined;
  try { vcdWindowPs = window === undefined ? undefined : parseWindow(window); } catch (e) { throw new UsageError((e as Error).message); }
  return { nic, group, list, help, ...(vcd !== undefined ? { vcd } : {}), ...(vcdWindowPs ? { vcdWindowPs } : {}) };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Runs the command; returns the exit code. */
export async function runConformance(plan: ConformancePlan, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (plan.help) { out.write(CONFORMANCE_HELP); return 0; }
  const tests = registeredTests(plan.group);
  const groupName = plan.group ?? 'all';
  if (plan.list) {
    for (const t of tests) out.write(`${t.group}\t${t.name}\t(${t.spec})\n`);
    out.write(`conformance: ${tests.length} tests in group=${groupName}\n`);
    return 0;
  }
  const nic = plan.nic!;
  if (nic === 'rtl-verilator') {
    err.write('conformance: preparing the rtl-verilator NIC: building the engine\'s Verilator model (SimCluster.create; minutes the first time, then from the build cache)\n');
    const t0 = Date.now();
    try {
      await nicIdentity(nic);
    } catch (e) {
      err.write(`homa-nic conformance: the rtl-verilator NIC cannot be made: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
    err.write(`conformance: the Verilator model is ready (${seconds(Date.now() - t0)})\n`);
  }
  err.write(`conformance: ${tests.length} tests on nic=${nic}, group=${groupName}\n`);
  const report = (r: TestResult): void => {
    const verdict = r.ok ? `ok${r.compared ? ' (same as the model)' : ''}` : `FAILED: ${r.reason}`;
    err.write(`[${r.group}] ${r.name}: ${verdict} (${seconds(r.wallMs)})\n`);
  };
  await nicIdentity(nic);                              // its probe NIC before any waveform is asked for
  if (plan.vcd) requestWaves({ path: plan.vcd, ...(plan.vcdWindowPs ? { windowPs: plan.vcdWindowPs } : {}) });
  const results: TestResult[] = [];
  try {
    for (const t of tests) {
      if (plan.vcd) labelWaves(`${t.group}-${t.name}`);
      const r = await runTest(t, nic);
      results.push(r);
      report(r);
    }
  } finally {
    if (plan.vcd) { err.write(`conformance: waveforms of the RTL NIC in ${plan.vcd.replace(/(\.vcd)?$/i, '-<group>-<test>.vcd')}\n`); requestWaves(null); }
  }
  const passed = results.filter((r) => r.ok).length;
  out.write(`conformance: nic=${nic} group=${groupName} ${passed} passed, ${results.length - passed} failed\n`);
  return passed === results.length ? 0 : 1;
}
