/**
 * Checks for the options objects of the edge's factories: each returns the value or its
 * documented default, and throws a coded EdgeError naming the option when it is wrong.
 */
import { EdgeError, type EdgeErrorCode } from '../errors.js';

export interface OptionChecks {
  /** A finite number in [min, max]; integers only when `integer` is set. */
  number(name: string, value: number | undefined, fallback: number, range: NumberRange): number;
  text(name: string, value: string | undefined, fallback?: string): string;
  oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T;
}

export interface NumberRange {
  min: number;
  max?: number;
  integer?: boolean;
}

export function createOptionChecks(code: EdgeErrorCode, owner: string): OptionChecks {
  const fail = (name: string, why: string): never => {
    throw new EdgeError(code, `${owner}: option ${name} ${why}`);
  };
  return {
    number(name, value, fallback, { min, max = Number.MAX_SAFE_INTEGER, integer = true }) {
      if (value === undefined) return fallback;
      const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
      if (!ok || (integer && !Number.isInteger(value))) {
        fail(name, `must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(value)}`);
      }
      return value;
    },
    text(name, value, fallback) {
      const chosen = value ?? fallback;
      if (typeof chosen !== 'string' || chosen.length === 0) fail(name, 'must be a non-empty string');
      return chosen as string;
    },
    oneOf(name, value, allowed, fallback) {
      if (value === undefined) return fallback;
      if (!allowed.includes(value)) fail(name, `must be one of ${allowed.join(', ')}, got ${String(value)}`);
      return value;
    },
  };
}
