import { describe, expect, it } from 'vitest';
import { DAY_MS as DAY } from '@fleetwire/protocol';
import { createEventClock, expectSources, noteSource, watermarkOf } from './event-clock.js';

const IDLE = 60_000;

describe('the analytics event clock', () => {
  it('is the oldest newest time of the partitions still heard from', () => {
    const clock = createEventClock();
    const now = 100 * DAY;
    noteSource(clock, 'events#0', now - 2_000, now);
    noteSource(clock, 'events#1', now - 5_000, now);
    expect(watermarkOf(clock, now, IDLE)).toBe(now - 5_000);
    // events#1 falls silent: it no longer holds the others back.
    noteSource(clock, 'events#0', now + IDLE, now + IDLE);
    expect(watermarkOf(clock, now + IDLE, IDLE)).toBe(now + IDLE);
    // Without idleness (the second stage after a merged batch) the silent one still holds it back.
    expect(watermarkOf(createEventClockFrom(clock), now + IDLE, Infinity)).toBe(now - 5_000);
  });

  it('never moves back when a partition wakes up with a backlog days old, nor with a replayed partial', () => {
    const clock = createEventClock();
    const now = 100 * DAY;
    noteSource(clock, 'telemetry#0', now, now);
    expect(watermarkOf(clock, now, IDLE)).toBe(now);
    // An edge back after two days offline: its partition's newest record is two days old.
    noteSource(clock, 'telemetry#3', now - 2 * DAY, now + 1_000);
    expect(watermarkOf(clock, now + 1_000, IDLE)).toBe(now);
    // A replayed tail repeats an older partial: the partition's time stays where it was.
    noteSource(clock, 'telemetry#0', now - DAY, now + 2_000);
    expect(clock.partitions.get('telemetry#0')?.newest).toBe(now);
  });

  it('holds everything back while a partition known to hold records has sent no partial, until it is idle', () => {
    const clock = createEventClock();
    const now = 100 * DAY;
    expectSources(clock, ['events#0', 'events#1'], now);
    noteSource(clock, 'events#0', now, now);
    expect(watermarkOf(clock, now, IDLE)).toBeNull();
    expect(watermarkOf(clock, now + IDLE, IDLE)).toBe(now);
  });
});

function createEventClockFrom(clock: ReturnType<typeof createEventClock>) {
  return { ...clock, partitions: new Map(clock.partitions), watermark: null };
}
