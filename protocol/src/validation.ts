import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type ValueError } from '@sinclair/typebox/compiler';
import { accept, reject, type Verdict } from './reasons.js';

/**
 * Compiled validators. Schemas carry both shape and physical ranges; a value that fails only
 * on ranges (SoC 140 %, speed 900 km/h) is `impossible_value`, anything else that fails is
 * `schema_violation`. Errors are only enumerated on the failure path, so the hot path costs
 * one compiled check.
 */
const RANGE_ERRORS: ReadonlySet<ValueErrorType> = new Set([
  ValueErrorType.NumberMinimum,
  ValueErrorType.NumberMaximum,
  ValueErrorType.NumberExclusiveMinimum,
  ValueErrorType.NumberExclusiveMaximum,
  ValueErrorType.IntegerMinimum,
  ValueErrorType.IntegerMaximum,
  ValueErrorType.IntegerExclusiveMinimum,
  ValueErrorType.IntegerExclusiveMaximum,
]);

/** Upper bound on errors enumerated for one rejected value: garbage input stays cheap. */
const MAX_ERRORS_INSPECTED = 16;

export type Validator<T> = (value: unknown) => Verdict<T>;

export interface CompileOptions {
  /** JSON pointer of the validated value inside its container, prefixed to error paths. */
  at?: string;
}

export function compileValidator<S extends TSchema>(schema: S, options: CompileOptions = {}): Validator<Static<S>> {
  const check = TypeCompiler.Compile(schema);
  const at = options.at ?? '';
  const describe = (error: ValueError) => `${at + error.path || '/'}: ${error.message}`;
  return (value) => {
    if (check.Check(value)) return accept(value as Static<S>);
    let firstRange: ValueError | undefined;
    let inspected = 0;
    for (const error of check.Errors(value)) {
      if (!RANGE_ERRORS.has(error.type)) return reject('schema_violation', describe(error));
      firstRange ??= error;
      if (++inspected >= MAX_ERRORS_INSPECTED) break;
    }
    if (firstRange) return reject('impossible_value', describe(firstRange));
    return reject('schema_violation', 'value does not match schema');
  };
}

/** The `v` field decides the schema version: a known shape with a new version is not a violation. */
export function checkVersion(value: unknown, supported: readonly number[]): Verdict<unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('schema_violation', 'payload must be a JSON object');
  }
  const version = (value as { v?: unknown }).v;
  if (typeof version === 'number' && !supported.includes(version)) {
    return reject('unsupported_version', `schema version ${version} is not supported (supported: ${supported.join(', ')})`);
  }
  return accept(value);
}
