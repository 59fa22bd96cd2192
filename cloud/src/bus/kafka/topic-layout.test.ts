import { describe, expect, it } from 'vitest';
import { resolveKafkaOptions } from './options.js';
import { cloudTopicPlans, layoutDrift, layoutProblems, topicPlan } from './topic-layout.js';

const DAY = 86_400_000;

describe('topic layout', () => {
  it('names topics with the prefix and sets retention and policy by use', () => {
    const options = resolveKafkaOptions({ kind: 'kafka', brokers: ['b:9092'], topics: { prefix: 'prod.' } });
    const plans = Object.fromEntries(cloudTopicPlans(options).map((p) => [p.logical, p]));
    expect(plans['fleetwire.telemetry.vehicle']).toEqual({
      logical: 'fleetwire.telemetry.vehicle', name: 'prod.fleetwire.telemetry.vehicle', partitions: 6, replicationFactor: -1,
      configs: { 'retention.ms': String(7 * DAY), 'cleanup.policy': 'delete' },
    });
    expect(plans['fleetwire.events']?.configs['retention.ms']).toBe(String(400 * DAY));
    expect(plans['fleetwire.dlq']).toMatchObject({ name: 'prod.fleetwire.dlq', partitions: 3, configs: { 'retention.ms': String(800 * DAY) } });
    // Analytics' partials are read within minutes; a week covers a long outage of its second stage.
    expect(plans['fleetwire.analytics.partials']?.configs).toEqual({ 'retention.ms': String(7 * DAY), 'cleanup.policy': 'delete' });
    // A restore reads the checkpoints' uncompacted tail: the active segment rolls hourly so it stays short.
    expect(plans['fleetwire.checkpoints']?.configs).toEqual({ 'cleanup.policy': 'compact', 'max.message.bytes': String(16 * 1024 * 1024), 'segment.ms': '3600000' });
  });

  it('takes per-topic settings over the defaults, and min.insync.replicas 2 from three replicas', () => {
    const options = resolveKafkaOptions({
      kind: 'kafka', brokers: ['b:9092'], replicationFactor: 3,
      topics: { settings: { 'fleetwire.events': { name: 'fleet-events', partitions: 12, cleanupPolicy: 'compact', retentionMs: -1 } } },
    });
    expect(topicPlan(options, 'fleetwire.events')).toEqual({
      logical: 'fleetwire.events', name: 'fleet-events', partitions: 12, replicationFactor: 3,
      configs: { 'retention.ms': '-1', 'cleanup.policy': 'compact', 'min.insync.replicas': '2' },
    });
    expect(topicPlan(options, 'some.other').configs).toEqual({ 'min.insync.replicas': '2' });
  });

  it('names each missing topic and short partition count, and reports config drift apart', () => {
    const options = resolveKafkaOptions({ kind: 'kafka', brokers: ['b:9092'] });
    const plans = [topicPlan(options, 'fleetwire.events'), topicPlan(options, 'fleetwire.dlq'), topicPlan(options, 'fleetwire.telemetry.vehicle')];
    const found = new Map([
      ['fleetwire.events', { partitions: 2, configs: { 'retention.ms': String(400 * DAY), 'cleanup.policy': 'delete' } }],
      ['fleetwire.dlq', { partitions: 3, configs: { 'retention.ms': '604800000', 'cleanup.policy': 'delete' } }],
    ]);
    expect(layoutProblems(plans, found)).toEqual([
      'topic fleetwire.events has 2 partitions, needs at least 6',
      'topic fleetwire.telemetry.vehicle is missing (needs 6 partitions)',
    ]);
    expect(layoutDrift(plans, found)).toEqual([`topic fleetwire.dlq: retention.ms is 604800000, the config says ${800 * DAY}`]);
  });

  it('refuses wrong options with every problem at once', () => {
    expect(() => resolveKafkaOptions({ kind: 'kafka', brokers: [], partitions: 0, topics: { settings: { x: { cleanupPolicy: 'shred' as never } } } }))
      .toThrow(expect.objectContaining({ code: 'FW_BUS_CONFIG_INVALID', message: expect.stringMatching(/\/brokers[\s\S]*\/partitions|\/partitions[\s\S]*\/brokers/) }));
  });
});
