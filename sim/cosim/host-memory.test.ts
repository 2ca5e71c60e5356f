import { expect, test } from 'vitest';
import { FIRST_BUS_ADDRESS, HostMemory } from './host-memory.ts';

test('allocations are aligned, zeroed, disjoint, and resolve back to the same bytes', () => {
  const m = new HostMemory();
  const a = m.allocate(100);
  const b = m.allocate(10, 64);
  const c = m.allocate(5000);
  expect(Number(a.address)).toBeGreaterThanOrEqual(FIRST_BUS_ADDRESS);
  expect(Number(a.address) % 4096).toBe(0);
  expect(Number(b.address) % 64).toBe(0);
  expect(Number(b.address)).toBeGreaterThanOrEqual(Number(a.address) + 100);
  expect(Number(c.address)).toBeGreaterThanOrEqual(Number(b.address) + 10);
  expect(c.bytes.every((x) => x === 0)).toBe(true);
  c.bytes[17] = 0x5a;
  const view = m.resolve(Number(c.address) + 17, 3)!;
  expect(view[0]).toBe(0x5a);
  view[1] = 7;
  expect(c.bytes[18]).toBe(7);
  expect(m.liveBuffers).toBe(3);
});

test('an access outside every buffer, across two, or to a freed one resolves to nothing, and says why', () => {
  const m = new HostMemory();
  const a = m.allocate(4096);
  const b = m.allocate(4096);
  expect(m.resolve(Number(a.address) + 4000, 200)).toBeNull();             // runs into b
  expect(m.describe(Number(a.address) + 4000, 200)).toContain('does not fit in one buffer');
  expect(m.resolve(FIRST_BUS_ADDRESS - 8, 4)).toBeNull();
  expect(m.describe(FIRST_BUS_ADDRESS - 8, 4)).toBe('no host buffer was ever allocated there');
  m.free(a);
  expect(m.resolve(Number(a.address), 4)).toBeNull();
  expect(m.touchesFreed(Number(a.address) + 10, 4)).toBe(true);
  expect(m.touchesFreed(Number(b.address), 4)).toBe(false);
  expect(m.describe(Number(a.address), 4)).toContain('a FREED buffer');
  expect(m.resolve(Number(b.address), 4096)).not.toBeNull();
  expect(() => m.free(a)).toThrow(/not a live buffer/);
  expect(() => m.allocate(0)).toThrow(/positive integer/);
  expect(() => m.allocate(8, 3)).toThrow(/power of two/);
  expect(m.liveBuffers).toBe(1);
});
