/**
 * Local alert rules, evaluated at the edge on every committed-to-be record so that alerts are
 * raised offline. The decisions are the pure step functions beside this file; this file only
 * keeps their state per vehicle / connector and turns a firing into an event record.
 * State lives in memory: after a restart a vehicle that is still low fires once more (an alert
 * repeated after a reboot is preferable to one lost). An alert is named by the record that fired
 * it (message-ids.ts), so a re-sent reading that fires again raises the same alert id.
 */
import {
  createEvent,
  createEventRecord,
  formatEventSource,
  type ChargerTelemetryRecord,
  type EventRecord,
  type FleetRecord,
  type VehicleTelemetryRecord,
} from '@fleetwire/protocol';
import { ruleEventId } from '../message-ids.js';
import { INITIAL_BATTERY_LOW_STATE, stepBatteryLow, type BatteryLowOptions, type BatteryLowState } from './battery-low.js';
import { INITIAL_CHARGER_FAULT_STATE, stepChargerFault, type ChargerFaultState } from './charger-faulted.js';

export interface LocalRulesOptions {
  nodeId: string;
  batteryLow: BatteryLowOptions & { enabled: boolean };
  chargerFaulted: { enabled: boolean };
}

export interface LocalRules {
  /** Events raised by this record, already wrapped as records; usually none. */
  evaluate(record: FleetRecord): EventRecord[];
}

export function createLocalRules(options: LocalRulesOptions): LocalRules {
  const battery = new Map<string, BatteryLowState>();
  const connectors = new Map<string, ChargerFaultState>();
  const edge = { kind: 'edge' as const, id: options.nodeId };
  const source = formatEventSource('edge', options.nodeId);

  function onVehicle(record: VehicleTelemetryRecord): EventRecord[] {
    const vehicleId = record.source.id;
    const { socPct, position } = record.payload;
    // A sparse reading without SoC says nothing about the battery.
    if (socPct === undefined) return [];
    const step = stepBatteryLow(battery.get(vehicleId) ?? INITIAL_BATTERY_LOW_STATE, socPct, options.batteryLow);
    battery.set(vehicleId, step.state);
    if (!step.fired) return [];
    const event = createEvent('BatteryLow', {
      eventId: ruleEventId(options.nodeId, 'BatteryLow', record.id),
      source,
      subject: { kind: 'vehicle', id: vehicleId },
      occurredAt: record.deviceTime,
      correlationId: record.id,
      data: { vehicleId, socPct, thresholdPct: options.batteryLow.thresholdPct, ...(position === undefined ? {} : { position }) },
    });
    return [createEventRecord(event, { source: edge, receivedAt: record.receivedAt })];
  }

  function onCharger(record: ChargerTelemetryRecord): EventRecord[] {
    const chargerId = record.source.id;
    const { connectorId = 0, status, errorCode } = record.payload;
    // A sparse reading reports what changed: an absent status is not Faulted, an absent error code with a status is NoError.
    if (status === undefined && errorCode === undefined) return [];
    const key = `${chargerId}#${connectorId}`;
    const step = stepChargerFault(connectors.get(key) ?? INITIAL_CHARGER_FAULT_STATE, { status: status ?? '', errorCode: errorCode ?? 'NoError' });
    connectors.set(key, step.state);
    if (!step.fired) return [];
    const event = createEvent('ChargerFaulted', {
      eventId: ruleEventId(options.nodeId, 'ChargerFaulted', record.id),
      source,
      subject: { kind: 'charger', id: chargerId },
      occurredAt: record.deviceTime,
      correlationId: record.id,
      data: {
        chargerId,
        connectorId,
        // A connector can report status Faulted with errorCode NoError; the event needs a fault code.
        errorCode: errorCode === undefined || errorCode === 'NoError' ? 'OtherError' : errorCode,
        info: `status ${status ?? '(not reported)'}`,
      },
    });
    return [createEventRecord(event, { source: edge, receivedAt: record.receivedAt })];
  }

  return {
    evaluate(record) {
      if (record.kind === 'vehicle_telemetry' && options.batteryLow.enabled) return onVehicle(record);
      if (record.kind === 'charger_telemetry' && options.chargerFaulted.enabled) return onCharger(record);
      return [];
    },
  };
}
