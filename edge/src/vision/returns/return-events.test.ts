import { isMessageId, validateRecord } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { assessPhotoFraud } from '../fraud/fraud-features.js';
import { DEFAULT_VERDICT_POLICY } from './verdict-policy.js';
import { assessReturn, checkParking } from './return-assessment.js';
import { buildReturnEvents, returnEventIds } from './return-events.js';

const returnAt = Date.parse('2026-01-15T12:00:00Z');
const site = { lat: 52.52, lon: 13.405 };
const thresholds = { damage: { photo: 0.45, classes: { scratch: 0.5, dent: 0.4, crack: 0.5 } }, verdict: DEFAULT_VERDICT_POLICY };
/** A 2 x 4 grid with damage in the second row, third column. */
const location = { rows: 2, cols: 4, cells: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.876, 0.08] };

function assessment(screenScore: number, damage = 0.1) {
  const fraud = assessPhotoFraud({ screenScore, hash: '0123456789abcdef'.repeat(4), knownHashes: [], takenAt: new Date(returnAt - 60_000), gps: site, returnAt, vehiclePosition: site });
  const parking = checkParking({ point: site, reportedAt: returnAt }, returnAt, [{ id: 'depot', kind: 'circle', center: site, radiusM: 50 }], 60_000);
  return assessReturn([{ damage: { probability: damage, classes: { scratch: 0.812345678, dent: 0.1, crack: 0.2 }, location }, fraud }], parking, thresholds);
}

const input = (screenScore: number, damage?: number) => ({
  nodeId: 'node-1',
  subject: { returnId: 'RT-1', bookingId: 'BK-1', vehicleId: 'VH-0001' },
  assessment: assessment(screenScore, damage),
  photoCount: 1,
  models: {
    versions: { damage: 'damage-v5@00000000', screen: 'screen-v2@11111111' },
    thresholds: { damage: 0.45, scratch: 0.5, dent: 0.4, crack: 0.5, screen: 0.35 },
  },
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

  it('builds a valid critical ReturnVerified with rounded scores, findings and where they are', () => {
    const records = buildReturnEvents(input(0.02, 0.9));
    expect(records).toHaveLength(1);
    const [verified] = records;
    expect(validateRecord(verified).ok).toBe(true);
    expect(verified).toMatchObject({ priority: 'critical', source: { kind: 'edge', id: 'node-1' }, deviceTime: returnAt + 1000 });
    expect(verified?.payload.data).toMatchObject({
      verdict: 'review',
      damage: {
        score: 0.9,
        findings: [{ label: 'scratch', confidence: 0.8123, photo: 0, box: { x: 0.5, y: 0.5, w: 0.25, h: 0.5 } }],
        locations: [{ photo: 0, rows: 2, cols: 4, cells: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.88, 0.08] }],
      },
      parkedInGeofence: true, geofenceId: 'depot', photoCount: 1,
      modelVersions: { damage: 'damage-v5@00000000', screen: 'screen-v2@11111111' },
      modelThresholds: { damage: 0.45, scratch: 0.5, dent: 0.4, crack: 0.5, screen: 0.35 },
    });
  });

  it('carries no location when no photo reached the damage threshold', () => {
    const [verified] = buildReturnEvents(input(0.02, 0.3));
    expect(verified?.payload.data).toMatchObject({ verdict: 'accepted', damage: { score: 0.3, findings: [], locations: [] } });
  });

  it('adds a valid critical FraudDetected when fraud is suspected', () => {
    const records = buildReturnEvents(input(0.97));
    expect(records.map((r) => r.payload.type)).toEqual(['ReturnVerified', 'FraudDetected']);
    expect(records.every((r) => validateRecord(r).ok && r.priority === 'critical')).toBe(true);
    expect(records[1]?.payload.data).toMatchObject({ reasons: ['screen_recapture'], modelVersion: 'screen-v2@11111111', modelThresholds: { screen: 0.35 }, returnId: 'RT-1' });
  });
});
