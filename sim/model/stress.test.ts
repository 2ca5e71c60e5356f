// sim/model/stress.test.ts — spec §3.5 (loss recovery), §3.6 (at-most-once, acks), §4 (bpages):
// under seeded loss, duplication and reordering, every RPC completes exactly once with the
// right bytes, and afterwards no RPC state and no bpage is left. HOMA_STRESS_RPCS=n scales it.
import { describe, expect, test } from 'vitest';
import { runStress } from './stress.ts';

const N = Number(process.env['HOMA_STRESS_RPCS'] ?? 800);

describe('model under faults', () => {
  for (const [name, wire, seed, bpages] of [
    ['10% loss', { loss: 0.1 }, 1, 64],
    ['10% duplication + 10% reordering', { duplicate: 0.1, reorder: 0.1 }, 2, 64],
    ['5% loss + 5% duplication + 10% reordering, smallest region (bpage exhaustion)', { loss: 0.05, duplicate: 0.05, reorder: 0.1 }, 3, 33],
  ] as const) {
    test(`${name}: ${2 * N} RPCs up to 1,000,000 B complete exactly once, nothing left (§3.5, §3.6, §4)`, () => {
      const r = runStress({ rpcs: N, concurrency: 8, maxLength: 1_000_000, wire: { ...wire, seed }, seed, bpages });
      expect(r.errors).toBe(0);
      expect(r.completed).toBe(2 * N);
      expect(r.duplicates).toBe(0);
      expect(r.badResponses).toBe(0);
      expect(r.badRequests).toBe(0);
      expect(r.multipleExecutions).toBe(0);
      expect(r.leftover).toEqual({ rpcs: 0, bpages: 0 });
      expect(r.pair.wire.q.nonIntegerTimes).toBe(0);              // whole picoseconds (sim/net/endpoint.ts)
      if ('loss' in wire) expect(r.pair.wire.faults.lost).toBeGreaterThan(0);
      if ('duplicate' in wire) expect(r.pair.wire.faults.duplicated).toBeGreaterThan(0);
      if (bpages === 33) expect(r.pair.a.counters['dropped_data_no_bufs']! + r.pair.b.counters['dropped_data_no_bufs']!).toBeGreaterThan(0);
    });
  }
});
