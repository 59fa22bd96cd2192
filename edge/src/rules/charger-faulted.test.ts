import { describe, expect, it } from 'vitest';
import { INITIAL_CHARGER_FAULT_STATE, isFaulted, stepChargerFault, type ConnectorReading } from './charger-faulted.js';

function run(readings: ConnectorReading[]): boolean[] {
  let state = INITIAL_CHARGER_FAULT_STATE;
  return readings.map((reading) => {
    const step = stepChargerFault(state, reading);
    state = step.state;
    return step.fired;
  });
}

const ok = { status: 'Charging', errorCode: 'NoError' };
const faultedStatus = { status: 'Faulted', errorCode: 'NoError' };
const errorCode = { status: 'Available', errorCode: 'GroundFailure' };

describe('ChargerFaulted', () => {
  it('treats status Faulted or any errorCode other than NoError as a fault', () => {
    expect([ok, faultedStatus, errorCode].map(isFaulted)).toEqual([false, true, true]);
  });

  it('fires once per transition into a fault, not per faulted message', () => {
    expect(run([ok, faultedStatus, faultedStatus, errorCode, ok, errorCode, errorCode])).toEqual([false, true, false, false, false, true, false]);
  });
});
