/**
 * Owned topics and dead letters end to end on the real broker: the cloud's topics are laid out
 * under a per-environment prefix with the settings of their use; a record a consumer keeps
 * failing on lands in the dead-letter topic; `fleetwire cloud dlq list|show|replay` finds it,
 * shows its original bytes and replays it to its source topic with its record id, where the
 * (now fixed) consumer gets it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS } from '@fleetwire/protocol';
import kafkajs from 'kafkajs';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { DeliveredMessage } from '../src/bus/bus.js';
import { createBus } from '../src/bus/create-bus.js';
import { findDeadLetters } from '../src/bus/dead-letter-queue.js';
import { runCloudCommand } from '../src/cli.js';

const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
const run = randomBytes(3).toString('hex');
const prefix = `dl-${run}.`;
const busSection = { kind: 'kafka' as const, brokers: inject('kafkaBrokers'), partitions: 2, replicationFactor: 1, retryInitialMs: 20, maxHandlerAttempts: 2, topics: { prefix } };
const configFile = join(mkdtempSync(join(tmpdir(), 'fw-dlq-')), 'cloud.json');
writeFileSync(configFile, JSON.stringify({ bus: busSection, logLevel: 'silent' }));

/** Runs `fleetwire cloud …` and returns its exit code and what it printed. */
async function cloudCommand(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((text: unknown) => void lines.push(String(text)));
  try {
    return { code: await runCloudCommand([...argv, '--config', configFile]), out: lines.join('\n') };
  } finally {
    log.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('owned topics and dead letters on Kafka', () => {
  it('lays the topics out under the prefix with the settings of their use', async () => {
    const bus = createBus(busSection);
    await bus.prepare(Object.values(BUS_TOPICS));
    await bus.close();
    const admin = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const names = Object.values(BUS_TOPICS).map((t) => `${prefix}${t}`);
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      expect(Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]))).toEqual({
        [`${prefix}fleetwire.telemetry.vehicle`]: 2, [`${prefix}fleetwire.telemetry.charger`]: 2, [`${prefix}fleetwire.events`]: 2, [`${prefix}fleetwire.dlq`]: 3,
        [`${prefix}fleetwire.checkpoints`]: 2, [`${prefix}fleetwire.analytics.partials`]: 2,
      });
      const described = await admin.describeConfigs({
        resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'cleanup.policy', 'segment.ms'] })), includeSynonyms: false,
      });
      const config = (name: string) => Object.fromEntries(described.resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === name)?.configValue]));
      // The checkpoints topic keeps the newest record of each key for ever: compacted, whatever its retention.
      const { [`${prefix}fleetwire.checkpoints`]: checkpointsCleanup, ...cleanup } = config('cleanup.policy');
      expect(checkpointsCleanup).toBe('compact');
      // Its active segment rolls hourly: the compactor never reaches an open segment.
      expect(config('segment.ms')[`${prefix}fleetwire.checkpoints`]).toBe('3600000');
      expect(new Set(Object.values(cleanup))).toEqual(new Set(['delete']));
      const { [`${prefix}fleetwire.checkpoints`]: _checkpointsRetention, ...retention } = config('retention.ms');
      expect(retention).toEqual({
        [`${prefix}fleetwire.telemetry.vehicle`]: String(7 * 86_400_000), [`${prefix}fleetwire.telemetry.charger`]: String(7 * 86_400_000),
        [`${prefix}fleetwire.events`]: String(400 * 86_400_000), [`${prefix}fleetwire.dlq`]: String(800 * 86_400_000),
        [`${prefix}fleetwire.analytics.partials`]: String(7 * 86_400_000),
      });
    } finally {
      await admin.disconnect();
    }
    const plan = await cloudCommand('topics', 'plan');
    expect(plan.code).toBe(0);
    expect(plan.out).toContain(`${prefix}fleetwire.dlq  partitions=3 replication=1 retention.ms=${800 * 86_400_000} cleanup.policy=delete  (fleetwire.dlq; exists)`);
  });

  it('dead-letters a poison record, lists and shows it, and replays it with its record id to the fixed consumer', async () => {
    const bus = createBus(busSection);
    const groupId = `dl-group-${run}`;
    const poisonId = `VH-${run}:e:3`;
    await bus.produce(Array.from({ length: 6 }, (_, i) => ({
      topic: BUS_TOPICS.events, key: `VH-${run}`, value: Buffer.from(JSON.stringify({ seq: i, note: 'ünïcode kept' })),
      headers: { 'fw-id': `VH-${run}:e:${i}`, 'fw-kind': 'event', 'fw-schema': 'TripEnded.v1' },
    })));
    let fixed = false;
    const received: DeliveredMessage[] = [];
    const subscription = await bus.subscribe({
      groupId, topics: [BUS_TOPICS.events], fromBeginning: true,
      async handle(batch) {
        if (!fixed && batch.some((m) => m.headers['fw-id'] === poisonId)) throw new RangeError('soc out of range in TripEnded');
        received.push(...batch);
      },
    });
    await expect.poll(async () => (await findDeadLetters(bus, { group: groupId })).length, { timeout: 60_000, interval: 500 }).toBe(1);
    await expect.poll(() => received.length, { timeout: 30_000, interval: 50 }).toBe(5);

    const list = await cloudCommand('dlq', 'list', '--reason', 'handler_failed', '--group', groupId, '--topic', BUS_TOPICS.events);
    expect(list.code).toBe(0);
    expect(list.out).toContain('1 dead letter(s)');
    expect(list.out).toContain(poisonId);
    expect(list.out).toContain('soc out of range in TripEnded');
    const place = list.out.split('\n')[0]?.split('  ')[0] as string;
    expect(place).toMatch(/^\d+\/\d+$/);
    expect((await cloudCommand('dlq', 'list', '--group', groupId, '--since', new Date(Date.now() + 60_000).toISOString())).out).toContain('0 dead letter(s)');

    const shown = await cloudCommand('dlq', 'show', place);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(JSON.stringify({ seq: 3, note: 'ünïcode kept' }));
    expect(shown.out).toContain(`fw-group: ${groupId}`);

    expect((await cloudCommand('dlq', 'replay')).code).toBe(2);
    fixed = true;
    const replay = await cloudCommand('dlq', 'replay', '--id', poisonId);
    expect(replay.code).toBe(0);
    expect(replay.out).toContain('1 replayed, 0 skipped');

    await expect.poll(() => received.filter((m) => m.headers['fw-id'] === poisonId).length, { timeout: 30_000, interval: 50 }).toBe(1);
    const replayed = received.find((m) => m.headers['fw-id'] === poisonId) as DeliveredMessage;
    expect(replayed.key).toBe(`VH-${run}`);
    expect(JSON.parse(replayed.value.toString())).toEqual({ seq: 3, note: 'ünïcode kept' });
    expect(replayed.headers).toMatchObject({ 'fw-kind': 'event', 'fw-schema': 'TripEnded.v1', 'fw-replayed-from': `fleetwire.dlq/${place}` });
    await subscription.close();
    await bus.close();
  });
});
