import { describe, expect, inject, it } from 'vitest';
import { describeBusConformance } from '../conformance.js';
import { createKafkaBus } from './kafka-bus.js';

// The suite names every topic and group uniquely, so runs share the test broker safely.
describeBusConformance(
  'kafka',
  () => createKafkaBus({ kind: 'kafka', brokers: inject('kafkaBrokers'), partitions: 3, replicationFactor: 1, retryInitialMs: 50 }),
  { deliveryTimeoutMs: 30_000, quietMs: 1500 },
);

describe('kafka bus without a broker', () => {
  it('answers not ready and rejects a produce with FW_BUS_UNAVAILABLE within the produce timeout', async () => {
    const bus = createKafkaBus({ kind: 'kafka', brokers: ['127.0.0.1:1'], produceTimeoutMs: 1500, connectionTimeoutMs: 200 });
    expect(await bus.ready()).toBe(false);
    const started = Date.now();
    await expect(bus.produce([{ topic: 'fw-nowhere', key: 'VH-1', value: Buffer.from('x'), headers: {} }])).rejects.toMatchObject({
      code: 'FW_BUS_UNAVAILABLE', canRetry: true,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    await bus.close();
  });
});
