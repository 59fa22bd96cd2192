import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTelemetryOptions } from './intake/telemetry-options.js';
import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { BufferSettingsSchema } from './buffer/sqlite/options.js';
import { loadEdgeConfig, redactConfig } from './config.js';
import { EdgeError } from './errors.js';

const REGISTRY = { devices: { registryFile: '/etc/fleetwire/devices.json' } };

function configError(run: () => unknown): EdgeError {
  try {
    run();
  } catch (error) {
    if (error instanceof EdgeError) return error;
    throw error;
  }
  throw new Error('expected a config error');
}

describe('edge config', () => {
  it('fills documented defaults', () => {
    const config = loadEdgeConfig({ overrides: REGISTRY, cwd: '/srv' });
    expect(config.mqtt).toMatchObject({ enabled: true, host: '0.0.0.0', port: 1883, maxPacketBytes: 262_144, tls: { enabled: false, port: 8883 }, websocket: { enabled: false, port: 8083, path: '/mqtt' } });
    // The operator's listener stays on loopback; only the photo API faces the network.
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.photoApi).toEqual({ host: '0.0.0.0', port: 8081, tls: { enabled: false, certFile: '', keyFile: '' } });
    expect(configError(() => loadEdgeConfig({ overrides: { ...REGISTRY, photoApi: { tls: { enabled: true } } } })).message).toContain('config.photoApi.tls: keyFile and certFile are required when tls.enabled');
    expect(config.intake).toEqual({ maxPayloadBytes: 65_536, maxClockSkewMs: 300_000 });
    expect(config.rules.batteryLow).toEqual({ enabled: true, thresholdPct: 20, hysteresisPct: 5 });
    expect(config.dataDir).toBe('/srv/.fleetwire/edge');
    expect(config.nodeId).toMatch(/^edge-[A-Za-z0-9_-]+$/);
    expect(config.bridge.topics).toEqual(['fleetwire/v1/+/+/telemetry', 'fleetwire/v1/+/+/events']);
    expect(config.bridge.clientId).toBe(`fleetwire-edge-${config.nodeId}`);
  });

  it('reads a JSON file, resolving its relative paths against the file, and lets the environment override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-config-'));
    const file = join(dir, 'edge.json');
    writeFileSync(file, JSON.stringify({ nodeId: 'node-7', dataDir: 'data', devices: { registryFile: 'devices.json' }, mqtt: { port: 1884 }, cloud: { url: 'https://cloud.example', token: 'from-file' }, buffer: { maxBytes: 1000 } }));
    const config = loadEdgeConfig({
      file,
      env: { FLEETWIRE_EDGE_MQTT_PORT: '2883', FLEETWIRE_EDGE_HTTP_PORT: '9090', FLEETWIRE_EDGE_NODE_TOKEN: 'from-env', FLEETWIRE_EDGE_DATA_DIR: '/var/lib/fw' },
    });
    expect(config.nodeId).toBe('node-7');
    expect(config.devices.registryFile).toBe(join(dir, 'devices.json'));
    expect(config.dataDir).toBe('/var/lib/fw');
    expect(config.mqtt.port).toBe(2883);
    expect(config.http.port).toBe(9090);
    expect(config.cloud).toEqual({ url: 'https://cloud.example', token: 'from-env', caFile: '', certFile: '', keyFile: '' });
    expect(config.buffer).toEqual({ ...(Value.Default(BufferSettingsSchema, {}) as object), maxBytes: 1000 });
    expect(config.buffer.commitIntervalMs).toBe(5);
    expect(redactConfig(config).cloud.token).toBe('[redacted]');
    expect(config.cloud.token).toBe('from-env');
  });

  it('reports every invalid option at once, with its path', () => {
    const error = configError(() =>
      loadEdgeConfig({
        overrides: {
          ...REGISTRY, nodeId: 'has space', mqtt: { port: 70_000, tls: { enabled: true } }, http: { port: 'eighty' }, logLevel: 'loud', cloud: { url: 'ftp://x' }, mqtt2: {},
          buffer: { maxByte: 1000, liveShare: 2 }, uplink: { concurency: 2 },
        },
        env: { FLEETWIRE_EDGE_HTTP_PORT: 'abc' },
      }),
    );
    expect(error.code).toBe('FW_CONFIG_INVALID');
    for (const fragment of [
      'config.nodeId: must match',
      'config.mqtt.port: must be between 0 and 65535 (got 70000)',
      'config.http.port: must be an integer (got "eighty")',
      'config.logLevel: must be one of',
      'config.mqtt2: unknown option',
      'config.mqtt.tls: keyFile and certFile are required',
      'config.cloud.url: must start with http',
      'config.cloud.token: required when cloud.url is set',
      'FLEETWIRE_EDGE_HTTP_PORT: must be an integer (got "abc")',
      'config.buffer.maxByte: unknown option',
      'config.buffer.liveShare: must be between 0 and 1 (got 2)',
      'config.uplink.concurency: unknown option',
    ]) {
      expect(error.message).toContain(fragment);
    }
    // A wrong value from the environment names its variable.
    expect(configError(() => loadEdgeConfig({ overrides: REGISTRY, env: { FLEETWIRE_EDGE_MQTT_PORT: '70000' } })).message)
      .toContain('config.mqtt.port: must be between 0 and 65535 (got 70000) (set by FLEETWIRE_EDGE_MQTT_PORT)');
  });

  it('takes the uplink\'s TLS files relative to the config file (environment: to the working directory), and prints only their paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-config-'));
    const file = join(dir, 'edge.json');
    writeFileSync(file, JSON.stringify({ ...REGISTRY, nodeId: 'node-7', cloud: { url: 'https://cloud.example', caFile: 'tls/cloud-ca.crt', certFile: 'tls/node.crt', keyFile: 'tls/node.key' } }));
    const config = loadEdgeConfig({ file });
    // No token: the client certificate is the credential.
    expect(config.cloud).toEqual({ url: 'https://cloud.example', token: '', caFile: join(dir, 'tls/cloud-ca.crt'), certFile: join(dir, 'tls/node.crt'), keyFile: join(dir, 'tls/node.key') });
    expect(redactConfig(config).cloud).toEqual(config.cloud);
    const fromEnv = loadEdgeConfig({
      file,
      cwd: '/srv',
      env: { FLEETWIRE_EDGE_CLOUD_CA_FILE: 'ca.pem', FLEETWIRE_EDGE_CLOUD_CERT_FILE: '/etc/fw/node.pem', FLEETWIRE_EDGE_CLOUD_KEY_FILE: 'node-key.pem' },
    });
    expect(fromEnv.cloud).toMatchObject({ caFile: '/srv/ca.pem', certFile: '/etc/fw/node.pem', keyFile: '/srv/node-key.pem' });
    // A private CA alone authenticates nobody: the token is still needed.
    const caOnly = loadEdgeConfig({ overrides: { ...REGISTRY, cloud: { url: 'https://cloud.example', token: 't', caFile: '/etc/fw/ca.pem' } } });
    expect(caOnly.cloud).toMatchObject({ token: 't', caFile: '/etc/fw/ca.pem', certFile: '', keyFile: '' });
  });

  it('refuses half a client certificate, a missing credential and TLS files with a plain http URL, all at once', () => {
    const error = configError(() => loadEdgeConfig({ overrides: { ...REGISTRY, cloud: { url: 'http://cloud.example', caFile: '/etc/fw/ca.pem', certFile: '/etc/fw/node.pem' } } }));
    expect(error.code).toBe('FW_CONFIG_INVALID');
    for (const fragment of [
      'config.cloud.certFile, keyFile: go together',
      'config.cloud.token: required when cloud.url is set, unless cloud.certFile and cloud.keyFile give a client certificate',
      'config.cloud.url: must be https:// when cloud.caFile, certFile or keyFile is set',
    ]) {
      expect(error.message).toContain(fragment);
    }
    expect(configError(() => loadEdgeConfig({ overrides: { ...REGISTRY, cloud: { keyFile: '/etc/fw/node.key' } } })).message).toContain('config.cloud.certFile, keyFile: go together');
  });

  it('refuses a token no HTTP header can carry, such as one with the CR of a CRLF env file', () => {
    const error = configError(() => loadEdgeConfig({ overrides: REGISTRY, env: { FLEETWIRE_EDGE_CLOUD_URL: 'https://cloud.example', FLEETWIRE_EDGE_NODE_TOKEN: 'fw1.node.secret\r' } }));
    expect(error.message).toContain('config.cloud.token: must be printable ASCII without spaces');
  });

  it('needs a device registry for the embedded broker, and a URL for the bridge', () => {
    expect(configError(() => loadEdgeConfig({})).message).toContain('config.devices.registryFile: required when mqtt.enabled');
    const bridge = configError(() => loadEdgeConfig({ overrides: { mqtt: { enabled: false }, bridge: { enabled: true } } }));
    expect(bridge.message).toContain('config.bridge.url: required when bridge.enabled');
    const viaEnv = loadEdgeConfig({ overrides: { mqtt: { enabled: false } }, env: { FLEETWIRE_EDGE_BRIDGE_URL: 'mqtt://127.0.0.1:11883' } });
    expect(viaEnv.bridge).toMatchObject({ enabled: true, url: 'mqtt://127.0.0.1:11883' });
    // The bridge waits for each commit: the buffer commits on the next turn unless told otherwise.
    expect(viaEnv.buffer.commitIntervalMs).toBe(0);
    expect(loadEdgeConfig({ overrides: { mqtt: { enabled: false }, buffer: { commitIntervalMs: 3 } }, env: { FLEETWIRE_EDGE_BRIDGE_URL: 'mqtt://127.0.0.1:11883' } }).buffer.commitIntervalMs).toBe(3);
  });

  it('keeps vision off by default and, when on, needs the booking system\'s public keys and return areas', () => {
    const off = loadEdgeConfig({ overrides: REGISTRY, cwd: '/srv' });
    expect(off.vision).toMatchObject({ enabled: false, returnTokenKeysFile: '', legacyHs256: false, returnTokenSecret: '', models: { damage: '', screen: '', card: '', threads: 1 } });
    expect(off.vision.limits).toEqual({ maxPhotos: 8, maxPhotoBytes: 8 * 1024 * 1024, maxPixels: 40_000_000, maxActiveReturns: 2, maxWaitingReturns: 8, quarantineMaxBytes: 1024 * 1024 });
    expect(off.vision.retention).toEqual({ photoDays: 30, photoMaxBytes: 2 * 1024 ** 3, hashDays: 365, intervalMs: 3_600_000 });
    const error = configError(() => loadEdgeConfig({ overrides: { ...REGISTRY, vision: { enabled: true, retention: { photoDays: 90, hashDays: 30 } } } }));
    for (const fragment of ['config.vision.returnTokenKeysFile: required when vision.enabled', 'generate-return-keys', 'config.vision.returnAreasFile: required', 'config.vision.retention.hashDays: must be at least photoDays']) {
      expect(error.message).toContain(fragment);
    }
    const on = loadEdgeConfig({
      overrides: REGISTRY, cwd: '/srv',
      env: { FLEETWIRE_EDGE_VISION_ENABLED: 'true', FLEETWIRE_EDGE_RETURN_TOKEN_KEYS_FILE: 'keys.json', FLEETWIRE_EDGE_RETURN_AREAS_FILE: 'areas.json' },
    });
    expect(on.vision).toMatchObject({ enabled: true, returnTokenKeysFile: '/srv/keys.json', legacyHs256: false, returnAreasFile: '/srv/areas.json' });
    expect(configError(() => loadEdgeConfig({ overrides: REGISTRY, env: { FLEETWIRE_EDGE_VISION_ENABLED: 'yes' } })).message)
      .toContain('FLEETWIRE_EDGE_VISION_ENABLED: must be true or false (got "yes")');
  });

  it('refuses an HS256 secret unless legacyHs256 is on, and then refuses short, placeholder and repetitive secrets saying what to do', () => {
    const vision = { enabled: true, returnAreasFile: '/srv/areas.json' };
    const good = 'Zr8f-q2LkP0vX9s_MbT4wYc7NeHj1uAa';
    const legacyOff = configError(() => loadEdgeConfig({ overrides: { ...REGISTRY, vision: { ...vision, returnTokenKeysFile: '/srv/keys.json', returnTokenSecret: good } } }));
    expect(legacyOff.message).toContain('config.vision.returnTokenSecret: HS256 return tokens are refused unless vision.legacyHs256 is true');
    const refusals = {
      short: 'at least 32 characters required',
      'set FLEETWIRE_EDGE_RETURN_TOKEN_SECRET instead of storing the secret here': 'looks like a placeholder or example text',
      'change-me-change-me-change-me-change-me': 'looks like a placeholder or example text',
      'example-return-token-secret-0123456789abc': 'looks like a placeholder or example text',
      ['ab'.repeat(20)]: 'too few different characters',
    };
    for (const [secret, why] of Object.entries(refusals)) {
      const message = configError(() => loadEdgeConfig({ overrides: { ...REGISTRY, vision: { ...vision, legacyHs256: true } }, env: { FLEETWIRE_EDGE_RETURN_TOKEN_SECRET: secret } })).message;
      expect(message).toContain(`config.vision.returnTokenSecret: ${why}`);
      expect(message).toContain('generate one with `openssl rand -base64 48` and set it with FLEETWIRE_EDGE_RETURN_TOKEN_SECRET');
      expect(message).not.toContain(secret);
    }
    const legacy = loadEdgeConfig({ overrides: { ...REGISTRY, vision: { ...vision, legacyHs256: true, returnTokenSecret: good } } });
    expect(legacy.vision).toMatchObject({ legacyHs256: true, returnTokenKeysFile: '' });
    expect(redactConfig(legacy).vision.returnTokenSecret).toBe('[redacted]');
    const placeholderKey = configError(() => loadEdgeConfig({ overrides: { ...REGISTRY, ocpp: { enabled: true, idTagKey: 'your-key-goes-here-please' } } as never }));
    expect(placeholderKey.message).toContain('config.ocpp.idTagKey: looks like a placeholder or example text');
  });

  it('accepts the example file shipped beside the package', () => {
    const example = join(import.meta.dirname, '..', 'fleetwire-edge.example.json');
    const config = loadEdgeConfig({ file: example });
    expect(config.nodeId).toBe('edge-depot-1');
    expect(config.devices.registryFile).toBe(join(import.meta.dirname, '..', 'devices.json'));
    expect(config.mqtt.tls.caFile).toBe(join(import.meta.dirname, '..', 'tls', 'devices-ca.crt'));
    // The example authenticates by client certificate (CN = node id), so it holds no token.
    expect(config.cloud).toMatchObject({ token: '', caFile: join(import.meta.dirname, '..', 'tls', 'cloud-ca.crt'), keyFile: join(import.meta.dirname, '..', 'tls', 'edge-depot-1.key') });
    expect(config.vision.returnAreasFile).toBe(join(import.meta.dirname, '..', 'return-areas.json'));
    // Only the booking system's public keys: nothing in the example can sign a return token.
    expect(config.vision).toMatchObject({ returnTokenKeysFile: join(import.meta.dirname, '..', 'return-token-keys.json'), legacyHs256: false, returnTokenSecret: '' });
    expect(resolveTelemetryOptions(config.telemetry).unknownFields).toBe('keep');
    expect(config.ocpp).toMatchObject({ enabled: false, port: 9000, path: '/ocpp', tls: { enabled: false, port: 9443 }, authorize: { policy: 'accept', idTags: [] } });
  });

  it('refuses an unreadable or non-JSON file with a clear code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-config-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "nodeId": ');
    expect(configError(() => loadEdgeConfig({ file })).code).toBe('FW_CONFIG_INVALID');
    expect(configError(() => loadEdgeConfig({ file: join(dir, 'missing.json') })).code).toBe('FW_CONFIG_UNREADABLE');
  });
});
