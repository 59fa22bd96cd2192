/**
 * The Kafka bus over TLS and SASL against a real SASL_SSL listener (the test servers' kafka-secure:
 * a private CA made at its start, SCRAM users created with Kafka's StorageTool, a PLAIN user in the
 * listener's JAAS config, and a user refused the right to create topics by ACLs).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { BUS_TOPICS } from '@fleetwire/protocol';
import { describe, expect, inject, it } from 'vitest';
import type { Bus, DeliveredMessage } from '../../src/bus/bus.js';
import { createKafkaBus, type KafkaBusConfig } from '../../src/bus/kafka/index.js';
import { applyTopics, planTopics } from '../../src/bus/kafka/topic-commands.js';
import { resolveCloudConfig } from '../../src/config.js';
import { createCloudLogger, startCloud } from '../../src/main.js';

const secure = inject('kafkaSecure');
const run = randomBytes(3).toString('hex');
type User = (typeof secure.users)[keyof typeof secure.users];

function busConfig(user: User, overrides: Partial<KafkaBusConfig> = {}): KafkaBusConfig {
  return {
    kind: 'kafka', brokers: secure.brokers, partitions: 2, replicationFactor: 1, connectionTimeoutMs: 3000, produceTimeoutMs: 5000,
    topics: { prefix: `secure-${run}.` },
    tls: { caFile: secure.caFile, serverName: 'localhost' },
    sasl: { mechanism: user.mechanism, username: user.username, password: { value: user.password } },
    ...overrides,
  };
}

/** A log destination the test can read, to check no secret reaches a log line. */
function capturedLogs() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  return { logger: createCloudLogger('debug', stream), text: () => lines.join('') };
}

async function roundTrip(bus: Bus, topic: string): Promise<DeliveredMessage[]> {
  await bus.prepare([topic]);
  await bus.produce([1, 2, 3].map((seq) => ({ topic, key: 'VH-1', value: Buffer.from(`reading ${seq}`), headers: { 'fw-id': `VH-1:e:${seq}` } })));
  const received: DeliveredMessage[] = [];
  const subscription = await bus.subscribe({ groupId: `secure-${run}-${topic}`, topics: [topic], fromBeginning: true, async handle(batch) { received.push(...batch); } });
  await expect.poll(() => received.length, { timeout: 30_000, interval: 50 }).toBe(3);
  await subscription.close();
  return received;
}

describe('kafka bus over SASL_SSL', () => {
  it.each(['scram256', 'scram512', 'plain'] as const)('produces and consumes as the %s user, the password read from a file or the environment', async (name) => {
    const user = secure.users[name];
    const dir = mkdtempSync(join(tmpdir(), 'fw-secret-'));
    writeFileSync(join(dir, 'password'), `${user.password}\n`, { mode: 0o600 });
    const variable = `FW_TEST_KAFKA_PASSWORD_${name.toUpperCase()}`;
    process.env[variable] = user.password;
    const password = name === 'scram512' ? { env: variable } : { file: join(dir, 'password') };
    const logs = capturedLogs();
    const bus = createKafkaBus(busConfig(user, { sasl: { mechanism: user.mechanism, username: user.username, password } }), { logger: logs.logger });
    try {
      expect(await bus.ready()).toBe(true);
      const received = await roundTrip(bus, `${name}-topic`);
      expect(received.map((m) => m.value.toString())).toEqual(['reading 1', 'reading 2', 'reading 3']);
      expect(received.every((m) => m.topic === `${name}-topic`)).toBe(true);
    } finally {
      await bus.close();
      delete process.env[variable];
    }
    expect(logs.text()).not.toContain(user.password);
  });

  it('refuses a wrong password at start with FW_BUS_AUTH_FAILED, quickly, is not ready, and logs no password', async () => {
    const logs = capturedLogs();
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const bus = createKafkaBus(busConfig({ ...secure.users.scram256, password: wrong }), { logger: logs.logger });
    const started = Date.now();
    await expect(bus.prepare([BUS_TOPICS.events])).rejects.toMatchObject({ code: 'FW_BUS_AUTH_FAILED', canRetry: false });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await bus.ready()).toBe(false);
    await bus.close();
    expect(logs.text()).not.toContain(wrong);
    expect(logs.text()).not.toContain(secure.users.scram256.password);
  });

  it('refuses a broker certificate from a CA it does not trust with FW_BUS_TLS_FAILED, and is not ready', async () => {
    const bus = createKafkaBus(busConfig(secure.users.scram512, { tls: { caFile: secure.otherCaFile, serverName: 'localhost' } }));
    const started = Date.now();
    await expect(bus.prepare([BUS_TOPICS.events])).rejects.toMatchObject({ code: 'FW_BUS_TLS_FAILED', canRetry: false });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await bus.ready()).toBe(false);
    await bus.close();
  });

  it('a cloud with a wrong password does not start: one coded error that says so, within seconds', async () => {
    const logs = capturedLogs();
    const config = resolveCloudConfig({
      dataDir: mkdtempSync(join(tmpdir(), 'fw-cloud-secure-')),
      http: { host: '127.0.0.1', port: 0 },
      bus: { ...busConfig({ ...secure.users.plain, password: 'not-the-password' }) },
    });
    const started = Date.now();
    await expect(startCloud(config, { logger: logs.logger })).rejects.toMatchObject({
      code: 'FW_BUS_AUTH_FAILED', message: expect.stringContaining('refused the SASL login'),
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(logs.text()).not.toContain('not-the-password');
  });

  it('runs without the right to create topics once they exist, and names exactly what is missing before', async () => {
    const prefix = `limited-${run}.`;
    const limited = busConfig(secure.users.limited, { topics: { prefix, create: true } });
    const bus = createKafkaBus(limited);
    const refused = await bus.prepare(Object.values(BUS_TOPICS)).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'FW_BUS_TOPICS_MISSING' });
    const message = (refused as Error).message;
    expect(message).toContain('no CREATE right');
    for (const topic of Object.values(BUS_TOPICS)) expect(message).toContain(`topic ${prefix}${topic} is missing`);
    await bus.close();

    // The operator applies the layout as a user that may, then the limited cloud starts.
    const admin = busConfig(secure.users.scram256, { topics: { prefix } });
    expect((await planTopics(admin)).lines.filter((line) => line.includes('missing: will be created'))).toHaveLength(Object.values(BUS_TOPICS).length);
    const applied = await applyTopics(admin);
    expect(applied.lines.every((line) => line.endsWith('exists)'))).toBe(true);
    expect(applied.drift).toEqual([]);

    const working = createKafkaBus(limited);
    await working.prepare(Object.values(BUS_TOPICS));
    const received = await roundTrip(working, BUS_TOPICS.events);
    expect(received.map((m) => m.headers['fw-id'])).toEqual(['VH-1:e:1', 'VH-1:e:2', 'VH-1:e:3']);
    await working.close();
  });
});
