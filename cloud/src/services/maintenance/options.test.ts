import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Bus } from '../../bus/bus.js';
import { resolveMaintenanceServiceOptions, resolveMaintenanceSettings } from './options.js';

describe('maintenance settings', () => {
  it('fills the documented defaults', () => {
    expect(resolveMaintenanceSettings({})).toEqual({
      enabled: true, horizonDays: 14, minConfidence: 0.8, restMinutes: 60,
      tyre: { thresholdKpa: 210, referenceTempC: 20, windowReadings: 144, windowDays: 3, minSpanDays: 0.5 },
      auxBattery: { thresholdV: 12.2, windowReadings: 144, windowDays: 7, minSpanDays: 1 },
      tractionBattery: { thresholdPct: 80, chunkSocPct: 5, referenceChunks: 3, windowChunks: 200, windowDays: 60, minChunks: 6 },
      faults: { episodes: 2, windowDays: 7, maxCodes: 16 },
      groupId: 'fleetwire-maintenance', checkpointIntervalMs: 5000, checkpointRecords: 50_000, readyMaxLag: 1000, viewRefreshMs: 5000, restoreLogIntervalMs: 5000,
    });
    expect(resolveMaintenanceSettings({ tyre: { thresholdKpa: 200 } }).tyre).toMatchObject({ thresholdKpa: 200, windowDays: 3 });
  });

  it('refuses bad values and unknown keys, naming each', () => {
    expect(() => resolveMaintenanceSettings({ horizonDays: 0, minConfidence: 0.2, tyre: { windowReadings: 1.5 }, faults: { episodes: 1 }, horizon: 3 } as never)).toThrow(
      expect.objectContaining({
        code: 'FW_CONFIG_INVALID',
        message: [
          'invalid maintenance settings:',
          '  - /horizon: unknown key',
          '  - /horizonDays: Expected number to be greater than 0',
          '  - /minConfidence: Expected number to be greater or equal to 0.5',
          '  - /tyre/windowReadings: Expected integer',
          '  - /faults/episodes: Expected integer to be greater or equal to 2',
        ].join('\n'),
      }),
    );
  });

  it('joins one stable consumer group over telemetry and events, configurable, with the checkpoint defaults', () => {
    const base = { bus: {} as Bus, metrics: new Registry(), logger: pino({ level: 'silent' }) };
    const a = resolveMaintenanceServiceOptions(base);
    expect(a.settings).toMatchObject({ groupId: 'fleetwire-maintenance', checkpointIntervalMs: 5000, checkpointRecords: 50_000, readyMaxLag: 1000 });
    expect(resolveMaintenanceServiceOptions({ ...base, groupId: 'blue-maintenance' }).settings.groupId).toBe('blue-maintenance');
    expect(a.topics).toEqual(['fleetwire.telemetry.vehicle', 'fleetwire.events']);
    expect(() => resolveMaintenanceServiceOptions({ ...base, topics: [] })).toThrow(
      expect.objectContaining({ code: 'FW_CONFIG_INVALID', message: 'invalid maintenance service options:\n  - /topics: Expected array length to be greater or equal to 1' }),
    );
  });
});
