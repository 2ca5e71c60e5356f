// hw/hdl/loc.ts — where in the designer's source a thing was made.
//
// Capturing a stack is cheap (V8 records frames; it formats them only when `.stack` is read),
// so every node keeps a holder and the file:line is worked out only for comments and errors.
// Frames inside the DSL itself are skipped, so the location is the designer's line.

import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';

export interface SourceLoc {
  /** `path/file.ts:line`, relative to the working directory; '?' when unknown. */
  readonly text: string;
}

const hdlDir = fileURLToPath(new URL('.', import.meta.url));

/**
 * Source-mapped file:line per call site. Mapping a stack through source maps is the costly
 * part, so it happens once per distinct call site (a generator loop makes thousands of
 * statements from one line), keyed by the cheap unmapped position.
 */
const mapped = new Map<string, string>();
/** One unformatted stack per call site not yet mapped. */
const pending = new Map<string, { stack?: string }>();

class CapturedLoc implements SourceLoc {
  constructor(private readonly key: string) {}
  get text(): string {
    let t = mapped.get(this.key);
    if (t === undefined) {
      t = userFrame(pending.get(this.key)?.stack ?? '');
      mapped.set(this.key, t);
      pending.delete(this.key);
    }
    return t;
  }
}

const FRAME = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:[^():]+):(\d+):\d+\)?\s*$/;

function userFrame(stack: string): string {
  const lines = stack.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const m = FRAME.exec(lines[i]!);
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (isDsl(file)) continue;
    return `${relative(process.cwd(), file) || file}:${m[2]}`;
  }
  return '?';
}

function isDsl(file: string): boolean {
  if (file.includes('/node_modules/') || file.startsWith('node:')) return true;
  // hw/hdl/sim (the random-design generator of the simulator fuzzer) uses the DSL as a designer does.
  return (file.startsWith(hdlDir) || file.startsWith(hdlUrl)) && !file.endsWith('.test.ts') && !file.includes('/hdl/sim/');
}

const hdlUrl = new URL('.', import.meta.url).href;
type CallSite = { getFileName(): string | null | undefined; getLineNumber(): number | null; getColumnNumber(): number | null };
const structured = (_e: Error, cs: CallSite[]) => cs;

/** Records the designer's source location of the current call. */
export function here(): SourceLoc {
  const limit = Error.stackTraceLimit;
  // The designer's frame is usually within a few frames; look deeper only when it is not.
  let depth = 8;
  let key = userKey(depth);
  if (key === null) key = userKey((depth = 64)) ?? '?';
  if (!mapped.has(key) && !pending.has(key)) {
    const holder: { stack?: string } = {};
    Error.stackTraceLimit = depth + 2;
    Error.captureStackTrace(holder, here);
    pending.set(key, holder);
  }
  Error.stackTraceLimit = limit;
  return new CapturedLoc(key);
}

/** The unmapped position of the first frame outside the DSL (structured call sites: no formatting). */
function userKey(depth: number): string | null {
  const limit = Error.stackTraceLimit, prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = depth + 2;
  Error.prepareStackTrace = structured as typeof Error.prepareStackTrace;
  const probe: { stack?: unknown } = {};
  Error.captureStackTrace(probe, userKey);
  const sites = probe.stack as CallSite[];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  for (const cs of sites) {
    const f = cs.getFileName();
    if (!f || isDsl(f.startsWith('file://') ? fileURLToPath(f) : f)) continue;
    return `${f}:${cs.getLineNumber()}:${cs.getColumnNumber()}`;
  }
  return null;
}

export const unknownLoc: SourceLoc = { text: '?' };

/** An error in a design, reported with the designer's file:line. */
export class ElaborationError extends Error {
  readonly loc: SourceLoc;
  constructor(message: string, loc: SourceLoc, readonly detail: readonly string[] = []) {
    super(`${loc.text}: ${message}${detail.length ? '\n' + detail.map((d) => '  ' + d).join('\n') : ''}`);
    this.name = 'ElaborationError';
    this.loc = loc;
  }
}
