import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authFileOf, busConfigOf, loadCloudConfig, resolveCloudConfig } from './config.js';

describe('cloud config', () => {
  it('runs on one machine by default: embedded bus under .fleetwire/cloud, no tsdb, port 8080', () => {
    const config = resolveCloudConfig({});

    expect(busConfigOf(config)).toEqual({ kind: 'embedded', path: join('.fleetwire/cloud', 'bus.sqlite') });
    expect(authFileOf(config)).toBe(join('.fleetwire/cloud', 'auth.json'));
    expect(config.tsdb).toBeUndefined();
    expect(config.http).toEqual({ host: '0.0.0.0', port: 8080 });
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
    expect(config.bus).toEqual({ kind: 'kafka', brokers: ['b:9092', 'c:9092'], clientId: 'x' });
    expect(config.tsdb).toEqual({ url: 'http://127.0.0.1:8428', org: 'fleetwire', bucket: 'fleetwire', token: 'secret' });
    expect(config.ingest.maxInFlight).toBe(2);
  });

  it.each([
    [{ http: { port: 'eighty' } }, '/http/port'],
    [{ bus: { kind: 'kafka', brokers: [] } }, '/bus'],
    [{ ingest: { maxBodyBytes: 0 } }, '/ingest/maxBodyBytes'],
    [{ colour: 'blue' }, '/colour'],
  ])('refuses %j with FW_CONFIG_INVALID naming %s', (input, path) => {
    expect(() => resolveCloudConfig(input)).toThrow(expect.objectContaining({ code: 'FW_CONFIG_INVALID', message: expect.stringContaining(path) }));
  });
});
