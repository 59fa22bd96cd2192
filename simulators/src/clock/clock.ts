/**
 * Simulated time. The model only ever sees simulated milliseconds (its step functions take a
 * `dtMs`, so tests step a day in a loop); this clock maps them to the wall clock at a chosen
 * speed (1 = real time, 10 = ten simulated seconds per real second), so the demo is lively.
 */
import { SimulatorError } from '../errors.js';

export interface SimClock {
  /** Simulated time now, ms since the Unix epoch. */
  now(): number;
  /** The wall-clock time at which simulated time `simTime` is (or was) reached. */
  wallTimeOf(simTime: number): number;
  readonly speed: number;
}

export interface RealTimeClockOptions {
  /** Simulated multiple of real time. Default 1. */
  speed?: number;
  /** Simulated time at creation. Default: the wall clock now. */
  startTime?: number;
  /** Wall clock source, for tests. Default Date.now. */
  wallNow?: () => number;
}

export function createRealTimeClock(options: RealTimeClockOptions = {}): SimClock {
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `clock speed must be > 0, got ${speed}`);
  const wallNow = options.wallNow ?? Date.now;
  const wallStart = wallNow();
  const simStart = options.startTime ?? wallStart;
  return {
    speed,
    now: () => simStart + (wallNow() - wallStart) * speed,
    wallTimeOf: (simTime) => wallStart + (simTime - simStart) / speed,
  };
}
