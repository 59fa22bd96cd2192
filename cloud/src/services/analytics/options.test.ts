import pino from 'pino';
import { Registry } from 'prom-client';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import type { Bus } from '../../bus/bus.js';
import { resolveAnalyticsOptions, type AnalyticsServiceOptions } from './options.js';
import { AnalyticsSettingsSchema } from './settings.js';

const base = { bus: {} as Bus, metrics: new Registry(), logger: pino({ level: 'silent' }) };
const resolve = (options: Partial<AnalyticsServiceOptions>) => () => resolveAnalyticsOptions({ ...base, ...options });

describe('analytics options', () => {
  it('fills the documented defaults', () => {
    expect(Value.Default(AnalyticsSettingsSchema, {})).toEqual({
      enabled: true, dailyLatenessMs: 7_200_000, idlePartitionMs: 60_000, perSite: true, currency: 'EUR', snapshotIntervalMs: 300_000,
      spikeWindowMs: 3_600_000, spikeLatenessMs: 300_000, spikeRatio: 2, spikeMinBookings: 5, spikeMinBaseline: 1, spikeSmoothing: 0.3,
      spikeWarmupDays: 3, maxStoredReports: 10_000, groupId: 'fleetwire-analytics',
      checkpointIntervalMs: 5000, checkpointRecords: 50_000, readyMaxLag: 1000, viewRefreshMs: 5000, restoreLogIntervalMs: 5000,
    });
    // A stable group: every instance joins it, and a restart joins it again.
    expect(resolveAnalyticsOptions(base)).toMatchObject({ dailyLatenessMs: 7_200_000, groupId: 'fleetwire-analytics' });
  });

  it('refuses bad values with the option named', () => {
    const refusals: Array<[Partial<AnalyticsServiceOptions>, string]> = [
      [{ dailyLatenessMs: -1 }, '/dailyLatenessMs: Expected integer to be greater or equal to 0'],
      [{ spikeWindowMs: 7 * 60_000 }, '/spikeWindowMs: must divide a day evenly (e.g. 900000, 3600000), got 420000'],
      [{ snapshotIntervalMs: 10 }, '/snapshotIntervalMs: must be 0 (off) or at least 1000, got 10'],
      [{ spikeRatio: 0.5 }, '/spikeRatio: Expected number to be greater or equal to 1'],
      [{ spikeSmoothing: 0 }, '/spikeSmoothing: Expected number to be greater than 0'],
      [{ currency: 'euro' }, "/currency: Expected string to match '^[A-Z]{3}$'"],
      [{ topics: [] }, '/topics: Expected array length to be greater or equal to 1'],
      [{ groupId: '' }, '/groupId: Expected string length greater or equal to 1'],
    ];
    for (const [options, problem] of refusals) {
      expect(resolve(options)).toThrow(expect.objectContaining({ code: 'FW_CONFIG_INVALID', message: `invalid analytics service options:\n  - ${problem}` }));
    }
  });

  it('refuses an unknown option instead of ignoring a typo', () => {
    expect(resolve({ spikeRatioo: 3 } as Partial<AnalyticsServiceOptions>)).toThrow(
      expect.objectContaining({ code: 'FW_CONFIG_INVALID', message: 'invalid analytics service options:\n  - /spikeRatioo: unknown key' }),
    );
  });
});
