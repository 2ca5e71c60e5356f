// The iCE40 flow on the board shell (MAC loopback and UART bridge, no engine): a real
// bitstream from yosys, nextpnr-ice40 and icepack in about a minute. The full board with the
// engine is `npm run build:boards` (long: see README, "Boards").
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { icebreaker } from '../icebreaker/board.ts';
import { buildLine } from '../cli.ts';
import { buildIce40 } from './ice40.ts';

const tools = ['yosys', 'nextpnr-ice40', 'icepack'].filter((t) => spawnSync(t, ['-V'], { stdio: 'ignore' }).error);
if (tools.length) console.warn(`boards/flows/ice40.test.ts: skipped, missing ${tools.join(', ')} (apt-get install yosys nextpnr-ice40 fpga-icestorm)`);

test.skipIf(tools.length > 0)('iCE40 flow: the iCEBreaker shell builds to a bitstream, with utilisation and fmax from the tools', async () => {
  const out = mkdtempSync(join(tmpdir(), 'homa-board-'));
  const lines: string[] = [];
  const r = await buildIce40(icebreaker, out, (l) => lines.push(l), { shell: true });
  expect(lines.some((l) => l.startsWith('[3/4] nextpnr-ice40 --up5k --package sg48 --freq 50'))).toBe(true);
  // An UP5K bitstream (icepack's .bin) is 104,090 bytes.
  expect(r.bitstream).toBe(join(out, 'icebreaker.bin'));
  expect(statSync(r.bitstream!).size).toBe(104_090);
  expect(r.luts).toBeGreaterThan(0);
  expect(r.luts).toBeLessThanOrEqual(5280);
  expect(r.brams).toBeGreaterThanOrEqual(2);      // the bridge's frame buffer, the shell's registers
  expect(r.fmaxMhz).toBeGreaterThan(0);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { utilization: Record<string, { used: number }> };
  expect(report.utilization['ICESTORM_LC']!.used).toBe(r.luts);
  expect(buildLine(r)).toMatch(/^build: board=icebreaker luts=\d+\/5280 brams=\d+ fmax=\d+\.\d target=50$/);
  expect(existsSync(join(out, 'top.v')) && existsSync(join(out, 'icebreaker.pcf'))).toBe(true);
}, 900_000);
