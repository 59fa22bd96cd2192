/** Milliseconds per minute, hour and (UTC, leap-second-free) day: the services' time arithmetic. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
