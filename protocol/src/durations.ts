/**
 * Milliseconds per second, minute, hour and (UTC, leap-second-free) day: the one definition every
 * package's time arithmetic uses.
 */
export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
