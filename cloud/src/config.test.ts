import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authFileOf, busConfigOf, configWarnings, loadCloudConfig, resolveCloudConfig } from './config.js';
import { CloudError } from './errors.js';

/** What the bus sections hold when the config gives only the required options. */
const EMBEDDED_DEFAULTS = {
  partitions: 4, retentionMs: 604_800_000, retentionBytes: 1_073_741_824, retentionIntervalMs: 60_000, maxBatchMessages: 500,
  pollIntervalMs: 1000, retryInitialMs: 100, retryMaxMs: 10_000, maxHandlerAttempts: 5,
};
const KAFKA_DEFAULTS = {
  clientId: 'fleetwire-cloud', topics: { prefix: '', create: true, settings: {} }, partitions: 6, replicationFactor: -1,
  produceTimeoutMs: 5000, requestTimeoutMs: 4000, maxRequestBytes: 1_000_000, connectionTimeoutMs: 1000, sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1000, fetchMaxWaitMs: 500, retryInitialMs: 100, retryMaxMs: 10_000, maxHandlerAttempts: 5,
};

describe('cloud config', () => {
  it('runs on one machine by default: embedded bus under .fleetwire/cloud, no tsdb, port 8080', () => {
    const config = resolveCloudConfig({});

    expect(busConfigOf(config)).toEqual({ ...EMBEDDED_DEFAULTS, kind: 'embedded', path: join('.fleetwire/cloud', 'bus.sqlite') });
    expect(authFileOf(config)).toBe(join('.fleetwire/cloud', 'auth.json'));
    expect(config.tsdb).toBeUndefined();
    expect(config.http).toEqual({ host: '0.0.0.0', port: 8080, processes: 1 });
    expect(config.ingest.maxDecompressedBytes).toBe(32 * 1024 * 1024);
  });

  it('applies FLEETWIRE_CLOUD_* overrides on top of the file, keeping the file’s other bus options', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fw-config-')), 'cloud.json');
    writeFileSync(
      file,
      JSON.stringify({ http: { port: 9000 }, bus: { kind: 'kafka', brokers: ['a:9092'], clientId: 'x' }, ingest: { maxInFlight: 2 } }),
    );
    const config = loadCloudConfig({
      file,
      env: {
        FLEETWIRE_CLOUD_PORT: '9100',
        FLEETWIRE_CLOUD_KAFKA_BROKERS: 'b:9092, c:9092',
        FLEETWIRE_CLOUD_TSDB_URL: 'http://127.0.0.1:8428',
        FLEETWIRE_CLOUD_TSDB_TOKEN: 'secret',
      },
    });

    expect(config.http.port).toBe(9100);
    expect(config.bus).toEqual({ ...KAFKA_DEFAULTS, kind: 'kafka', brokers: ['b:9092', 'c:9092'], clientId: 'x' });
    expect(config.tsdb).toEqual({ url: 'http://127.0.0.1:8428', org: 'fleetwire', bucket: 'fleetwire', token: 'secret' });
    expect(config.ingest.maxInFlight).toBe(2);
  });

  it.each([
    [{ http: { port: 'eighty' } }, '/http/port'],
    [{ bus: { kind: 'kafka', brokers: [] } }, '/bus/brokers'],
    [{ bus: { kind: 'rabbit' } }, '/bus/kind'],
    [{ ingest: { maxBodyBytes: 0 } }, '/ingest/maxBodyBytes'],
    [{ colour: 'blue' }, '/colour: unknown key'],
  ])('refuses %j with FW_CONFIG_INVALID naming %s', (input, path) => {
    expect(() => resolveCloudConfig(input)).toThrow(expect.objectContaining({ code: 'FW_CONFIG_INVALID', message: expect.stringContaining(path) }));
  });

  it('refuses unknown keys at every level, and lists every problem at once', () => {
    const error = configError({
      http: { port: 8443, hots: '127.0.0.1', tls: { certFile: 'c', keyFile: 'k', caFile: 'ca', requestClientCert: true, verify: false } },
      bus: { kind: 'kafka', brokers: ['a:9092'], clientID: 'x', partitions: 0 },
      tsdb: { url: 'http://victoria:8428', tokn: 'secret' },
      auth: { file: '/etc/fleetwire/auth.json', reloadInterval: 1000 },
      ingest: { maxInFlight: 2, retryAfterSeconds: { busUnavailable: 5, overload: 1 } },
      colour: 'blue',
    });
    expect(error.code).toBe('FW_CONFIG_INVALID');
    expect(error.message.split('\n').slice(1).map((line) => line.replace(/^ {2}- /, '')).sort()).toEqual([
      '/auth/reloadInterval: unknown key',
      '/bus/clientID: unknown key',
      '/bus/partitions: Expected integer to be greater or equal to 1',
      '/colour: unknown key',
      '/http/hots: unknown key',
      '/http/tls/verify: unknown key',
      '/ingest/retryAfterSeconds/overload: unknown key',
      '/tsdb/tokn: unknown key',
    ]);
  });

  it('refuses the options of the other bus kind: an embedded bus’s path is no Kafka option', () => {
    expect(configError({ bus: { kind: 'kafka', brokers: ['a:9092'], path: '/var/lib/bus.sqlite' } }).message).toContain('/bus/path: unknown key');
    expect(configError({ bus: { kind: 'embedded', brokers: ['a:9092'] } }).message).toContain('/bus/brokers: unknown key');
    // Every documented option of either kind is accepted.
    expect(resolveCloudConfig({ bus: { kind: 'embedded', path: 'x', partitions: 2, retentionMs: 1, retentionBytes: 1, retentionIntervalMs: 1, maxBatchMessages: 1, pollIntervalMs: 1, retryInitialMs: 0, retryMaxMs: 0 } }).bus.kind).toBe('embedded');
    expect(resolveCloudConfig({
      bus: {
        kind: 'kafka', brokers: ['a:9092'], clientId: 'c', partitions: 1, replicationFactor: -1, produceTimeoutMs: 1, requestTimeoutMs: 1,
        maxRequestBytes: 1, connectionTimeoutMs: 1, sessionTimeoutMs: 1, heartbeatIntervalMs: 1, fetchMaxWaitMs: 1, retryInitialMs: 0, retryMaxMs: 0,
      },
    }).bus.kind).toBe('kafka');
  });

  it('switching the bus to Kafka by environment drops the file’s embedded options instead of failing on them', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fw-config-')), 'cloud.json');
    writeFileSync(file, JSON.stringify({ bus: { kind: 'embedded', path: '/var/lib/bus.sqlite' } }));
    const config = loadCloudConfig({ file, env: { FLEETWIRE_CLOUD_KAFKA_BROKERS: 'b:9092' } });
    expect(config.bus).toEqual({ ...KAFKA_DEFAULTS, kind: 'kafka', brokers: ['b:9092'] });
  });

  it('refuses client certificates without a CA of our own, whether from the file or the environment', () => {
    const tls = { certFile: 'server.crt', keyFile: 'server.key' };
    expect(configError({ http: { tls: { ...tls, requestClientCert: true } } }).message).toContain('/http/tls/caFile: required with requestClientCert');
    const file = join(mkdtempSync(join(tmpdir(), 'fw-config-')), 'cloud.json');
    writeFileSync(file, JSON.stringify({ http: { tls } }));
    expect(() => loadCloudConfig({ file, env: { FLEETWIRE_CLOUD_TLS_CLIENT_CERT: 'true' } })).toThrow(/caFile: required/);
    // With a CA, or without client certificates, TLS is fine.
    expect(resolveCloudConfig({ http: { tls: { ...tls, caFile: 'ca.crt', requestClientCert: true } } }).http.tls?.requestClientCert).toBe(true);
    expect(resolveCloudConfig({ http: { tls } }).http.tls?.requestClientCert).toBe(false);
  });

  it('runs several processes on one port only as an ingest tier: Kafka bus, the stateful services off', () => {
    const lines = configError({ http: { processes: 2 } }).message.split('\n').slice(1).map((line) => line.replace(/^ {2}- /, ''));
    expect(lines.map((line) => line.split(':')[0]).sort()).toEqual(['/analytics/enabled', '/audit/enabled', '/commands/enabled', '/fleet/enabled', '/http/processes', '/maintenance/enabled', '/returns/enabled']);
    const off = { enabled: false };
    const tier = { bus: { kind: 'kafka', brokers: ['b:9092'] }, fleet: off, analytics: off, maintenance: off, audit: off, returns: off, commands: off };
    expect(resolveCloudConfig({ ...tier, http: { processes: 2 } }).http.processes).toBe(2);
    const file = join(mkdtempSync(join(tmpdir(), 'fw-config-')), 'cloud.json');
    writeFileSync(file, JSON.stringify(tier));
    expect(loadCloudConfig({ file, env: { FLEETWIRE_CLOUD_PROCESSES: '3' } }).http.processes).toBe(3);
  });

  it('warns, without refusing, when analytics would count a Kafka member that died as idle before it is resumed', () => {
    const kafka = (sessionTimeoutMs: number) => ({ kind: 'kafka', brokers: ['b:9092'], sessionTimeoutMs });
    expect(configWarnings(resolveCloudConfig({ bus: kafka(10_000) }))).toEqual([]);
    const [warning, ...more] = configWarnings(resolveCloudConfig({ bus: kafka(40_000) }));
    expect(more).toEqual([]);
    expect(warning).toMatch(/^\/analytics\/idlePartitionMs \(60000\) is under twice \/bus\/sessionTimeoutMs \(40000\)/);
    expect(configWarnings(resolveCloudConfig({ bus: kafka(40_000), analytics: { idlePartitionMs: 80_000 } }))).toEqual([]);
    expect(configWarnings(resolveCloudConfig({ bus: kafka(40_000), analytics: { enabled: false } }))).toEqual([]);
    expect(configWarnings(resolveCloudConfig({ analytics: { idlePartitionMs: 100 } }))).toEqual([]);
  });
});

function configError(input: unknown): CloudError {
  try {
    resolveCloudConfig(input);
  } catch (error) {
    if (error instanceof CloudError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}
