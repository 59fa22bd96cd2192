import { isMessageId, validateRecord } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { assessPhotoFraud } from '../fraud/fraud-features.js';
import { DEFAULT_VERDICT_POLICY } from './verdict-policy.js';
import { assessReturn, checkParking } from './return-assessment.js';
import { buildReturnEvents, returnEventIds } from './return-events.js';

const returnAt = Date.parse('2026-01-15T12:00:00Z');
const site = { lat: 52.52, lon: 13.405 };
const thresholds = { damage: { photo: 0.45, class: 0.5 }, verdict: DEFAULT_VERDICT_POLICY };

function assessment(screenScore: number, damage = 0.1) {
  const fraud = assessPhotoFraud({ screenScore, hash: '0123456789abcdef'.repeat(4), knownHashes: [], takenAt: new Date(returnAt - 60_000), gps: site, returnAt, vehiclePosition: site });
  const parking = checkParking({ point: site, reportedAt: returnAt }, returnAt, [{ id: 'depot', kind: 'circle', center: site, radiusM: 50 }], 60_000);
  return assessReturn([{ damage: { probability: damage, classes: { scratch: 0.812345678, dent: 0.1, crack: 0.2 } }, fraud }], parking, thresholds);
}

const input = (screenScore: number, damage?: number) => ({
  nodeId: 'node-1',
  subject: { returnId: 'RT-1', bookingId: 'BK-1', vehicleId: 'VH-0001' },
  assessment: assessment(screenScore, damage),
  photoCount: 1,
  modelVersions: { damage: 'damage-v1@00000000', screen: 'screen-v1@11111111' },
  verifiedAt: returnAt + 1000,
});

describe('return events', () => {
  it('derives stable ids from the return, one per event type', () => {
    const ids = returnEventIds('node-1', 'RT-1');
    expect(returnEventIds('node-1', 'RT-1')).toEqual(ids);
    expect(isMessageId(ids.returnVerified) && isMessageId(ids.fraudDetected)).toBe(true);
    expect(ids.returnVerified.endsWith(':0') && ids.fraudDetected.endsWith(':1')).toBe(true);
    expect(returnEventIds('node-1', 'RT-2').returnVerified).not.toBe(ids.returnVerified);
  });

  it('builds a valid critical ReturnVerified with rounded scores and findings', () => {
    const records = buildReturnEvents(input(0.02, 0.9));
    expect(records).toHaveLength(1);
    const [verified] = records;
    expect(validateRecord(verified).ok).toBe(true);
    expect(verified).toMatchObject({ priority: 'critical', source: { kind: 'edge', id: 'node-1' }, deviceTime: returnAt + 1000 });
    expect(verified?.payload.data).toMatchObject({
      verdict: 'review', damage: { score: 0.9, findings: [{ label: 'scratch', confidence: 0.8123, photo: 0 }] },
      parkedInGeofence: true, geofenceId: 'depot', photoCount: 1,
    });
  });

  it('adds a valid critical FraudDetected when fraud is suspected', () => {
    const records = buildReturnEvents(input(0.97));
    expect(records.map((r) => r.payload.type)).toEqual(['ReturnVerified', 'FraudDetected']);
    expect(records.every((r) => validateRecord(r).ok && r.priority === 'critical')).toBe(true);
    expect(records[1]?.payload.data).toMatchObject({ reasons: ['screen_recapture'], modelVersion: 'screen-v1@11111111', returnId: 'RT-1' });
  });
});
