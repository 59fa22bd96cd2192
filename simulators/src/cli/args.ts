/** Parsing of command-line values shared by `fleetwire simulate` and `fleetwire loadgen`. */
import { HOUR_MS, MINUTE_MS, SECOND_MS } from '@fleetwire/protocol';
import { SimulatorError } from '../errors.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS };

/** `500ms`, `90s`, `10m`, `1h`; a bare number is seconds. */
export function parseDuration(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw invalid(name, text, 'a duration such as 500ms, 90s, 10m or 1h');
  return Number(match[1]) * (UNITS_MS[match[2] ?? 's'] as number);
}

export function parseNumber(name: string, text: string, check: (n: number) => boolean = Number.isFinite, expected = 'a number'): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) throw invalid(name, text, expected);
  return value;
}

export function parseInteger(name: string, text: string, min = 0): number {
  return parseNumber(name, text, (n) => Number.isInteger(n) && n >= min, `an integer ≥ ${min}`);
}

export function parseLatLon(name: string, text: string): { lat: number; lon: number } {
  const [lat, lon] = text.split(',').map((part) => Number(part.trim()));
  if (lat === undefined || lon === undefined || !(Math.abs(lat) <= 85) || !(Math.abs(lon) <= 180)) throw invalid(name, text, 'lat,lon such as 52.52,13.405');
  return { lat, lon };
}

function invalid(name: string, text: string, expected: string): SimulatorError {
  return new SimulatorError('FW_SIM_OPTIONS_INVALID', `--${name}: expected ${expected}, got '${text}'`);
}
