import { validateChargerTelemetry, validateEvent } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { meterValues, pseudonymiseIdTag, startTransaction, statusNotification, stopTransaction, transactionIdFor } from './translate.js';

const KEY = 'a-key-of-sixteen-or-more';
const T = '2026-03-01T10:00:00.000Z';

describe('OCPP 1.6 calls as fleetwire messages', () => {
  it('StatusNotification → charger telemetry; connector 0 is the charge point as a whole; vendor details under ext', () => {
    const reading = statusNotification('CH-1', { connectorId: 2, status: 'Faulted', errorCode: 'GroundFailure', timestamp: T, vendorErrorCode: 'E42' }, 0);
    expect(reading).toEqual({ channel: 'telemetry', payload: { v: 1, ts: Date.parse(T), connectorId: 2, status: 'Faulted', errorCode: 'GroundFailure', ext: { 'ocpp.vendorErrorCode': 'E42' } } });
    expect(validateChargerTelemetry(reading.payload).ok).toBe(true);
    const whole = statusNotification('CH-1', { connectorId: 0, status: 'Available', errorCode: 'NoError' }, 1234);
    expect(whole.payload).toEqual({ v: 1, ts: 1234, status: 'Available', errorCode: 'NoError' });
  });

  it('MeterValues → one reading per sampled time, in fleetwire units, unknown measurands and signed data left out', () => {
    const reading = meterValues({
      connectorId: 1,
      transactionId: 7,
      meterValue: [
        { timestamp: T, sampledValue: [{ value: '12.5', unit: 'kWh' }, { value: '7400', measurand: 'Power.Active.Import', unit: 'W' }, { value: '230', measurand: 'Voltage', phase: 'L1-N' }, { value: '231', measurand: 'Voltage', phase: 'L2-N' }, { value: '95', measurand: 'Temperature', unit: 'Fahrenheit' }] },
        { timestamp: T, sampledValue: [{ value: 'x', measurand: 'Frequency' }, { value: 'abc', format: 'SignedData' }] },
      ],
    });
    expect(reading?.payload).toEqual([{ v: 1, ts: Date.parse(T), connectorId: 1, sessionId: 'tx-7', energyWh: 12_500, powerKw: 7.4, voltageV: 230, tempC: 35 }]);
    expect(validateChargerTelemetry((reading?.payload as unknown[])[0]).ok).toBe(true);
    expect(meterValues({ connectorId: 1, meterValue: [{ timestamp: T, sampledValue: [{ value: '1', measurand: 'Frequency' }] }] })).toBeUndefined();
  });

  it('StartTransaction → ChargingSessionStarted with a keyed pseudonym of the id tag, the same for the same call', () => {
    const params = { connectorId: 1, idTag: 'RFID-1234', meterStart: 500, timestamp: T };
    const { reading, transaction } = startTransaction('CH-1', params, KEY);
    expect(validateEvent(reading.payload)).toMatchObject({ ok: true, value: { type: 'ChargingSessionStarted', eventId: expect.stringMatching(/^CH-1:o[0-9a-f]{31}:0$/) } });
    const data = (reading.payload as { data: { idTag: string; sessionId: string } }).data;
    expect(data.idTag).toBe(pseudonymiseIdTag(KEY, 'RFID-1234'));
    expect(data.idTag).not.toBe(pseudonymiseIdTag('another-key-of-sixteen', 'RFID-1234'));
    expect(data.sessionId).toBe(`tx-${transaction.transactionId}`);
    expect(startTransaction('CH-1', params, KEY)).toEqual({ reading, transaction });
    expect(transactionIdFor('CH-1', { ...params, meterStart: 501 })).not.toBe(transaction.transactionId);
    expect(transaction.transactionId).toBeGreaterThan(0);
  });

  it('StopTransaction → ChargingSessionStopped from the open transaction: energy, duration, OCPP reason', () => {
    const open = { transactionId: 9, connectorId: 2, meterStartWh: 1_000, startedAt: Date.parse(T) };
    const stopped = stopTransaction('CH-1', { transactionId: 9, meterStop: 4_500, timestamp: '2026-03-01T10:30:00.000Z', reason: 'EVDisconnected' }, open);
    expect(validateEvent(stopped.payload)).toMatchObject({ ok: true, value: { data: { sessionId: 'tx-9', connectorId: 2, energyWh: 3_500, durationS: 1_800, reason: 'EVDisconnected', meterStopWh: 4_500 } } });
    const noReason = stopTransaction('CH-1', { transactionId: 9, meterStop: 4_500, timestamp: T }, open);
    expect((noReason.payload as { data: { reason: string } }).data.reason).toBe('Local');
  });
});
