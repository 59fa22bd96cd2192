/**
 * Every problem of a config value against its JSON schema, as one line each
 * (`/http/port: Expected integer`, `/tsdb/tokn: unknown key`), so that a config is refused with
 * all of its mistakes at once instead of one per start.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { CloudError, type CloudErrorCode } from './errors.js';

/** Called for an error the caller can describe better (e.g. a union: which branch was meant). */
export type ProblemRefiner = (error: ValueError) => string[] | undefined;

export function schemaProblems(schema: TSchema, value: unknown, refine?: ProblemRefiner, prefix = ''): string[] {
  const problems: string[] = [];
  for (const error of Value.Errors(schema, value)) {
    problems.push(...(refine?.(error) ?? [`${prefix}${error.path || '/'}: ${messageOf(error)}`]));
  }
  return [...new Set(problems)];
}

function messageOf(error: ValueError): string {
  return error.type === ValueErrorType.ObjectAdditionalProperties ? 'unknown key' : error.message;
}

/** The form every config error takes: each problem on its own line. */
export function problemList(what: string, problems: readonly string[]): string {
  return `invalid ${what}:\n  - ${problems.join('\n  - ')}`;
}

/**
 * A component's options object through its schema: defaults filled in, every problem listed in
 * one coded error. The one check of factory options — the config file goes through the same
 * schema when the app composes it.
 */
export function checkedOptions<T extends TSchema>(schema: T, input: unknown, code: CloudErrorCode, what: string): Static<T> {
  const value = Value.Default(schema, structuredClone(input)) as unknown;
  const problems = schemaProblems(schema, value);
  if (problems.length > 0 || !Value.Check(schema, value)) throw new CloudError(code, problemList(what, problems.length > 0 ? problems : ['/: invalid']));
  return value as Static<T>;
}
