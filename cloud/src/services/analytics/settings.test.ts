import { describe, expect, it } from 'vitest';
import { resolveCloudConfig } from '../../config.js';

describe('the analytics section of the cloud config', () => {
  it('is on by default with the documented rules', () => {
    expect(resolveCloudConfig({}).analytics).toMatchObject({ enabled: true, dailyLatenessMs: 2 * 3_600_000, spikeWindowMs: 3_600_000, spikeRatio: 2, currency: 'EUR' });
  });

  it('refuses unknown keys and bad values, all at once', () => {
    expect(() => resolveCloudConfig({ analytics: { spikeRatoi: 3, spikeRatio: 0.5, currency: 'euro' } })).toThrow(
      expect.objectContaining({
        code: 'FW_CONFIG_INVALID',
        message: [
          'invalid cloud configuration:',
          '  - /analytics/spikeRatoi: unknown key',
          "  - /analytics/currency: Expected string to match '^[A-Z]{3}$'",
          '  - /analytics/spikeRatio: Expected number to be greater or equal to 1',
        ].join('\n'),
      }),
    );
  });
});
