import { describe, expect, it } from 'vitest';
import { createRealTimeClock } from './clock.js';

describe('simulation clock', () => {
  it('runs simulated time at the chosen multiple of the wall clock from its start time', () => {
    let wall = 1_000_000;
    const clock = createRealTimeClock({ speed: 10, startTime: 5_000, wallNow: () => wall });
    expect(clock.now()).toBe(5_000);
    wall += 1_500;
    expect(clock.now()).toBe(20_000);
    expect(clock.wallTimeOf(20_000)).toBe(1_001_500);
    expect(clock.wallTimeOf(21_000)).toBe(1_001_600);
    expect(() => createRealTimeClock({ speed: 0 })).toThrow(/speed must be > 0/);
  });
});
