/**
 * How the edge's components declare their options: each owns a TypeBox schema with the
 * documented defaults (`buffer/sqlite/options.ts`, `uplink/options.ts`, `intake/settings.ts`,
 * `rules/settings.ts`, `http/settings.ts`, `vision/settings.ts`), the app config (`config.ts`)
 * composes them, and both report every problem at once in the same words.
 */
import { resolve } from 'node:path';
import { Kind, Type, type Static, type TInteger, type TObject, type TProperties, type TSchema, type TString } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { problemList, schemaProblems } from '@fleetwire/protocol';
import { EdgeError, type EdgeErrorCode } from './errors.js';

/** Marks a string option that names a file or folder (resolved to an absolute path). */
const PATH_OPTION = 'fleetwirePath';

/** A file or folder option; '' = not set. */
export function PathOption(defaultValue = ''): TString {
  return Type.String({ default: defaultValue, [PATH_OPTION]: true });
}

/** A whole number in [minimum, maximum]. */
export function IntegerOption(defaultValue: number, minimum: number, maximum = Number.MAX_SAFE_INTEGER): TInteger {
  return Type.Integer({ default: defaultValue, minimum, maximum });
}

/** A group of options: absent = all defaults; unknown keys are refused. */
export function OptionGroup<T extends TProperties>(properties: T): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, default: {} });
}

/** One problem in the edge's words: `{prefix}.a.b: must be between 0 and 65535 (got 70000)`. */
export function describeProblem(error: ValueError, prefix: string): string {
  const path = [prefix, ...error.path.split('/').filter((part) => part !== '')].filter((part) => part !== '').join('.');
  const got = `(got ${JSON.stringify(error.value)})`;
  const schema = error.schema as TSchema & Record<string, unknown>;
  const range = `between ${String(schema.minimum)} and ${String(schema.maximum)}`;
  const kinds: Record<string, string> = { Integer: 'an integer', Number: 'a number', String: 'a string', Boolean: 'a boolean', Object: 'an object', Array: 'a list' };
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return `${path}: unknown option`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
      return `${path}: must be ${range} ${got}`;
    case ValueErrorType.StringPattern:
      return `${path}: must match ${String(schema.pattern)} ${got}`;
    case ValueErrorType.StringMinLength:
      return `${path}: must not be empty`;
    case ValueErrorType.ArrayMinItems:
      return `${path}: must not be empty ${got}`;
    case ValueErrorType.Union: {
      const literals = (schema.anyOf as Array<{ const?: unknown }>).map((member) => member.const);
      return `${path}: must be one of ${literals.join(', ')} ${got}`;
    }
    default: {
      const kind = kinds[String(error.schema[Kind])];
      return kind === undefined ? `${path}: ${error.message} ${got}` : `${path}: must be ${kind} ${got}`;
    }
  }
}

/** Every problem of `value` against `schema`, in the edge's words. */
export function optionProblems(schema: TSchema, value: unknown, prefix: string): string[] {
  return schemaProblems(schema, value, (error) => [describeProblem(error, prefix)]);
}

/**
 * A component's options: defaults filled, every problem listed in one coded error. For callers
 * that build a component directly (tests, benchmarks); the agent's config was already checked
 * against the same schema.
 */
export function resolveOptions<T extends TObject>(schema: T, input: Record<string, unknown>, code: EdgeErrorCode, owner: string): Static<T> {
  const value: unknown = Value.Default(schema, withoutUndefined(input));
  const problems = optionProblems(schema, value, '');
  if (problems.length > 0 || !Value.Check(schema, value)) throw new EdgeError(code, problemList(`${owner} options`, problems.length > 0 ? problems : ['invalid']));
  return value as Static<T>;
}

/**
 * Makes every path option under `schema` absolute against `base`. Values that are not strings
 * are left for validation to refuse.
 */
export function resolvePathOptions(schema: TSchema, value: unknown, base: string): void {
  if (!isObject(value) || schema[Kind] !== 'Object') return;
  for (const [key, child] of Object.entries((schema as TObject).properties)) {
    const current = value[key];
    if ((child as Record<string, unknown>)[PATH_OPTION] === true && typeof current === 'string' && current !== '') value[key] = resolve(base, current);
    else resolvePathOptions(child, current, base);
  }
}

/** The schema of the option at `path` (e.g. ['mqtt', 'port']), if there is one. */
export function optionSchemaAt(schema: TSchema, path: readonly string[]): TSchema | undefined {
  let node: TSchema | undefined = schema;
  for (const key of path) node = node?.[Kind] === 'Object' ? (node as TObject).properties[key] : undefined;
  return node;
}

export function isPathOption(schema: TSchema | undefined): boolean {
  return (schema as Record<string, unknown> | undefined)?.[PATH_OPTION] === true;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ a: undefined }` means "not given", as it did for every factory before the schemas. */
function withoutUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}
