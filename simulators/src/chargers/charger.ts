/** A charger's state: plain data, stepped by charger-step.ts. One register per connector, as OCPP meters. */
import type { ChargerErrorCode, ChargerStatus } from '@fleetwire/protocol';
import type { Random } from '../random/random.js';

export interface ChargingSession {
  sessionId: string;
  vehicleId: string;
  startedAt: number;
  meterStartWh: number;
}

export interface ConnectorState {
  connectorId: number;
  supply: 'AC' | 'DC';
  maxPowerKw: number;
  status: ChargerStatus;
  statusSince: number;
  /** Energy register, Wh: only ever grows. */
  energyWh: number;
  powerKw: number;
  voltageV: number;
  currentA: number;
  tempC: number;
  errorCode: ChargerErrorCode;
  /** The vehicle whose cable is in this connector. */
  vehicleId: string | null;
  session: ChargingSession | null;
  faultClearsAt: number | null;
}

export interface ChargerState {
  id: string;
  siteId: string;
  connectors: ConnectorState[];
  nextTelemetryAt: number;
  sessionCount: number;
}

const MODELS = [
  { weight: 0.6, supply: 'AC', maxPowerKw: 22, connectors: 2 },
  { weight: 0.3, supply: 'DC', maxPowerKw: 50, connectors: 1 },
  { weight: 0.1, supply: 'DC', maxPowerKw: 150, connectors: 2 },
] as const;

export function createChargerState(spec: { id: string; siteId: string; time: number }, rng: Random): ChargerState {
  const draw = rng.next();
  let cumulative = 0;
  const model = MODELS.find((m) => (cumulative += m.weight) > draw) ?? MODELS[0];
  const connectors = Array.from({ length: model.connectors }, (_, i): ConnectorState => ({
    connectorId: i + 1,
    supply: model.supply,
    maxPowerKw: model.maxPowerKw,
    status: 'Available',
    statusSince: spec.time,
    energyWh: Math.round(rng.range(50_000, 5_000_000)),
    powerKw: 0,
    voltageV: model.supply === 'AC' ? 400 : 0,
    currentA: 0,
    tempC: 15,
    errorCode: 'NoError',
    vehicleId: null,
    session: null,
    faultClearsAt: null,
  }));
  return { id: spec.id, siteId: spec.siteId, connectors, nextTelemetryAt: spec.time + rng.range(0, 10_000), sessionCount: 0 };
}
