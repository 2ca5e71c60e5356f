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

class CapturedLoc implements SourceLoc {
  private holder: { stack?: string } | null;
  private cached: string | null = null;
  constructor(holder: { stack?: string }) { this.holder = holder; }
  get text(): string {
    if (this.cached === null) {
      this.cached = userFrame(this.holder?.stack ?? '');
      this.holder = null;
    }
    return this.cached;
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
    if (file.includes('/node_modules/') || file.startsWith('node:')) continue;
    if (file.startsWith(hdlDir) && !file.endsWith('.test.ts')) continue;
    return `${relative(process.cwd(), file) || file}:${m[2]}`;
  }
  return '?';
}

/** Records the designer's source location of the current call. */
export function here(): SourceLoc {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 24;
  Error.captureStackTrace(holder, here);
  Error.stackTraceLimit = limit;
  return new CapturedLoc(holder);
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
