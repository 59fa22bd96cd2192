/**
 * The hot path of validating one record line of an uplink batch: a single pass over its bytes
 * that accepts a telemetry record exactly when `JSON.parse` + `validateRecord` would, without
 * building the record. Ingest only needs the record's head (id, kind, source, schema) to route
 * it; the bytes go to the bus as they came.
 *
 * It recognises the common, well-formed shape only — compact JSON as `JSON.stringify` writes it,
 * printable ASCII strings without escapes, known fields each once, the kind before the payload,
 * telemetry — and answers `undefined` for anything else (an event, whitespace, an escape, a
 * duplicate or unknown field, a value out of range, broken JSON…). The caller then takes the
 * full path, so every refusal, its reason and its detail come from the full validator alone.
 *
 * The rules are not restated here: the shapes are read from the same TypeBox schemas, and each
 * scalar (number, string, literal, union of those) is checked by TypeBox's own compiled check of
 * its schema, so ranges, patterns and lengths cannot drift from `validateRecord`. What this file
 * adds is the JSON grammar and the object structure. Numbers convert exactly as `JSON.parse`
 * does: digits that fit a double exactly are divided by an exact power of ten (one correctly
 * rounded operation), anything longer goes through `Number()`. Equivalence with the full path is
 * fuzzed in record-bytes.test.ts.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { headOfTelemetry, type RecordHead } from './bus-mapping.js';
import { FleetRecordSchema, TELEMETRY_SOURCE_KINDS, type RecordKind } from './records.js';
import { ChargerTelemetrySchema } from './telemetry/charger.js';
import { VehicleTelemetrySchema } from './telemetry/vehicle.js';

type Scalar = string | number | boolean | null;

/**
 * What a value must look like:
 * - `object`: these keys only (`names`, their `shapes`), each once; `required` has a bit set per required key's index;
 * - `array`: of `items`, `min` to `max` of them;
 * - `scalar`: a number, string, boolean or null that TypeBox's `check` accepts;
 * - `literals`: one of the strings `values` (a literal or a union of them), matched on the bytes, no string built;
 * - `text`: a string of `min` to `max` characters, no pattern: printable ASCII, so its byte count; not captured;
 * - `opaque`: not recognised from bytes (Unknown, Record, unions of objects…): the line takes the full path.
 * One object layout for every type keeps the reader's property reads monomorphic (a third faster).
 */
interface Shape {
  type: 'object' | 'array' | 'scalar' | 'literals' | 'text' | 'opaque';
  keys: string[];
  names: Uint8Array[];
  shapes: Shape[];
  required: number;
  items: Shape | undefined;
  min: number;
  max: number;
  check: (value: unknown) => boolean;
  values: string[];
}

const never = (): boolean => false;

function shape(type: Shape['type'], fields: Partial<Omit<Shape, 'type'>> = {}): Shape {
  return {
    type,
    keys: fields.keys ?? [],
    names: fields.names ?? [],
    shapes: fields.shapes ?? [],
    required: fields.required ?? 0,
    items: fields.items,
    min: fields.min ?? 0,
    max: fields.max ?? Infinity,
    check: fields.check ?? never,
    values: fields.values ?? [],
  };
}

const SCALAR_KINDS: ReadonlySet<string> = new Set(['String', 'Number', 'Integer', 'Boolean', 'Null', 'Literal']);

function isScalarSchema(schema: TSchema): boolean {
  const kind = schema[Kind] as string;
  if (kind === 'Union') return (schema.anyOf as TSchema[]).every(isScalarSchema);
  return SCALAR_KINDS.has(kind) && schema.format === undefined;
}

function stringLiterals(schema: TSchema): string[] | undefined {
  const kind = schema[Kind] as string;
  if (kind === 'Literal') return typeof schema.const === 'string' ? [schema.const] : undefined;
  if (kind !== 'Union') return undefined;
  const values = (schema.anyOf as TSchema[]).map(stringLiterals);
  return values.every((value) => value !== undefined) ? values.flat() : undefined;
}

function shapeOf(schema: TSchema): Shape {
  const kind = schema[Kind] as string;
  const literals = stringLiterals(schema);
  if (literals !== undefined) return shape('literals', { values: literals, names: literals.map((value) => Buffer.from(value)) });
  if (kind === 'String' && schema.pattern === undefined && schema.format === undefined) {
    return shape('text', { min: schema.minLength ?? 0, max: schema.maxLength ?? Infinity });
  }
  if (isScalarSchema(schema)) {
    const compiled = TypeCompiler.Compile(schema);
    return shape('scalar', { check: (value) => compiled.Check(value) });
  }
  if (kind === 'Array' && schema.uniqueItems !== true && schema.contains === undefined) {
    return shape('array', { items: shapeOf(schema.items as TSchema), min: schema.minItems ?? 0, max: schema.maxItems ?? Infinity });
  }
  const properties = schema.properties as Record<string, TSchema> | undefined;
  if (kind === 'Object' && properties !== undefined && schema.additionalProperties === false && schema.minProperties === undefined && schema.maxProperties === undefined) {
    const keys = Object.keys(properties);
    if (keys.length > 30) return shape('opaque');
    const required = new Set<string>((schema.required as string[] | undefined) ?? []);
    return shape('object', {
      keys,
      names: keys.map((key) => Buffer.from(key)),
      shapes: keys.map((key) => shapeOf(properties[key] as TSchema)),
      required: keys.reduce((mask, key, index) => (required.has(key) ? mask | (1 << index) : mask), 0),
    });
  }
  return shape('opaque');
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');
/** 10^0 … 10^22: exactly representable as doubles. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Digits whose integer is exact in a double (< 2^53). */
const MAX_EXACT_DIGITS = 15;

/** Node's own latin1 decoder without `toString`'s argument handling (it costs more than the copy here). */
const latin1 = (bytes: Buffer, start: number, end: number): string =>
  (bytes as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);

/** A packed array for the scalars of an object's properties, by property index; reused line after line. */
const scalarsOf = (shape: { keys: readonly string[] }): Scalar[] => new Array<Scalar>(shape.keys.length).fill(null);

const isDigit = (byte: number | undefined): boolean => byte !== undefined && byte >= ZERO && byte <= NINE;

/**
 * A cursor over one line. Every read returns false (or undefined) at the first byte it does not
 * recognise; nothing is repaired or guessed.
 */
class LineReader {
  bytes: Buffer = Buffer.alloc(0);
  at = 0;
  /** The last scalar read. */
  scalar: Scalar = null;

  /** One reader serves every line (reading is synchronous): a line costs no allocation but its head. */
  start(bytes: Buffer): this {
    this.bytes = bytes;
    this.at = 0;
    return this;
  }

  get done(): boolean {
    return this.at === this.bytes.length;
  }

  byte(expected: number): boolean {
    if (this.bytes[this.at] !== expected) return false;
    this.at += 1;
    return true;
  }

  /** A string of printable ASCII without escapes; returns its span's end, or -1. */
  private stringEnd(): number {
    const { bytes } = this;
    if (bytes[this.at] !== QUOTE) return -1;
    for (let i = this.at + 1; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      if (byte === QUOTE) return i;
      if (byte < 0x20 || byte === BACKSLASH || byte >= 0x7f) return -1;
    }
    return -1;
  }

  /**
   * The index in `names` of the string at the cursor, or -1; the cursor moves past it when found.
   * `hint` is tried first: keys mostly come in the schema's order, as `JSON.stringify` writes them.
   */
  private oneOf(names: readonly Uint8Array[], hint: number): number {
    const end = this.stringEnd();
    if (end < 0) return -1;
    const start = this.at + 1;
    const count = names.length;
    for (let k = 0; k < count; k++) {
      const n = (hint + k) % count;
      if (this.named(names[n] as Uint8Array, start, end)) {
        this.at = end + 1;
        return n;
      }
    }
    return -1;
  }

  /** The index in `names` of the key at the cursor (and the colon after it), or -1. */
  key(names: readonly Uint8Array[], hint: number): number {
    const n = this.oneOf(names, hint);
    return n >= 0 && this.byte(COLON) ? n : -1;
  }

  private named(name: Uint8Array, start: number, end: number): boolean {
    if (name.length !== end - start) return false;
    const { bytes } = this;
    for (let i = 0; i < name.length; i++) if (name[i] !== bytes[start + i]) return false;
    return true;
  }

  private word(word: Buffer, value: Scalar): boolean {
    for (let i = 0; i < word.length; i++) if (this.bytes[this.at + i] !== word[i]) return false;
    this.at += word.length;
    this.scalar = value;
    return true;
  }

  /** JSON's number grammar, converted as JSON.parse converts it. */
  private number(): boolean {
    const { bytes } = this;
    const start = this.at;
    let i = start;
    const negative = bytes[i] === MINUS;
    if (negative) i += 1;
    let mantissa = 0;
    let digits = 0;
    if (bytes[i] === ZERO) {
      i += 1;
      digits = 1;
    } else {
      while (isDigit(bytes[i])) {
        mantissa = mantissa * 10 + ((bytes[i] as number) - ZERO);
        digits += 1;
        i += 1;
      }
    }
    if (digits === 0) return false;
    let decimals = 0;
    if (bytes[i] === DOT) {
      i += 1;
      while (isDigit(bytes[i])) {
        mantissa = mantissa * 10 + ((bytes[i] as number) - ZERO);
        decimals += 1;
        i += 1;
      }
      if (decimals === 0) return false;
    }
    let exponent = false;
    if (bytes[i] === 0x65 || bytes[i] === 0x45) {
      exponent = true;
      i += 1;
      if (bytes[i] === 0x2b || bytes[i] === MINUS) i += 1;
      if (!isDigit(bytes[i])) return false;
      while (isDigit(bytes[i])) i += 1;
    }
    this.at = i;
    if (exponent || digits + decimals > MAX_EXACT_DIGITS) {
      this.scalar = Number(latin1(bytes, start, i));
    } else {
      const magnitude = decimals === 0 ? mantissa : mantissa / (POWERS_OF_TEN[decimals] as number);
      this.scalar = negative ? -magnitude : magnitude;
    }
    return true;
  }

  /** A string, number, true, false or null into `scalar`. */
  readScalar(): boolean {
    const byte = this.bytes[this.at];
    if (byte === QUOTE) {
      const end = this.stringEnd();
      if (end < 0) return false;
      this.scalar = latin1(this.bytes, this.at + 1, end);
      this.at = end + 1;
      return true;
    }
    if (byte === 0x74) return this.word(TRUE, true);
    if (byte === 0x66) return this.word(FALSE, false);
    if (byte === 0x6e) return this.word(NULL, null);
    return byte === MINUS || isDigit(byte) ? this.number() : false;
  }

  /** A value of `shape`; scalars of an object's properties land in `found` by property index. */
  value(shape: Shape, found?: Scalar[], index = 0): boolean {
    switch (shape.type) {
      case 'scalar':
        if (!this.readScalar() || !shape.check(this.scalar)) return false;
        if (found !== undefined) found[index] = this.scalar;
        return true;
      case 'literals': {
        const n = this.oneOf(shape.names, 0);
        if (n < 0) return false;
        if (found !== undefined) found[index] = shape.values[n] as string;
        return true;
      }
      case 'text': {
        const end = this.stringEnd();
        const length = end - this.at - 1;
        if (end < 0 || length < shape.min || length > shape.max) return false;
        this.at = end + 1;
        return true;
      }
      case 'object':
        return this.object(shape);
      case 'array':
        return this.array(shape);
      case 'opaque':
        return false;
    }
  }

  /** An object of `shape`: known keys only, each at most once, every required one present. */
  object(shape: Shape, found?: Scalar[]): boolean {
    if (!this.byte(0x7b)) return false;
    let seen = 0;
    let index = -1;
    if (!this.byte(0x7d)) {
      do {
        index = this.key(shape.names, index + 1);
        if (index < 0 || (seen & (1 << index)) !== 0) return false;
        seen |= 1 << index;
        if (!this.value(shape.shapes[index] as Shape, found, index)) return false;
      } while (this.byte(COMMA));
      if (!this.byte(0x7d)) return false;
    }
    return (seen & shape.required) === shape.required;
  }

  private array(shape: Shape): boolean {
    if (!this.byte(0x5b)) return false;
    let count = 0;
    if (!this.byte(0x5d)) {
      do {
        if (!this.value(shape.items as Shape)) return false;
        count += 1;
      } while (this.byte(COMMA));
      if (!this.byte(0x5d)) return false;
    }
    return count >= shape.min && count <= shape.max;
  }
}

function objectShapeOf(schema: TSchema): Shape {
  const shape = shapeOf(schema);
  if (shape.type !== 'object') throw new Error(`${String(schema.title ?? schema[Kind])} is not an object recognisable from bytes`);
  return shape;
}

const envelope = objectShapeOf(FleetRecordSchema);
const field = (name: string): number => envelope.keys.indexOf(name);
const ID = field('id');
const KIND = field('kind');
const SOURCE = field('source');
const PAYLOAD = field('payload');
const sourceShape = envelope.shapes[SOURCE] as Shape;
const SOURCE_KIND = sourceShape.keys.indexOf('kind');
const SOURCE_ID = sourceShape.keys.indexOf('id');

interface PayloadShape {
  shape: Shape;
  /** Where the schema version `v` lands among the payload's scalars. */
  version: number;
}

const PAYLOADS: Partial<Record<RecordKind, PayloadShape>> = {};
for (const [kind, schema] of [['vehicle_telemetry', VehicleTelemetrySchema], ['charger_telemetry', ChargerTelemetrySchema]] as const) {
  const shape = objectShapeOf(schema);
  PAYLOADS[kind] = { shape, version: shape.keys.indexOf('v') };
}

/** Room for the scalars of any payload. */
const PAYLOAD_SCALARS = { keys: Object.values(PAYLOADS).flatMap((payload) => payload.shape.keys) };

const reader = new LineReader();
const found = scalarsOf(envelope);
const source = scalarsOf(sourceShape);
const payload = scalarsOf(PAYLOAD_SCALARS);

/**
 * The head of a telemetry record line that `JSON.parse` + `validateRecord` accept as it is;
 * `undefined` when the line needs the full path (which may still accept it).
 */
export function readRecordHead(line: Buffer): RecordHead | undefined {
  if (!reader.start(line).byte(0x7b)) return undefined;
  // Scalars of the previous line must not stand in for fields this one lacks.
  found.fill(null);
  source.fill(null);
  payload.fill(null);
  let version = -1;
  let seen = 0;
  let index = -1;
  do {
    index = reader.key(envelope.names, index + 1);
    if (index < 0 || (seen & (1 << index)) !== 0) return undefined;
    seen |= 1 << index;
    if (index === PAYLOAD) {
      // The kind decides the payload's schema; a payload before its kind takes the full path.
      const expected = (seen & (1 << KIND)) === 0 ? undefined : PAYLOADS[found[KIND] as RecordKind];
      if (expected === undefined || !reader.object(expected.shape, payload)) return undefined;
      version = expected.version;
    } else if (index === SOURCE) {
      if (!reader.object(sourceShape, source)) return undefined;
    } else if (!reader.value(envelope.shapes[index] as Shape, found, index)) return undefined;
  } while (reader.byte(COMMA));
  if (!reader.byte(0x7d) || !reader.done || (seen & envelope.required) !== envelope.required) return undefined;
  const kind = found[KIND] as Exclude<RecordKind, 'event'>;
  const sourceKind = source[SOURCE_KIND] as RecordHead['source']['kind'];
  if (TELEMETRY_SOURCE_KINDS[kind] !== sourceKind) return undefined;
  return headOfTelemetry(found[ID] as string, kind, { kind: sourceKind, id: source[SOURCE_ID] as string }, payload[version] as number);
}
