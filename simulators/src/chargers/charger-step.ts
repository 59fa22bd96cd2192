/**
 * A charger's connectors through their OCPP 1.6 states, one pure step at a time:
 * Available → Preparing (cable in) → Charging (ChargingSessionStarted) → Finishing
 * (ChargingSessionStopped) → Available; any connector may fault (ChargerFaulted, ending its
 * session) and comes back after a repair. Energy delivered goes into the connector's register
 * and, through `delivered`, into the plugged vehicle.
 */
import type { ChargerErrorCode } from '@fleetwire/protocol';
import { HOUR_MS } from '@fleetwire/protocol';
import type { Random } from '../random/random.js';
import type { Emission, EventEmission } from '../world/emission.js';
import { round } from '../world/rounding.js';
import type { ChargerState, ConnectorState } from './charger.js';
import { ONBOARD_AC_LIMIT_KW, chargingPowerKw } from './power-curve.js';

/** What a charger can learn from the vehicle on its cable (ISO 15118 / CHAdeMO style). */
export interface PluggedVehicle {
  socPct: number;
  maxChargeKw: number;
  packVoltageV: number;
  unplugRequested: boolean;
}

export interface ChargerStepContext {
  time: number;
  ambientC: number;
  /** Mean faults per connector per simulated hour. */
  faultsPerHour: number;
  telemetryIntervalMs: number;
  vehicles: ReadonlyMap<string, PluggedVehicle>;
}

export interface ChargerStepResult {
  state: ChargerState;
  emissions: Emission[];
  /** Energy pushed into each plugged vehicle's inlet this step. */
  delivered: Array<{ vehicleId: string; wh: number }>;
  /** Vehicles whose cable came out this step. */
  released: string[];
}

const PREPARING_MS = 15_000;
const FINISHING_MS = 20_000;
const FAULT_CODES: readonly ChargerErrorCode[] = ['GroundFailure', 'OverCurrentFailure', 'HighTemperature', 'PowerMeterFailure', 'ConnectorLockFailure', 'EVCommunicationError', 'InternalError'];

export function stepCharger(charger: ChargerState, dtMs: number, rng: Random, ctx: ChargerStepContext): ChargerStepResult {
  const end = ctx.time + dtMs;
  const emissions: Emission[] = [];
  const delivered: ChargerStepResult['delivered'] = [];
  const released: string[] = [];
  let sessionCount = charger.sessionCount;
  const event = (type: EventEmission['type'], data: Record<string, unknown>, correlationId?: string): void => {
    emissions.push({ channel: 'events', at: end, type, subject: { kind: 'charger', id: charger.id }, ...(correlationId ? { correlationId } : {}), data });
  };
  const stop = (c: ConnectorState, reason: string): ConnectorState => {
    const session = c.session;
    if (!session) return c;
    event(
      'ChargingSessionStopped',
      { sessionId: session.sessionId, chargerId: charger.id, connectorId: c.connectorId, vehicleId: session.vehicleId, meterStopWh: Math.floor(c.energyWh), energyWh: Math.floor(c.energyWh) - session.meterStartWh, durationS: Math.round((end - session.startedAt) / 1000), reason },
      session.sessionId,
    );
    return { ...c, session: null, powerKw: 0, currentA: 0 };
  };

  const connectors = charger.connectors.map((connector): ConnectorState => {
    let c = connector;
    const vehicle = c.vehicleId === null ? undefined : ctx.vehicles.get(c.vehicleId);
    if (c.status === 'Faulted') {
      return c.faultClearsAt !== null && end >= c.faultClearsAt
        ? { ...c, status: 'Available', statusSince: end, errorCode: 'NoError', faultClearsAt: null }
        : c;
    }
    if (rng.chance(1 - Math.exp((-ctx.faultsPerHour * dtMs) / HOUR_MS))) {
      const errorCode = rng.pick(FAULT_CODES);
      event('ChargerFaulted', { chargerId: charger.id, connectorId: c.connectorId, errorCode });
      c = stop(c, 'Other');
      if (c.vehicleId !== null) released.push(c.vehicleId);
      return { ...c, status: 'Faulted', statusSince: end, errorCode, vehicleId: null, faultClearsAt: end + Math.max(300_000, rng.exponential(1_800_000)) };
    }
    if (c.vehicleId !== null && !vehicle) {
      // The vehicle went away without the charger noticing the cable: treat as unplugged.
      released.push(c.vehicleId);
      return { ...stop(c, 'EVDisconnected'), status: 'Available', statusSince: end, vehicleId: null };
    }
    switch (c.status) {
      case 'Preparing':
        if (vehicle && end - c.statusSince >= PREPARING_MS) {
          sessionCount += 1;
          const session = { sessionId: `cs-${charger.id}-${sessionCount}`, vehicleId: c.vehicleId as string, startedAt: end, meterStartWh: Math.floor(c.energyWh) };
          event('ChargingSessionStarted', { sessionId: session.sessionId, chargerId: charger.id, connectorId: c.connectorId, vehicleId: session.vehicleId, meterStartWh: session.meterStartWh }, session.sessionId);
          return { ...c, status: 'Charging', statusSince: end, session };
        }
        return c;
      case 'Charging':
      case 'SuspendedEV': {
        if (!vehicle) return c;
        if (vehicle.unplugRequested) return { ...stop(c, 'EVDisconnected'), status: 'Finishing', statusSince: end };
        const limit = c.supply === 'AC' ? Math.min(c.maxPowerKw, ONBOARD_AC_LIMIT_KW) : Math.min(c.maxPowerKw, vehicle.maxChargeKw);
        const powerKw = chargingPowerKw(vehicle.socPct, limit);
        const wh = (powerKw * dtMs) / 3_600;
        if (wh > 0) delivered.push({ vehicleId: c.vehicleId as string, wh });
        const voltageV = c.supply === 'AC' ? 400 : vehicle.packVoltageV;
        const currentA = c.supply === 'AC' ? (powerKw * 1000) / (Math.sqrt(3) * 400) : (powerKw * 1000) / voltageV;
        const status = powerKw > 0 ? 'Charging' : 'SuspendedEV';
        return { ...c, status, statusSince: status === c.status ? c.statusSince : end, energyWh: c.energyWh + wh, powerKw, voltageV, currentA };
      }
      case 'Finishing':
        if (end - c.statusSince >= FINISHING_MS) {
          if (c.vehicleId !== null) released.push(c.vehicleId);
          return { ...c, status: 'Available', statusSince: end, vehicleId: null, voltageV: c.supply === 'AC' ? 400 : 0 };
        }
        return c;
      default:
        return c;
    }
  });

  const warmed = connectors.map((c) => ({ ...c, tempC: c.tempC + ((ctx.ambientC + c.powerKw * 0.25 - c.tempC) * dtMs) / 600_000 }));
  let nextTelemetryAt = charger.nextTelemetryAt;
  if (end >= nextTelemetryAt) {
    for (const c of warmed) emissions.push({ channel: 'telemetry', at: end, body: connectorTelemetry(charger.siteId, c) });
    nextTelemetryAt = end + ctx.telemetryIntervalMs;
  }
  return { state: { ...charger, connectors: warmed, sessionCount, nextTelemetryAt }, emissions, delivered, released };
}

/** Puts a vehicle's cable into an Available connector. */
export function plugVehicle(charger: ChargerState, connectorId: number, vehicleId: string, time: number): ChargerState {
  return {
    ...charger,
    connectors: charger.connectors.map((c) =>
      c.connectorId === connectorId ? { ...c, status: 'Preparing', statusSince: time, vehicleId } : c,
    ),
  };
}

function connectorTelemetry(siteId: string, c: ConnectorState): Record<string, unknown> {
  return {
    siteId,
    connectorId: c.connectorId,
    status: c.status,
    powerKw: round(c.powerKw, 2),
    // Floor, so the reported register never runs ahead of the session's own figures.
    energyWh: Math.floor(c.energyWh),
    voltageV: round(c.voltageV, 1),
    currentA: round(c.currentA, 1),
    tempC: round(c.tempC, 1),
    sessionId: c.session?.sessionId ?? null,
    errorCode: c.errorCode,
  };
}
