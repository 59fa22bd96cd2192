/**
 * A partition state as bytes and back: JSON with what plain JSON loses in the services' states —
 * `Map`s (keyed collections), `Set`s (analytics' vehicles of a day) and non-finite numbers
 * (`-Infinity` marks "never seen") — gzip-compressed, as a state is mostly repeated field names.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

const MAP = '$map';
const NUMBER = '$num';
const SET = '$set';

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Map) return { [MAP]: [...value.entries()] };
  if (value instanceof Set) return { [SET]: [...value] };
  if (typeof value === 'number' && !Number.isFinite(value)) return { [NUMBER]: String(value) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const tagged = value as Record<string, unknown>;
  if (MAP in tagged) return new Map(tagged[MAP] as Array<[unknown, unknown]>);
  if (NUMBER in tagged) return Number(tagged[NUMBER]);
  if (SET in tagged) return new Set(tagged[SET] as unknown[]);
  return value;
}

export function encodeSnapshot(value: unknown): Buffer {
  return gzipSync(JSON.stringify(value, replacer), { level: 1 });
}

export function decodeSnapshot(bytes: Buffer): unknown {
  return JSON.parse(gunzipSync(bytes).toString('utf8'), reviver) as unknown;
}
