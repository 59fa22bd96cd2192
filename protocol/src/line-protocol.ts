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

function vehiclePoint(vehicleId: string, t: VehicleTelemetry): Point {
  return {
    measurement: 'vehicle',
    tags: { vehicle_id: vehicleId },
    fields: {
      lat: t.position.lat,
      lon: t.position.lon,
      speed_kph: t.speedKph,
      heading_deg: t.headingDeg,
      odometer_km: t.odometerKm,
      soc_pct: t.socPct,
      battery_temp_c: t.battery.tempC,
      battery_voltage_v: t.battery.voltageV,
      battery_current_a: t.battery.currentA,
      aux_12v_v: t.aux12vV,
      tyre_fl_kpa: t.tyresKpa.fl,
      tyre_fr_kpa: t.tyresKpa.fr,
      tyre_rl_kpa: t.tyresKpa.rl,
      tyre_rr_kpa: t.tyresKpa.rr,
      locked: flag(t.locked),
      ignition: flag(t.ignition),
      dtc_count: { int: t.dtcs.length },
    },
    timestampMs: t.ts,
  };
}

function chargerPoint(chargerId: string, t: ChargerTelemetry): Point {
  return {
    measurement: 'charger',
    tags: {
      charger_id: chargerId,
      connector: String(t.connectorId),
      ...(t.siteId === undefined ? {} : { site: t.siteId }),
    },
    fields: {
      power_kw: t.powerKw,
      energy_wh: t.energyWh,
      voltage_v: t.voltageV,
      current_a: t.currentA,
      temp_c: t.tempC,
      status_code: { int: CHARGER_STATUS_CODES[t.status] },
      charging: flag(t.status === 'Charging'),
      faulted: flag(t.status === 'Faulted'),
      error: flag(t.errorCode !== 'NoError'),
      session_active: flag(t.sessionId !== null),
    },
    timestampMs: t.ts,
  };
}

/** Telemetry records map to one point; events carry no time series and map to none. */
export function toPoints(record: FleetRecord): Point[] {
  switch (record.kind) {
    case 'vehicle_telemetry':
      return [vehiclePoint(record.source.id, record.payload)];
    case 'charger_telemetry':
      return [chargerPoint(record.source.id, record.payload)];
    case 'event':
      return [];
  }
}

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
