import { validateVehicleTelemetry } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseLatLon } from '../cli/args.js';
import { createLatencyHistogram } from './latency.js';
import { loadClientIds, resolveLoadOptions } from './load-options.js';
import { loadPayload } from './load-payload.js';

describe('load generator parts', () => {
  it('pads valid telemetry to the exact payload size', () => {
    for (const size of [600, 1_024, 16_384]) {
      const bytes = loadPayload(size, 1_700_000_000_000, 'lgabc', 41, 'LG-0001');
      expect(bytes.length).toBe(size);
      const parsed = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
      expect(validateVehicleTelemetry(parsed).ok).toBe(true);
      expect(parsed).toMatchObject({ epoch: 'lgabc', seq: 41, deviceId: 'LG-0001' });
    }
    expect(loadPayload(10, 1, 'e', 0, 'LG-0001').length).toBeGreaterThan(300);
  });

  it('reports percentiles within the histogram’s 2 % buckets', () => {
    const histogram = createLatencyHistogram();
    for (let i = 1; i <= 10_000; i++) histogram.record(i / 100);
    expect(histogram.count).toBe(10_000);
    expect(Math.abs((histogram.quantile(0.5) as number) / 50 - 1)).toBeLessThan(0.02);
    expect(Math.abs((histogram.quantile(0.99) as number) / 99 - 1)).toBeLessThan(0.02);
    expect(histogram.max).toBe(100);
    expect(createLatencyHistogram().quantile(0.5)).toBeUndefined();
  });

  it('validates options and names clients predictably', () => {
    expect(loadClientIds({ clients: 3, idPrefix: 'B' })).toEqual(['B-0001', 'B-0002', 'B-0003']);
    expect(resolveLoadOptions({ url: 'mqtt://h:1883', count: 5 })).toMatchObject({ count: 5, durationMs: undefined, rate: 1_000, qos: 1 });
    expect(() => resolveLoadOptions({ url: 'http://h' })).toThrow(/mqtt:\/\//);
    expect(() => resolveLoadOptions({ url: 'mqtt://h', qos: 3 as 1 })).toThrow(/qos/);
    expect(parseDuration('d', '90s')).toBe(90_000);
    expect(parseDuration('d', '250ms')).toBe(250);
    expect(parseDuration('d', '2')).toBe(2_000);
    expect(() => parseDuration('d', 'soon')).toThrow(/--d: expected a duration/);
    expect(parseLatLon('centre', '52.5,13.4')).toEqual({ lat: 52.5, lon: 13.4 });
  });
});
