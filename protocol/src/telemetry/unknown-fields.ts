/**
 * Fields a telemetry schema does not know: a firmware update that adds a sensor must not cost
 * the reading. They are taken out before the strict schema check and then, by policy, kept
 * under the payload's `ext` map (by dotted path), dropped (and counted by the caller), or — for
 * an operator who wants the old strictness — refused as `schema_violation`.
 */
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { accept, reject, type Verdict } from '../reasons.js';
import type { Validator } from '../validation.js';

export const UNKNOWN_FIELD_POLICIES = ['keep', 'drop', 'refuse'] as const;
export type UnknownFieldPolicy = (typeof UNKNOWN_FIELD_POLICIES)[number];
export const DEFAULT_UNKNOWN_FIELD_POLICY: UnknownFieldPolicy = 'keep';

/** Fields of every telemetry payload that are not measurements. */
const HEADER_FIELDS: ReadonlySet<string> = new Set(['v', 'ts', 'epoch', 'seq', 'deviceId', 'ext']);

/** Bound on kept extension fields: past it, unknown fields are dropped (and counted) even under `keep`. */
export const MAX_EXTENSION_FIELDS = 64;

/** `ext`: fields the schema did not know, by dotted path; values as the device sent them. */
export const ExtensionFieldsSchema = Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.Unknown(), { maxProperties: MAX_EXTENSION_FIELDS });

export interface TelemetryCheck<T> {
  telemetry: T;
  /** Dotted paths of the fields the schema did not know. */
  unknownFields: readonly string[];
  /** How many of them were dropped (all under `drop`; those past the bound under `keep`). */
  droppedFields: number;
  /** False when the reading carried no field of the schema beyond the header. */
  measured: boolean;
}

/** Splits known from unknown fields (recursing into nested objects the schema declares), checks the known part strictly, applies the policy. */
export function createTelemetryChecker<T>(schema: TObject, validate: Validator<T>): (value: Record<string, unknown>, policy: UnknownFieldPolicy) => Verdict<TelemetryCheck<T>> {
  const shape = shapeOf(schema);
  return (value, policy) => {
    // The common case — no unknown field — costs one scan of the keys and no allocation.
    if (!hasUnknown(value, shape)) {
      const verdict = validate(value);
      return verdict.ok ? accept({ telemetry: verdict.value, unknownFields: NONE, droppedFields: 0, measured: true }) : verdict;
    }
    const unknown: Array<[string, unknown]> = [];
    const known = separate(value, shape, '', unknown);
    const paths = unknown.map(([path]) => path);
    if (policy === 'refuse') return reject('schema_violation', `unknown field${paths.length > 1 ? 's' : ''} ${paths.join(', ')}`);
    const measured = Object.keys(known).some((key) => !HEADER_FIELDS.has(key));
    const verdict = validate(known);
    if (!verdict.ok) return verdict;
    if (policy === 'drop') return accept({ telemetry: verdict.value, unknownFields: paths, droppedFields: paths.length, measured });
    const ext: Record<string, unknown> = { ...(known.ext as Record<string, unknown> | undefined) };
    let dropped = 0;
    for (const [path, field] of unknown) {
      if (path in ext || Object.keys(ext).length < MAX_EXTENSION_FIELDS) ext[path] = field;
      else dropped += 1;
    }
    return accept({ telemetry: { ...verdict.value, ext } as T, unknownFields: paths, droppedFields: dropped, measured });
  };
}

const NONE: readonly string[] = Object.freeze([]);

/** The known keys of an object schema, and the shapes of the nested objects it declares. */
interface Shape {
  keys: ReadonlySet<string>;
  nested: ReadonlyMap<string, Shape>;
}

function shapeOf(schema: TObject): Shape {
  const nested = new Map<string, Shape>();
  for (const [key, property] of Object.entries(schema.properties) as Array<[string, TSchema]>) {
    if (property.type === 'object' && 'properties' in property) nested.set(key, shapeOf(property as TObject));
  }
  return { keys: new Set(Object.keys(schema.properties)), nested };
}

function hasUnknown(value: Record<string, unknown>, shape: Shape): boolean {
  for (const key in value) {
    if (!shape.keys.has(key)) return true;
    const inner = shape.nested.get(key);
    const field = value[key];
    if (inner !== undefined && isPlainObject(field) && hasUnknown(field, inner)) return true;
  }
  return false;
}

/** The value without unknown fields, collecting them with their paths. */
function separate(value: Record<string, unknown>, shape: Shape, prefix: string, unknown: Array<[string, unknown]>): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = value[key];
    if (!shape.keys.has(key)) unknown.push([prefix + key, field]);
    else {
      const inner = shape.nested.get(key);
      known[key] = inner !== undefined && isPlainObject(field) ? separate(field, inner, `${prefix}${key}.`, unknown) : field;
    }
  }
  return known;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
