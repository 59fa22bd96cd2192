import { DEFAULT_PLAUSIBILITY_LIMITS } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { resolveTelemetryOptions } from './telemetry-options.js';

describe('resolveTelemetryOptions', () => {
  it('defaults: unknown fields kept, physics on with the protocol limits', () => {
    expect(resolveTelemetryOptions()).toEqual({ unknownFields: 'keep', plausibility: DEFAULT_PLAUSIBILITY_LIMITS });
    expect(resolveTelemetryOptions({})).toEqual(resolveTelemetryOptions());
  });

  it('overrides single limits, or switches the physics off', () => {
    expect(resolveTelemetryOptions({ unknownFields: 'drop', plausibility: { maxSpeedKph: 60 } })).toEqual({
      unknownFields: 'drop',
      plausibility: { ...DEFAULT_PLAUSIBILITY_LIMITS, maxSpeedKph: 60 },
    });
    expect(resolveTelemetryOptions({ plausibility: { enabled: false } }).plausibility).toBeUndefined();
  });

  it('lists every problem at once as FW_CONFIG_INVALID', () => {
    let caught: unknown;
    try {
      resolveTelemetryOptions({ unknownFields: 'ignore', plausibility: { maxSpeedKph: -1, confirmAfter: 1, colour: 'red' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'FW_CONFIG_INVALID', canRetry: false });
    const message = (caught as Error).message;
    for (const path of ['config.telemetry.unknownFields', 'config.telemetry.plausibility.maxSpeedKph', 'config.telemetry.plausibility.confirmAfter', 'config.telemetry.plausibility']) {
      expect(message).toContain(path);
    }
  });
});
