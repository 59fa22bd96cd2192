import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runEdgeCommand } from './cli.js';
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

  it('issue-return-token signs a token the photo API accepts for that return only', async () => {
    const secret = 'a-return-token-secret-of-32-characters!';
    vi.stubEnv('FLEETWIRE_EDGE_DEVICES_FILE', '/etc/fw/devices.json');
    vi.stubEnv('FLEETWIRE_EDGE_RETURN_TOKEN_SECRET', secret);
    const { out, err } = capture();
    expect(await runEdgeCommand(['issue-return-token', '--return', 'RT-1', '--booking', 'BK-1', '--vehicle', 'VH-0001', '--trip', 'TR-1', '--ttl', '600'])).toBe(0);
    const claims = verifyReturnToken(secret, out[0]!, 'RT-1', Date.now());
    expect(claims).toMatchObject({ returnId: 'RT-1', bookingId: 'BK-1', vehicleId: 'VH-0001', tripId: 'TR-1' });
    expect(claims.exp - Date.now() / 1000).toBeGreaterThan(590);
    expect(() => verifyReturnToken(secret, out[0]!, 'RT-2', Date.now())).toThrow(expect.objectContaining({ code: 'FW_UPLOAD_FORBIDDEN' }));
    expect(await runEdgeCommand(['issue-return-token', '--return', 'RT 1', '--booking', 'BK-1', '--vehicle', 'VH-0001'])).toBe(2);
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
