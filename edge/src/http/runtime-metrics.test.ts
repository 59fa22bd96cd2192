import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PER_HANDLE_METRICS, registerRuntimeMetrics } from './runtime-metrics.js';

describe('runtime metrics', () => {
  it('keeps CPU, memory, GC and event-loop delay, and nothing that walks every open handle', async () => {
    const registry = new Registry();
    registerRuntimeMetrics(registry);
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toEqual(expect.arrayContaining(['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_gc_duration_seconds', 'nodejs_eventloop_lag_max_seconds', 'nodejs_heap_size_used_bytes']));
    for (const name of PER_HANDLE_METRICS) expect(names).not.toContain(name);
  });
});
