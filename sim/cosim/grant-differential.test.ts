import { expect, test } from 'vitest';
import { engines } from '../../hw/lib/testing.ts';
import { ENGINE_CONFIGS } from '../../hw/homa/engine/config.ts';
import { agree, INCAST_256, SCENARIOS } from './grant-differential.ts';

// The decision differential of the grant scheduler (grant-differential.ts): the model's
// GrantScheduler and the RTL block, fed the same DATA arrivals, issue the same GRANTs in the
// same order; a divergence names the GRANT and the packet after which it happened.

for (const engine of engines) {
  for (const s of SCENARIOS) {
    test(`grant_sched u250 (${engine}): ${s.name}: the model's GRANTs, in order`, async () => {
      expect(await agree(ENGINE_CONFIGS.u250, engine, s, 7)).toBeGreaterThan(0);
    }, 300_000);
  }
  test(`grant_sched arty (${engine}): random senders: the model's GRANTs, in order`, async () => {
    expect(await agree(ENGINE_CONFIGS.arty, engine, SCENARIOS[0]!, 9)).toBeGreaterThan(0);
  }, 300_000);
}
test('grant_sched u250 (js): incast of 256 senders: the model\'s GRANTs, in order', async () => {
  expect(await agree(ENGINE_CONFIGS.u250, 'js', INCAST_256, 5)).toBeGreaterThan(0);
}, 600_000);
