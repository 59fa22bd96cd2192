import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runEdgeCommand } from './cli.js';
import pino from 'pino';
import { openReturnKeyFile } from './vision/upload/return-keys.js';
import { verifyReturnToken } from './vision/upload/return-token.js';
import { verifyPassword } from './intake/auth/password-hash.js';

const ROOT = resolve(import.meta.dirname, '../..');

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  return { out, err };
}

describe('fleetwire edge', () => {
  it('prints its usage with every option and environment override', async () => {
    const { out } = capture();
    expect(await runEdgeCommand(['--help'])).toBe(0);
    for (const fragment of ['--config <file>', '--print-config', 'hash-password', 'FLEETWIRE_EDGE_CLOUD_URL', 'FLEETWIRE_EDGE_MQTT_PORT']) expect(out.join('\n')).toContain(fragment);
  });

  it('prints the resolved configuration with the token redacted', async () => {
    vi.stubEnv('FLEETWIRE_EDGE_DEVICES_FILE', '/etc/fw/devices.json');
    vi.stubEnv('FLEETWIRE_EDGE_CLOUD_URL', 'https://cloud.example');
    vi.stubEnv('FLEETWIRE_EDGE_NODE_TOKEN', 'very-secret');
    vi.stubEnv('FLEETWIRE_EDGE_MQTT_PORT', '2883');
    vi.stubEnv('FLEETWIRE_EDGE_CLOUD_CA_FILE', '/etc/fw/cloud-ca.crt');
    const { out } = capture();
    expect(await runEdgeCommand(['--print-config'])).toBe(0);
    const printed = JSON.parse(out.join('\n')) as { cloud: { token: string; url: string }; mqtt: { port: number } };
    expect(printed.cloud).toEqual({ url: 'https://cloud.example', token: '[redacted]', caFile: '/etc/fw/cloud-ca.crt', certFile: '', keyFile: '' });
    expect(printed.mqtt.port).toBe(2883);
    expect(out.join('\n')).not.toContain('very-secret');
  });

  it('exits 2 with the problems listed on an invalid configuration or an unknown flag', async () => {
    vi.stubEnv('FLEETWIRE_EDGE_MQTT_PORT', 'not-a-port');
    const { err } = capture();
    expect(await runEdgeCommand(['--print-config'])).toBe(2);
    expect(err.join('\n')).toContain('FLEETWIRE_EDGE_MQTT_PORT: must be an integer');
    expect(await runEdgeCommand(['--frobnicate'])).toBe(2);
    expect(await runEdgeCommand(['hash-password', '--id', 'VH-1'])).toBe(2);
  });

  it('exits 2 with one clear line when a file the config names cannot be used at start', async () => {
    vi.stubEnv('FLEETWIRE_EDGE_DEVICES_FILE', '/nonexistent/devices.json');
    vi.stubEnv('FLEETWIRE_EDGE_DATA_DIR', mkdtempSync(join(tmpdir(), 'fw-cli-')));
    vi.stubEnv('FLEETWIRE_EDGE_MQTT_PORT', '0');
    vi.stubEnv('FLEETWIRE_EDGE_HTTP_PORT', '0');
    const { err } = capture();
    expect(await runEdgeCommand([])).toBe(2);
    expect(err.join('\n')).toMatch(/^fleetwire edge: cannot read device registry \/nonexistent\/devices\.json/);
  });

  it('exits 2 naming the buffer file and what to do when it is not a database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fw-cli-'));
    writeFileSync(join(dataDir, 'devices.json'), JSON.stringify({ devices: [] }));
    writeFileSync(join(dataDir, 'buffer.sqlite'), Buffer.alloc(8192, 'garbage '));
    vi.stubEnv('FLEETWIRE_EDGE_DEVICES_FILE', join(dataDir, 'devices.json'));
    vi.stubEnv('FLEETWIRE_EDGE_DATA_DIR', dataDir);
    vi.stubEnv('FLEETWIRE_EDGE_MQTT_PORT', '0');
    vi.stubEnv('FLEETWIRE_EDGE_HTTP_PORT', '0');
    const { err } = capture();
    expect(await runEdgeCommand([])).toBe(2);
    expect(err).toEqual([`fleetwire edge: cannot use buffer database ${join(dataDir, 'buffer.sqlite')}: file is not a database (move the file aside to start empty; what it held is then not sent)`]);
  });

  it('generate-return-keys writes a private key and a JWKS; issue-return-token signs with the key a token the JWKS verifies for that return only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-cli-keys-'));
    const [privateFile, jwksFile, nextFile] = ['booking-1.jwk', 'keys.json', 'booking-2.jwk'].map((name) => join(dir, name)) as [string, string, string];
    const { out, err } = capture();
    expect(await runEdgeCommand(['generate-return-keys', '--kid', 'booking-1', '--private', privateFile, '--jwks', jwksFile])).toBe(0);
    expect(await runEdgeCommand(['generate-return-keys', '--kid', 'booking-2', '--alg', 'ES256', '--private', nextFile, '--jwks', jwksFile])).toBe(0);
    expect(statSync(privateFile).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((key) => [key.kid, key.alg, 'd' in key])).toEqual([['booking-1', 'EdDSA', false], ['booking-2', 'ES256', false]]);
    // Never overwrites a signing key, never reuses a kid.
    expect(await runEdgeCommand(['generate-return-keys', '--kid', 'booking-3', '--private', privateFile, '--jwks', jwksFile])).toBe(2);
    expect(await runEdgeCommand(['generate-return-keys', '--kid', 'booking-1', '--private', join(dir, 'other.jwk'), '--jwks', jwksFile])).toBe(2);
    out.length = 0;
    expect(await runEdgeCommand(['issue-return-token', '--key', nextFile, '--return', 'RT-1', '--booking', 'BK-1', '--vehicle', 'VH-0001', '--trip', 'TR-1', '--ttl', '600'])).toBe(0);
    const keys = openReturnKeyFile({ file: jwksFile, logger: pino({ level: 'silent' }) });
    const verify = (returnId: string) => verifyReturnToken({ publicKeys: () => keys.keySet() }, out[0]!, returnId, Date.now());
    const claims = await verify('RT-1');
    expect(claims).toMatchObject({ returnId: 'RT-1', bookingId: 'BK-1', vehicleId: 'VH-0001', tripId: 'TR-1' });
    expect(claims.exp - Date.now() / 1000).toBeGreaterThan(590);
    await expect(verify('RT-2')).rejects.toMatchObject({ code: 'FW_UPLOAD_FORBIDDEN' });
    // The public JWKS cannot sign.
    expect(await runEdgeCommand(['issue-return-token', '--key', jwksFile, '--return', 'RT-1', '--booking', 'BK-1', '--vehicle', 'VH-0001'])).toBe(2);
    expect(err.join('\n')).toContain('is not a private signing key');
    expect(await runEdgeCommand(['issue-return-token', '--key', nextFile, '--return', 'RT 1', '--booking', 'BK-1', '--vehicle', 'VH-0001'])).toBe(2);
    expect(err.join('\n')).toContain('returnId');
  });

  it('hash-password reads the password from stdin and prints a registry entry', async () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'edge/test/support/run-agent.ts', 'hash-password', '--id', 'VH-0001', '--kind', 'vehicle'], {
      cwd: ROOT,
      input: 'correct horse\n',
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(0);
    const entry = JSON.parse(result.stdout) as { id: string; kind: string; passwordHash: string };
    expect(entry).toMatchObject({ id: 'VH-0001', kind: 'vehicle' });
    expect(await verifyPassword('correct horse', entry.passwordHash)).toBe(true);
    expect(result.stdout).not.toContain('correct horse');
  });
});
