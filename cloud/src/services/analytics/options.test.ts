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
      spikeWarmupDays: 3, maxStoredReports: 10_000,
    });
    expect(resolveAnalyticsOptions(base)).toMatchObject({ dailyLatenessMs: 7_200_000, groupId: expect.stringMatching(/^fleetwire-analytics\./) });
  });

  it('refuses bad values with the option named', () => {
    const refusals: Array<[Partial<AnalyticsServiceOptions>, string]> = [
      [{ dailyLatenessMs: -1 }, 'analytics service: option dailyLatenessMs expected integer to be greater or equal to 0, got -1'],
      [{ spikeWindowMs: 7 * 60_000 }, 'analytics service: option spikeWindowMs must divide a day evenly (e.g. 900000, 3600000), got 420000'],
      [{ snapshotIntervalMs: 10 }, 'analytics service: option snapshotIntervalMs must be 0 (off) or at least 1000, got 10'],
      [{ spikeRatio: 0.5 }, 'analytics service: option spikeRatio expected number to be greater or equal to 1, got 0.5'],
      [{ spikeSmoothing: 0 }, 'analytics service: option spikeSmoothing expected number to be greater than 0, got 0'],
      [{ currency: 'euro' }, "analytics service: option currency expected string to match '^[A-Z]{3}$', got \"euro\""],
      [{ topics: [] }, 'analytics service: option topics must be a non-empty list of non-empty strings'],
    ];
    for (const [options, message] of refusals) expect(resolve(options)).toThrow(expect.objectContaining({ code: 'FW_CONFIG_INVALID', message }));
  });

  it('refuses an unknown option instead of ignoring a typo', () => {
    expect(resolve({ spikeRatioo: 3 } as Partial<AnalyticsServiceOptions>)).toThrow(/option spikeRatioo/);
  });
});
