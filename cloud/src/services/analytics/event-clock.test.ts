import { describe, expect, it } from 'vitest';
import { DAY_MS as DAY } from '@fleetwire/protocol';
import { advanceClock, createEventClock, watermarkOf } from './event-clock.js';

const IDLE = 60_000;

describe('the analytics event clock', () => {
  it('is the oldest newest time of the partitions still heard from', () => {
    const clock = createEventClock();
    const now = 100 * DAY;
    advanceClock(clock, 'events/0', now - 2_000, now);
    advanceClock(clock, 'events/1', now - 5_000, now);
    expect(watermarkOf(clock, now, IDLE)).toBe(now - 5_000);
    // events/1 falls silent: it no longer holds the others back.
    advanceClock(clock, 'events/0', now + IDLE, now + IDLE);
    expect(watermarkOf(clock, now + IDLE, IDLE)).toBe(now + IDLE);
  });

  it('never moves back when a partition wakes up with a backlog days old', () => {
    const clock = createEventClock();
    const now = 100 * DAY;
    advanceClock(clock, 'telemetry/0', now, now);
    expect(watermarkOf(clock, now, IDLE)).toBe(now);
    // An edge back after two days offline: its partition's newest record is two days old.
    advanceClock(clock, 'telemetry/3', now - 2 * DAY, now + 1_000);
    expect(watermarkOf(clock, now + 1_000, IDLE)).toBe(now);
  });

  it('refuses a record stamped far ahead of the service clock', () => {
    const clock = createEventClock();
    expect(advanceClock(clock, 'events/0', 10 * DAY, DAY)).toBe(false);
    expect(watermarkOf(clock, DAY, IDLE)).toBeNull();
  });
});
