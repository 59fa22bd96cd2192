import { describe, expect, it } from 'vitest';
import { loadCloudConfig, resolveCloudConfig } from '../../config.js';

describe('the fleet section of the cloud config', () => {
  it('is on by default, open, with documented limits', () => {
    expect(resolveCloudConfig({}).fleet).toEqual({
      enabled: true, maxRecentEvents: 200, offlineAfterMs: 300_000, lowBatteryPct: 20, groupId: 'fleetwire-fleet-state',
      checkpointIntervalMs: 5000, checkpointRecords: 50_000, readyMaxLag: 1000, viewRefreshMs: 5000, restoreLogIntervalMs: 5000,
    });
  });

  it('refuses unknown keys and bad values, all at once', () => {
    expect(() => resolveCloudConfig({ fleet: { readTokn: 'x', maxRecentEvents: 0, readToken: 'short' } })).toThrow(
      expect.objectContaining({
        code: 'FW_CONFIG_INVALID',
        message: [
          'invalid cloud configuration:',
          '  - /fleet/readTokn: unknown key',
          '  - /fleet/readToken: Expected string length greater or equal to 16',
          '  - /fleet/maxRecentEvents: Expected integer to be greater or equal to 1',
        ].join('\n'),
      }),
    );
  });

  it('takes the read token from the environment', () => {
    const config = loadCloudConfig({ env: { FLEETWIRE_CLOUD_FLEET_READ_TOKEN: 'a-long-read-token-123' } });
    expect(config.fleet.readToken).toBe('a-long-read-token-123');
  });
});
