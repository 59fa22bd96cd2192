import { describe, expect, it } from 'vitest';
import { identityFromTopic } from './bridge.js';

describe('bridge identity', () => {
  it('takes the device from a telemetry or events topic only', () => {
    expect(identityFromTopic('fleetwire/v1/vehicle/VH-0001/telemetry')).toEqual({ role: 'device', kind: 'vehicle', deviceId: 'VH-0001' });
    expect(identityFromTopic('fleetwire/v1/charger/CH-7/events')).toEqual({ role: 'device', kind: 'charger', deviceId: 'CH-7' });
    expect(identityFromTopic('fleetwire/v1/vehicle/VH-0001/commands/unlock')).toBeUndefined();
    expect(identityFromTopic('fleetwire/v1/scooter/S-1/telemetry')).toBeUndefined();
    expect(identityFromTopic('other/topic')).toBeUndefined();
  });
});
