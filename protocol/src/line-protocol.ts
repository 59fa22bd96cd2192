import type { ChargerStatus, ChargerTelemetry } from './telemetry/charger.js';
import type { VehicleTelemetry } from './telemetry/vehicle.js';
import type { FleetRecord } from './records.js';

/**
 * Telemetry as InfluxDB line protocol (the v2 write API, which VictoriaMetrics also serves).
 * Tags are bounded-cardinality only; a series plus device timestamp is a point's identity, so a
 * replay overwrites instead of duplicating. Timestamps are ms: write with `precision=ms`.
 */
export const LINE_PROTOCOL_PRECISION = 'ms';

/** A JS number is a float field; `{ int }` is an integer field (suffix `i`). */
export type FieldValue = number | boolean | string | { int: number };

export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** ms since the Unix epoch. */
  timestampMs: number;
}

/** Stable numeric codes for charger status, so dashboards can plot and alert on it. */
export const CHARGER_STATUS_CODES: Readonly<Record<ChargerStatus, number>> = {
  Available: 0,
  Preparing: 1,
  Charging: 2,
  SuspendedEVSE: 3,
  SuspendedEV: 4,
  Finishing: 5,
  Reserved: 6,
  Unavailable: 7,
  Faulted: 8,
};

const flag = (value: boolean) => ({ int: value ? 1 : 0 });

/** Sets a field only when the reading carried its source: a sparse reading writes only what it measured. */
function put(fields: Record<string, FieldValue>, key: string, value: FieldValue | undefined): void {
  if (value !== undefined) fields[key] = value;
}

function vehiclePoint(vehicleId: string, t: VehicleTelemetry): Point {
  const fields: Record<string, FieldValue> = {};
  put(fields, 'lat', t.position?.lat);
  put(fields, 'lon', t.position?.lon);
  put(fields, 'speed_kph', t.speedKph);
  put(fields, 'heading_deg', t.headingDeg);
  put(fields, 'odometer_km', t.odometerKm);
  put(fields, 'soc_pct', t.socPct);
  put(fields, 'battery_temp_c', t.battery?.tempC);
  put(fields, 'battery_voltage_v', t.battery?.voltageV);
  put(fields, 'battery_current_a', t.battery?.currentA);
  put(fields, 'aux_12v_v', t.aux12vV);
  put(fields, 'tyre_fl_kpa', t.tyresKpa?.fl);
  put(fields, 'tyre_fr_kpa', t.tyresKpa?.fr);
  put(fields, 'tyre_rl_kpa', t.tyresKpa?.rl);
  put(fields, 'tyre_rr_kpa', t.tyresKpa?.rr);
  if (t.locked !== undefined) fields.locked = flag(t.locked);
  if (t.ignition !== undefined) fields.ignition = flag(t.ignition);
  if (t.dtcs !== undefined) fields.dtc_count = { int: t.dtcs.length };
  return { measurement: 'vehicle', tags: { vehicle_id: vehicleId }, fields, timestampMs: t.ts };
}

function chargerPoint(chargerId: string, t: ChargerTelemetry): Point {
  const tags: Record<string, string> = { charger_id: chargerId };
  if (t.connectorId !== undefined) tags.connector = String(t.connectorId);
  if (t.siteId !== undefined) tags.site = t.siteId;
  const fields: Record<string, FieldValue> = {};
  put(fields, 'power_kw', t.powerKw);
  put(fields, 'energy_wh', t.energyWh);
  put(fields, 'voltage_v', t.voltageV);
  put(fields, 'current_a', t.currentA);
  put(fields, 'temp_c', t.tempC);
  put(fields, 'soc_pct', t.socPct);
  if (t.status !== undefined) {
    fields.status_code = { int: CHARGER_STATUS_CODES[t.status] };
    fields.charging = flag(t.status === 'Charging');
    fields.faulted = flag(t.status === 'Faulted');
  }
  if (t.errorCode !== undefined) fields.error = flag(t.errorCode !== 'NoError');
  if (t.sessionId !== undefined) fields.session_active = flag(t.sessionId !== null);
  return { measurement: 'charger', tags, fields, timestampMs: t.ts };
}

/**
 * Telemetry records map to one point holding the fields the reading carried (none is invented
 * for an absent measurement); a reading with no measurement at all maps to none. Events carry
 * no time series and map to none.
 */
export function toPoints(record: FleetRecord): Point[] {
  switch (record.kind) {
    case 'vehicle_telemetry':
      return withFields(vehiclePoint(record.source.id, record.payload));
    case 'charger_telemetry':
      return withFields(chargerPoint(record.source.id, record.payload));
    case 'event':
      return [];
  }
}

const withFields = (point: Point): Point[] => (Object.keys(point.fields).length === 0 ? [] : [point]);

// Line protocol has no newline inside a line; the official clients escape \n, \r and \t too.
const escapeWhitespace = (text: string) => text.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');

export function escapeMeasurement(name: string): string {
  return escapeWhitespace(name.replace(/\\/g, '\\\\').replace(/[, ]/g, '\\$&'));
}

/** Tag keys, tag values and field keys: comma, equals sign and space are escaped. */
export function escapeKey(key: string): string {
  return escapeWhitespace(key.replace(/\\/g, '\\\\').replace(/[,= ]/g, '\\$&'));
}

export function escapeStringField(value: string): string {
  return `"${escapeWhitespace(value.replace(/[\\"]/g, '\\$&'))}"`;
}

/** undefined for values line protocol cannot carry (NaN, ±Infinity). */
function formatField(value: FieldValue): string | undefined {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return escapeStringField(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  return Number.isFinite(value.int) ? `${Math.trunc(value.int)}i` : undefined;
}

function formatPoint(point: Point): string | undefined {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(point.fields)) {
    const formatted = formatField(value);
    if (formatted !== undefined) fields.push(`${escapeKey(key)}=${formatted}`);
  }
  if (fields.length === 0) return undefined;
  // Sorted tags are what InfluxDB stores anyway; sending them sorted saves it the work.
  const tags = Object.keys(point.tags)
    .filter((key) => point.tags[key] !== '')
    .sort()
    .map((key) => `,${escapeKey(key)}=${escapeKey(point.tags[key]!)}`)
    .join('');
  return `${escapeMeasurement(point.measurement)}${tags} ${fields.join(',')} ${Math.trunc(point.timestampMs)}`;
}

/** One line per point; points with no representable field are left out. */
export function formatLineProtocol(points: readonly Point[]): string {
  const lines: string[] = [];
  for (const point of points) {
    const line = formatPoint(point);
    if (line !== undefined) lines.push(line);
  }
  return lines.join('\n');
}
