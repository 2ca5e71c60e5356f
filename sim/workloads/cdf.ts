// sim/workloads/cdf.ts — loads the W1-W5 message-size CDF tables (sim/workloads/data, see its
// README.md: HomaModule's util/dist.cc tables as running sums).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKLOAD_NAMES = ['w1', 'w2', 'w3', 'w4', 'w5'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** A message-size step CDF: cdf[i] = fraction of messages with length <= sizes[i]. */
export interface SizeCdf {
  readonly name: string;
  readonly sizes: Float64Array;
  readonly cdf: Float64Array;
}

/** sim/workloads/data, resolved from this file's location (HOMA_WORKLOADS overrides it). */
export function defaultWorkloadsDir(): string {
  return process.env['HOMA_WORKLOADS'] ?? join(dirname(fileURLToPath(import.meta.url)), 'data');
}

export function isWorkloadName(s: string): s is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(s);
}

export function loadWorkload(name: WorkloadName, dir = defaultWorkloadsDir()): SizeCdf {
  const path = join(dir, `${name}.csv`);
  if (!existsSync(path)) {
    throw new Error(`workload table ${path} not found: the W1-W5 CDFs ship in sim/workloads/data (HOMA_WORKLOADS=${process.env['HOMA_WORKLOADS'] ?? '(unset)'} points elsewhere)`);
  }
  return parseCdf(name, readFileSync(path, 'utf8'), path);
}

export function parseCdf(name: string, text: string, where = name): SizeCdf {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== 'size_bytes,cdf') throw new Error(`${where}: first line must be "size_bytes,cdf", got "${lines[0] ?? ''}"`);
  const sizes: number[] = [];
  const cdf: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const [a, b] = lines[i]!.split(',');
    const size = Number(a);
    const p = Number(b);
    if (!Number.isInteger(size) || size <= 0 || !(p > 0 && p <= 1)) throw new Error(`${where}:${i + 1}: bad row "${lines[i]}"`);
    if (sizes.length > 0 && (size <= sizes[sizes.length - 1]! || p < cdf[cdf.length - 1]!)) {
      throw new Error(`${where}:${i + 1}: sizes must increase and cdf must not decrease`);
    }
    sizes.push(size);
    cdf.push(p);
  }
  if (cdf.length === 0 || Math.abs(cdf[cdf.length - 1]! - 1) > 1e-9) throw new Error(`${where}: the last row must have cdf 1.0`);
  cdf[cdf.length - 1] = 1;
  return { name, sizes: Float64Array.from(sizes), cdf: Float64Array.from(cdf) };
}
