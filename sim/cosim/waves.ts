// sim/cosim/waves.ts — waveforms of co-simulated RTL NICs: which file each RtlNic writes, and
// the window of simulated time to write.
//
// A NIC given `vcd` in its options writes there. Otherwise the process-wide request decides
// (set by a command's --vcd/--vcd-window, or by HOMA_NIC_VCD and HOMA_NIC_VCD_WINDOW in the
// environment), so every co-simulation — a SimCluster, the conformance suite, a test — can
// record its RTL NICs without plumbing options through: the first NIC made writes FILE, later
// ones FILE-1.vcd, FILE-2.vcd, ...; under a label (the conformance suite labels each test)
// FILE-<label>.vcd, then FILE-<label>-1.vcd, ...
//
// Time in the VCD is simulated time in picoseconds (timescale 1ps): engine cycle c at
// c x the clock period, as on the network and in a pcap of the same run, so a frame in the
// capture and its beats in the waveform carry the same time. Quiet cycles the co-simulation
// skips (sim/cosim README, "Time") are not in the file: signals hold and the clock stops.

/** A simulated time with its unit ('250ns', '10us') in picoseconds. */
function durationPs(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ps|ns|us|µs|ms|s)$/.exec(text.trim());
  if (!m) throw new RangeError(`${flag}: "${text}" is not a time with a unit (ps, ns, us, ms, s), e.g. 10us`);
  const scale = { ps: 1, ns: 1e3, us: 1e6, µs: 1e6, ms: 1e9, s: 1e12 }[m[2] as 'ps'];
  return Math.round(Number(m[1]) * scale);
}

export interface WaveRequest {
  readonly path: string;
  /** Simulated time in picoseconds: only cycles in [start, end) are written (default all). */
  readonly windowPs?: { readonly start: number; readonly end: number };
}

let request: WaveRequest | null | undefined;
let made = 0;
let label = '';
let madeUnderLabel = 0;

/** Parses a window 'START:END' of simulated times with units ('10us:20us'; either side may be empty). */
export function parseWindow(text: string, flag = '--vcd-window'): { start: number; end: number } {
  const m = /^([^:]*):([^:]*)$/.exec(text.trim());
  if (!m) throw new RangeError(`${flag} "${text}": expected START:END in simulated time, e.g. 10us:20us (either side may be left empty)`);
  const start = m[1] ? durationPs(flag, m[1]) : 0;
  const end = m[2] ? durationPs(flag, m[2]) : Infinity;
  if (!(start < end)) throw new RangeError(`${flag} "${text}": the start must be before the end`);
  return { start, end };
}

function fromEnvironment(): WaveRequest | null {
  const path = process.env['HOMA_NIC_VCD']?.trim();
  if (!path) return null;
  const w = process.env['HOMA_NIC_VCD_WINDOW']?.trim();
  return { path, ...(w ? { windowPs: parseWindow(w, 'HOMA_NIC_VCD_WINDOW') } : {}) };
}

/** Every RTL NIC made from now on records a waveform (null: none; the environment's is replaced). */
export function requestWaves(r: WaveRequest | null): void {
  request = r;
  made = 0;
  label = '';
  madeUnderLabel = 0;
}

/** Names the files of the NICs made from now on after `name` (letters, digits, - and _ kept). */
export function labelWaves(name: string): void {
  label = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  madeUnderLabel = 0;
}

/** The file the next RTL NIC without a `vcd` option writes, or null (RtlNic calls this). */
export function claimWaveFile(): WaveRequest | null {
  if (request === undefined) request = fromEnvironment();
  if (!request) return null;
  made++;
  const n = madeUnderLabel++;
  const suffix = [label, n > 0 ? String(n) : ''].filter(Boolean).join('-');
  if (!suffix) return request;
  return { ...request, path: request.path.replace(/(\.vcd)?$/i, `-${suffix}.vcd`) };
}

/** Files written so far under the process-wide request (for a command's closing message). */
export function waveFilesMade(): number { return made; }
