// tools/wireshark/tshark.ts — runs tshark with the Homa dissector over a capture and returns
// the fields of every frame, for tests and for the picture in the README.

import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The dissector in this repository (what `tshark -X lua_script:` loads). */
export const HOMA_LUA = fileURLToPath(new URL('./homa.lua', import.meta.url));

/** Why tshark cannot be used here, or null when it can. */
export function tsharkUnavailable(): string | null {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'tshark is not installed (apt-get install tshark, or npm run setup -- --tools as root)';
  return null;
}

function tshark(args: readonly string[]): string {
  return execFileSync('tshark', ['-X', `lua_script:${HOMA_LUA}`, ...args], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30,
  });
}

/** Per frame (in capture order), every occurrence of each of `fields`. */
export function tsharkFields(pcap: string, fields: readonly string[], filter?: string): Map<string, string[]>[] {
  const SEP = '\t';
  const AGG = '|';
  const out = tshark(['-r', pcap, '-T', 'fields', '-E', `separator=${SEP}`, '-E', 'occurrence=a', '-E', `aggregator=${AGG}`,
    ...(filter ? ['-Y', filter] : []), ...fields.flatMap((f) => ['-e', f])]);
  const rows = out.split('\n').filter((l) => l.length > 0);
  return rows.map((row) => {
    const cells = row.split(SEP);
    const m = new Map<string, string[]>();
    fields.forEach((f, i) => m.set(f, cells[i] ? cells[i]!.split(AGG) : []));
    return m;
  });
}

/** tshark's one-line summaries (the packet list), `-c` frames at most. */
export function tsharkSummary(pcap: string, count?: number): string {
  return tshark(['-r', pcap, ...(count ? ['-c', String(count)] : [])]);
}

/** tshark's packet details (`-V`) of the frames `filter` selects. */
export function tsharkDetails(pcap: string, filter: string): string {
  return tshark(['-r', pcap, '-V', '-Y', filter]);
}
