import { describe, expect, test } from 'vitest';
import { ReceiverIdleMeter } from './waste.ts';

/** A downlink that was busy during the given [start, end) intervals. */
function link(busy: [number, number][]): { busyTimeUntil(t: number): number } {
  return { busyTimeUntil: (t) => busy.reduce((s, [a, b]) => s + Math.max(0, Math.min(b, t) - a), 0) };
}

describe('wasted receiver bandwidth', () => {
  test('counts idle time only while a message is under way, inside the window', () => {
    // Busy 20..30 and 50..60. Message under way 10..70 -> idle 40 of it; window 0..100.
    const m = new ReceiverIdleMeter([link([[20, 30], [50, 60]]), link([])]);
    m.openWindow(0);
    m.started(0, 10);
    m.finished(0, 70);
    m.closeWindow(100);
    // 40 idle ps out of 2 links x 100 ps.
    expect(m.wastedFraction).toBeCloseTo(40 / 200, 12);
  });

  test('overlapping messages count once; time outside the window is ignored', () => {
    const m = new ReceiverIdleMeter([link([[0, 50]])]);
    m.started(0, 0);
    m.openWindow(40); // busy 40..50, then idle while the messages are open
    m.started(0, 45);
    m.finished(0, 60);
    m.finished(0, 80);
    m.closeWindow(90);
    expect(m.wastedFraction).toBeCloseTo(30 / 50, 12); // idle 50..80 of the 40..90 window
  });
});
