/**
 * UTC days and fixed windows as plain numbers (ms since the Unix epoch). Reports are per UTC day
 * so that every cloud instance, whatever its time zone, cuts the same day the same way.
 */
import { DAY_MS } from '@fleetwire/protocol';

/** Start of the UTC day holding `at`. */
export function dayStartOf(at: number): number {
  return Math.floor(at / DAY_MS) * DAY_MS;
}

/** `YYYY-MM-DD` of the UTC day starting at `dayStart`. */
export function isoDateOf(dayStart: number): string {
  return new Date(dayStart).toISOString().slice(0, 10);
}

/** Start of the `windowMs` window holding `at`; windows divide the UTC day evenly (options.ts checks it). */
export function windowStartOf(at: number, windowMs: number): number {
  return Math.floor(at / windowMs) * windowMs;
}

/** Digits of an instant for ids: `YYYYMMDD`, `YYYYMMDDhhmm` or `YYYYMMDDhhmmss`. */
export function compactStamp(at: number, precision: 'day' | 'minute' | 'second'): string {
  const digits = new Date(at).toISOString().replace(/\D/g, '');
  return digits.slice(0, { day: 8, minute: 12, second: 14 }[precision]);
}
