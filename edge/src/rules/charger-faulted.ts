/**
 * ChargerFaulted: fires on the transition of a connector into a fault — OCPP status `Faulted`
 * or an errorCode other than `NoError` — once per transition; the connector must report healthy
 * again before another fault fires. State is per (charger, connector).
 */

export interface ConnectorReading {
  status: string;
  errorCode: string;
}

export interface ChargerFaultState {
  faulted: boolean;
}

export interface ChargerFaultStep {
  state: ChargerFaultState;
  fired: boolean;
}

export const INITIAL_CHARGER_FAULT_STATE: ChargerFaultState = { faulted: false };

export function isFaulted(reading: ConnectorReading): boolean {
  return reading.status === 'Faulted' || reading.errorCode !== 'NoError';
}

export function stepChargerFault(state: ChargerFaultState, reading: ConnectorReading): ChargerFaultStep {
  const faulted = isFaulted(reading);
  if (faulted === state.faulted) return { state, fired: false };
  return { state: { faulted }, fired: faulted };
}
