/**
 * OCPP 1.6 calls as fleetwire device messages: pure functions from a call's params to the
 * telemetry readings or events a charger would have published on its own topics. The intake
 * pipeline then judges, names and commits them like any MQTT message.
 *
 * Everything derived from a call is derived from the call alone (times from its timestamps,
 * ids from its content), so a charger that re-sends a call whose CALLRESULT it never got — a
 * dropped connection, an agent killed mid-session — produces the same bytes and ids, and the
 * copy collapses downstream as a duplicate.
 */
import { createHash, createHmac } from 'node:crypto';
import { CHARGER_STATUSES, STOP_REASONS, formatMessageId, type ChargerStatus } from '@fleetwire/protocol';

export interface DeviceReading {
  channel: 'telemetry' | 'events';
  payload: unknown;
}

export interface SampledValue {
  value: string;
  context?: string;
  format?: string;
  measurand?: string;
  phase?: string;
  unit?: string;
}

export interface MeterValue {
  timestamp: string;
  sampledValue: SampledValue[];
}

/** A transaction as the central system keeps it until its StopTransaction. */
export interface OpenTransaction {
  transactionId: number;
  connectorId: number;
  meterStartWh: number;
  startedAt: number;
}

/** The id tag as it leaves the connection: `p` + 19 hex of an HMAC keyed by `ocpp.idTagKey` (fits OCPP's 20 characters). */
export function pseudonymiseIdTag(key: string, idTag: string): string {
  return `p${createHmac('sha256', key).update(idTag).digest('hex').slice(0, 19)}`;
}

/** The central system's transaction id for a StartTransaction: derived from it, so a re-sent start gets the same id. */
export function transactionIdFor(chargerId: string, start: { connectorId: number; timestamp: string; meterStart: number }): number {
  const digest = createHash('sha256').update(`${chargerId}\0${start.connectorId}\0${start.timestamp}\0${start.meterStart}`).digest();
  return (digest.readUInt32BE(0) & 0x7fffffff) || 1;
}

export const sessionIdOf = (transactionId: number) => `tx-${transactionId}`;

/** `{chargerId}:o{hash}:0`: the id of an event named by the call that raised it. */
function callEventId(chargerId: string, method: string, params: unknown): string {
  const hash = createHash('sha256').update(`${method}\0${JSON.stringify(params)}`).digest('hex').slice(0, 31);
  return formatMessageId({ deviceId: chargerId, epoch: `o${hash}`, seq: 0 });
}

const connectorField = (connectorId: number) => (connectorId > 0 ? { connectorId } : {});

export function statusNotification(
  chargerId: string,
  params: { connectorId: number; status: string; errorCode: string; timestamp?: string; vendorErrorCode?: string; info?: string },
  receivedAt: number,
): DeviceReading {
  const status = (CHARGER_STATUSES as readonly string[]).includes(params.status) ? (params.status as ChargerStatus) : undefined;
  const ext: Record<string, string> = {};
  if (params.vendorErrorCode !== undefined) ext['ocpp.vendorErrorCode'] = params.vendorErrorCode;
  if (params.info !== undefined) ext['ocpp.info'] = params.info;
  return {
    channel: 'telemetry',
    payload: {
      v: 1,
      ts: params.timestamp === undefined ? receivedAt : Date.parse(params.timestamp),
      ...connectorField(params.connectorId),
      ...(status === undefined ? {} : { status }),
      errorCode: params.errorCode,
      ...(Object.keys(ext).length > 0 ? { ext } : {}),
    },
  };
}

/** One reading per sampled time, in one array message; sampled values fleetwire has no field for are left out. */
export function meterValues(params: { connectorId: number; transactionId?: number; meterValue: MeterValue[] }): DeviceReading | undefined {
  const session = params.transactionId === undefined ? {} : { sessionId: sessionIdOf(params.transactionId) };
  const readings = params.meterValue.flatMap((meter) => {
    const measured = measurements(meter.sampledValue);
    return Object.keys(measured).length === 0 ? [] : [{ v: 1, ts: Date.parse(meter.timestamp), ...connectorField(params.connectorId), ...session, ...measured }];
  });
  return readings.length === 0 ? undefined : { channel: 'telemetry', payload: readings };
}

/** OCPP measurands → fleetwire charger fields, in fleetwire's units; the first value per field wins (a phase-less or L1 sample). */
function measurements(values: readonly SampledValue[]): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const sample of values) {
    if (sample.format === 'SignedData') continue;
    const value = Number(sample.value);
    if (!Number.isFinite(value)) continue;
    const field = MEASURANDS[sample.measurand ?? 'Energy.Active.Import.Register'];
    if (field === undefined || field.name in fields) continue;
    fields[field.name] = field.convert(value, sample.unit);
  }
  return fields;
}

const MEASURANDS: Readonly<Record<string, { name: string; convert: (value: number, unit?: string) => number }>> = {
  'Energy.Active.Import.Register': { name: 'energyWh', convert: (v, unit) => (unit === 'kWh' ? v * 1000 : v) },
  'Power.Active.Import': { name: 'powerKw', convert: (v, unit) => (unit === 'kW' ? v : v / 1000) },
  Voltage: { name: 'voltageV', convert: (v) => v },
  'Current.Import': { name: 'currentA', convert: (v) => v },
  Temperature: { name: 'tempC', convert: (v, unit) => (unit === 'Fahrenheit' ? ((v - 32) * 5) / 9 : unit === 'K' ? v - 273.15 : v) },
  SoC: { name: 'socPct', convert: (v) => v },
};

export function startTransaction(
  chargerId: string,
  params: { connectorId: number; idTag: string; meterStart: number; timestamp: string },
  idTagKey: string,
): { reading: DeviceReading; transaction: OpenTransaction } {
  const transactionId = transactionIdFor(chargerId, params);
  const event = {
    // Named without the id tag: a hash of the raw tag among printed fields would let anyone
    // who sees the id brute-force the card number behind the pseudonym.
    eventId: callEventId(chargerId, 'StartTransaction', { connectorId: params.connectorId, meterStart: params.meterStart, timestamp: params.timestamp }),
    type: 'ChargingSessionStarted',
    schemaVersion: 1,
    occurredAt: new Date(Date.parse(params.timestamp)).toISOString(),
    source: `charger:${chargerId}`,
    subject: { kind: 'charger', id: chargerId },
    data: { sessionId: sessionIdOf(transactionId), chargerId, connectorId: params.connectorId, idTag: pseudonymiseIdTag(idTagKey, params.idTag), meterStartWh: params.meterStart },
  };
  return {
    reading: { channel: 'events', payload: event },
    transaction: { transactionId, connectorId: params.connectorId, meterStartWh: params.meterStart, startedAt: Date.parse(params.timestamp) },
  };
}

export function stopTransaction(
  chargerId: string,
  params: { transactionId: number; meterStop: number; timestamp: string; reason?: string },
  transaction: OpenTransaction,
): DeviceReading {
  const stoppedAt = Date.parse(params.timestamp);
  const reason = (STOP_REASONS as readonly string[]).includes(params.reason ?? 'Local') ? (params.reason ?? 'Local') : 'Other';
  const event = {
    eventId: callEventId(chargerId, 'StopTransaction', { transactionId: params.transactionId, meterStop: params.meterStop, timestamp: params.timestamp }),
    type: 'ChargingSessionStopped',
    schemaVersion: 1,
    occurredAt: new Date(stoppedAt).toISOString(),
    source: `charger:${chargerId}`,
    subject: { kind: 'charger', id: chargerId },
    data: {
      sessionId: sessionIdOf(transaction.transactionId),
      chargerId,
      connectorId: transaction.connectorId,
      meterStopWh: params.meterStop,
      energyWh: Math.max(0, params.meterStop - transaction.meterStartWh),
      durationS: Math.max(0, Math.round((stoppedAt - transaction.startedAt) / 1000)),
      reason,
    },
  };
  return { channel: 'events', payload: event };
}
