import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Bus } from '../../bus/bus.js';
import { resolveFleetServiceOptions } from './options.js';

const base = { bus: {} as Bus, metrics: new Registry(), logger: pino({ level: 'silent' }) };

describe('fleet service options', () => {
  it('fills the documented defaults, with one stable consumer group every instance joins', () => {
    const a = resolveFleetServiceOptions(base);
    expect(a).toMatchObject({
      maxRecentEvents: 200, offlineAfterMs: 300_000, lowBatteryPct: 20, checkpointIntervalMs: 5000, checkpointRecords: 50_000, readyMaxLag: 1000,
      groupId: 'fleetwire-fleet-state', topics: ['fleetwire.telemetry.vehicle', 'fleetwire.telemetry.charger', 'fleetwire.events'],
    });
    expect(resolveFleetServiceOptions({ ...base, groupId: 'blue-fleet' }).groupId).toBe('blue-fleet');
  });

  it('refuses bad values and unknown keys, naming each', () => {
    expect(() => resolveFleetServiceOptions({ ...base, lowBatteryPct: 120, maxRecentEvents: 0.5, topics: [''], readToken: 'x' } as never)).toThrow(
      expect.objectContaining({
        code: 'FW_CONFIG_INVALID',
        message: [
          'invalid fleet service options:',
          '  - /readToken: unknown key',
          '  - /maxRecentEvents: Expected integer',
          '  - /lowBatteryPct: Expected number to be less or equal to 100',
          '  - /topics/0: Expected string length greater or equal to 1',
        ].join('\n'),
      }),
    );
  });
});
