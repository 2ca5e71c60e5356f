// tools/wireshark/picture.ts — makes docs/wireshark-homa.png, the README's picture of a
// capture in Wireshark: real tshark output (this repository's dissector) of a real capture
// of the network simulator, drawn as text by ImageMagick (there is no display to screenshot).
//
//   npx tsx tools/wireshark/picture.ts [--out docs/wireshark-homa.png]
//
// It runs `homa-nic sim --topology paper --workload w3 --load 0.5 --duration 100us --stack
// homa --pcap F`, picks the capture's RPC with the most GRANTs, and draws two panes as
// Wireshark does: the packet list of that RPC's first packets (tshark's one-line summaries,
// filtered on homa.sender_id) and the details of its first scheduled DATA packet
// (tshark -V -O homa: Homa expanded, the layers below it one line each).
// Needs tshark and ImageMagick's convert (apt-get install tshark imagemagick).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSimArgs } from '../../sim/experiments/cli-args.ts';
import { runSimPlan } from '../../sim/experiments/sim-command.ts';
import { STACKS } from '../../sim/experiments/stacks.ts';
import { HOMA_LUA, tsharkFields } from './tshark.ts';

const outArg = process.argv.indexOf('--out');
const out = outArg >= 0 ? process.argv[outArg + 1]! : 'docs/wireshark-homa.png';
const dir = mkdtempSync(join(tmpdir(), 'homa-picture-'));
const pcap = join(dir, 'paper.pcap');
const command = ['--topology', 'paper', '--workload', 'w3', '--load', '0.5', '--duration', '100us', '--stack', 'homa', '--pcap', pcap, '--out', join(dir, 'report')];
runSimPlan(parseSimArgs(command, Object.keys(STACKS)), `homa-nic sim ${command.join(' ')}`, () => {});

// The RPC with the most GRANTs (client id: even; its GRANTs carry the server's id, odd).
const grants = new Map<string, number>();
for (const row of tsharkFields(pcap, ['homa.sender_id'], 'homa.type == 0x11')) {
  const id = row.get('homa.sender_id')![0]!;
  grants.set(id, (grants.get(id) ?? 0) + 1);
}
const [serverId] = [...grants].sort((a, b) => b[1] - a[1])[0]!;
const clientId = (BigInt(serverId) & ~1n).toString();
const filter = `homa.sender_id == ${clientId} || homa.sender_id == ${serverId}`;
const tshark = (args: string[]): string => execFileSync('tshark', ['-X', `lua_script:${HOMA_LUA}`, '-r', pcap, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const list = tshark(['-Y', filter, '-c', '400']).split('\n').filter(Boolean).slice(0, 16).join('\n');
const scheduled = tsharkFields(pcap, ['frame.number'], `homa.sender_id == ${clientId} && homa.type == 0x10 && ip.dsfield.dscp == 0`)[0]!.get('frame.number')![0]!;
const details = tshark(['-Y', `frame.number == ${scheduled}`, '-V', '-O', 'homa']).trimEnd();

const title = `tshark -X lua_script:tools/wireshark/homa.lua -r paper.pcap -Y '${filter}'\n(paper.pcap from: homa-nic sim --topology paper --workload w3 --load 0.5 --duration 100us --stack homa --pcap paper.pcap)`;
const detailText = `Frame ${scheduled}, the RPC's first scheduled DATA packet (tshark -V -O homa):\n\n${details}`;
// Monospace text, every line padded to the widest with no-break spaces (which ImageMagick keeps
// where it trims plain ones), so indentation survives and the panes are one width.
const NBSP = '\u00a0';
const width = Math.max(...[title, list, detailText].flatMap((t) => t.split('\n')).map((l) => l.length)) + 2;
const label = (line: string): string => {
  const padded = (NBSP + line).replace(/ /g, NBSP).padEnd(width, NBSP);
  return `label:${padded.replace(/%/g, '%%')}`;
};
// One label per line, stacked: ImageMagick refuses (a size limit) some multi-line labels.
const pane = (text: string, background: string, font: string, fill: string): string[] => [
  '(', '-background', background, '-fill', fill, '-font', font, '-pointsize', '13',
  ...text.split('\n').map(label), '-append', ')',
];
execFileSync('/usr/bin/convert', [
  ...pane(title, '#3c4b5e', 'DejaVu-Sans-Mono-Bold', 'white'),
  ...pane(`\n${list}\n`, '#e6eefa', 'DejaVu-Sans-Mono', '#111111'),
  ...pane(`\n${detailText}\n`, '#fbfbfb', 'DejaVu-Sans-Mono', '#111111'),
  '-append', '-bordercolor', '#8a96a8', '-border', '6', out,
]);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${out}: RPC ${clientId}, frame ${scheduled} in detail\n`);
