/**
 * Sparse, on-change devices: what a real telematics unit or a charger with a small data plan
 * sends. Such a vehicle has no tyre-pressure sensors and no 12 V monitor, runs a firmware that
 * adds a field the schema does not know (`cabinTempC`), and reports a measurement only when it
 * moved past its deadband since it was last reported — a reading in which nothing changed is
 * not sent at all. A charger reports per connector, always naming the connector. Pure: the
 * caller keeps `last` per device (and connector).
 */
import type { DeviceKind } from './emission.js';

/** How far a measurement must move before it is reported again; absent keys: any change. */
const DEADBANDS: Readonly<Record<string, number>> = {
  'position.lat': 0.0002,
  'position.lon': 0.0003,
  speedKph: 3,
  headingDeg: 15,
  odometerKm: 0.5,
  socPct: 1,
  'battery.tempC': 1,
  'battery.voltageV': 5,
  'battery.currentA': 20,
  cabinTempC: 1,
  powerKw: 2,
  energyWh: 500,
  voltageV: 10,
  currentA: 10,
  tempC: 1,
};

/** Sensors a sparse vehicle does not have. */
const ABSENT_VEHICLE_SENSORS: ReadonlySet<string> = new Set(['tyresKpa', 'aux12vV']);

export type Reported = Readonly<Record<string, unknown>>;

export interface SparseReport {
  /** What to send (without the header), or undefined when nothing changed. */
  body: Record<string, unknown> | undefined;
  /** The values last reported, by dotted path, to judge the next reading against. */
  last: Reported;
}

export function sparseReport(kind: DeviceKind, full: Record<string, unknown>, last: Reported = {}): SparseReport {
  const body: Record<string, unknown> = {};
  const next: Record<string, unknown> = { ...last };
  let changed = false;
  for (const [key, value] of Object.entries(withFirmware(kind, full))) {
    if (kind === 'vehicle' && ABSENT_VEHICLE_SENSORS.has(key)) continue;
    // The connector names what a charger reading is about: always sent, never a change by itself.
    if (kind === 'charger' && key === 'connectorId') {
      body[key] = value;
      continue;
    }
    const fields = isGroup(value) ? Object.entries(value).map(([inner, v]) => [`${key}.${inner}`, inner, v] as const) : [[key, key, value] as const];
    const moving = fields.filter(([path, , v]) => moved(path, v, last));
    // A position is one fix: both coordinates or none.
    const sent = key === 'position' && moving.length > 0 ? fields : moving;
    if (sent.length === 0) continue;
    for (const [path, , v] of sent) next[path] = v;
    body[key] = isGroup(value) ? Object.fromEntries(sent.map(([, inner, v]) => [inner, v])) : value;
    changed = true;
  }
  return { body: changed ? body : undefined, last: next };
}

function withFirmware(kind: DeviceKind, full: Record<string, unknown>): Record<string, unknown> {
  if (kind !== 'vehicle') return full;
  const battery = full['battery'] as { tempC?: number } | undefined;
  return battery?.tempC === undefined ? full : { ...full, cabinTempC: Math.round(battery.tempC - 3) };
}

function isGroup(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function moved(path: string, value: unknown, last: Reported): boolean {
  if (!(path in last)) return true;
  const before = last[path];
  const deadband = DEADBANDS[path];
  if (deadband !== undefined && typeof value === 'number' && typeof before === 'number') return Math.abs(value - before) >= deadband;
  return JSON.stringify(value) !== JSON.stringify(before);
}
