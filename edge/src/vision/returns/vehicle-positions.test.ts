import { type FleetRecord } from '@fleetwire/protocol';
import { vehicleRecordFixture } from '@fleetwire/protocol/testing';
import { describe, expect, it } from 'vitest';
import type { StoredPosition } from '../store/vision-store.js';
import { createVehiclePositions } from './vehicle-positions.js';

function reading(lat: number, deviceTime: number, receivedAt: number, skewed = false): FleetRecord {
  const base = vehicleRecordFixture();
  return {
    ...base,
    deviceTime,
    receivedAt,
    ...(skewed ? { clock: { skewMs: deviceTime - receivedAt, flag: 'skewed' as const } } : {}),
    payload: { ...base.payload, position: { lat, lon: 13.4 } },
  };
}

function positions() {
  const saved: StoredPosition[] = [];
  const tracker = createVehiclePositions({ store: { positions: () => [], savePositions: (batch) => void saved.push(...batch) }, flushIntervalMs: 60_000 });
  return { tracker, saved };
}

describe('vehicle positions', () => {
  it('keeps the newest position by device time, so a late backlog does not move the car back', () => {
    const { tracker } = positions();
    tracker.observe(reading(52.5, 2_000, 2_100));
    tracker.observe(reading(52.4, 1_000, 2_200));
    expect(tracker.get('VH-0001')).toEqual({ point: { lat: 52.5, lon: 13.4 }, reportedAt: 2_000 });
    tracker.close();
  });

  it('places a reading from a skewed clock at its receive time, so a clock a year ahead cannot freeze the position', () => {
    const { tracker, saved } = positions();
    const yearMs = 365 * 24 * 3_600_000;
    tracker.observe(reading(52.9, 1_000 + yearMs, 1_100, true));
    tracker.observe(reading(52.5, 2_000, 2_050));
    expect(tracker.get('VH-0001')).toEqual({ point: { lat: 52.5, lon: 13.4 }, reportedAt: 2_000 });
    tracker.close();
    expect(saved.map((p) => p.lat)).toEqual([52.5]);
  });
});
