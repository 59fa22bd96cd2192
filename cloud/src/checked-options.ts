/**
 * A component's options object through its schema: defaults filled in, every problem listed in
 * one coded error. The one check of factory options — the config file goes through the same
 * schema when the app composes it.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { problemList, schemaProblems } from '@fleetwire/protocol';
import { CloudError, type CloudErrorCode } from './errors.js';

export function checkedOptions<T extends TSchema>(schema: T, input: unknown, code: CloudErrorCode, what: string): Static<T> {
  const value = Value.Default(schema, structuredClone(input)) as unknown;
  const problems = schemaProblems(schema, value);
  if (problems.length > 0 || !Value.Check(schema, value)) throw new CloudError(code, problemList(what, problems.length > 0 ? problems : ['/: invalid']));
  return value as Static<T>;
}
