/**
 * Every problem of a config value against its JSON schema, as one line each
 * (`/http/port: Expected integer`, `/tsdb/tokn: unknown key`), so that a config is refused with
 * all of its mistakes at once instead of one per start.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';

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
