/**
 * Checks for the options objects of the bus and sink factories: each returns the value or its
 * documented default, and throws a coded CloudError naming the option when it is wrong.
 */
import { CloudError, type CloudErrorCode } from './errors.js';

export interface OptionChecks {
  integer(name: string, value: number | undefined, fallback: number, min: number): number;
  text(name: string, value: string | undefined, fallback?: string): string;
  textList(name: string, value: readonly string[] | undefined): string[];
}

export function createOptionChecks(code: CloudErrorCode, owner: string): OptionChecks {
  const fail = (name: string, why: string): never => {
    throw new CloudError(code, `${owner}: option ${name} ${why}`);
  };
  return {
    integer(name, value, fallback, min) {
      if (value === undefined) return fallback;
      if (!Number.isInteger(value) || value < min) fail(name, `must be an integer >= ${min}, got ${String(value)}`);
      return value;
    },
    text(name, value, fallback) {
      const chosen = value ?? fallback;
      if (typeof chosen !== 'string' || chosen.length === 0) fail(name, 'must be a non-empty string');
      return chosen as string;
    },
    textList(name, value) {
      if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v.length === 0)) {
        fail(name, 'must be a non-empty list of non-empty strings');
      }
      return [...(value as string[])];
    },
  };
}
