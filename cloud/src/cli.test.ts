import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readClientsFile } from './business-events/clients/client-file.js';
import { createClientRegistry } from './business-events/clients/client-registry.js';
import { runCloudCommand } from './cli.js';
import { readAuthFile } from './ingest/auth/auth-file.js';
import { createNodeRegistry } from './ingest/auth/node-registry.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function captureOutput(): () => string {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  return () => lines.join('\n');
}

describe('fleetwire cloud', () => {
  it('prints its usage with --help', async () => {
    const output = captureOutput();
    expect(await runCloudCommand(['--help'])).toBe(0);
    expect(output()).toContain('issue-token --node <id>');
  });

  it('issue-token --write prints a working token once and stores only its hash', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fw-cli-'));
    const config = join(dataDir, 'cloud.json');
    writeFileSync(config, JSON.stringify({ dataDir }));
    const output = captureOutput();

    const code = await runCloudCommand(['issue-token', '--node', 'node-7', '--devices', 'VH-*,CH-0001', '--write', '--config', config]);

    expect(code).toBe(0);
    const token = /^(fw1\.node-7\.\S+)$/m.exec(output())?.[1];
    expect(token).toBeDefined();
    const file = join(dataDir, 'auth.json');
    expect(readFileSync(file, 'utf8')).not.toContain(token!.split('.')[2]);
    const node = createNodeRegistry(readAuthFile(file).nodes).authenticateToken(token!);
    expect(node.nodeId).toBe('node-7');
    expect(node.servesDevice('CH-0001')).toBe(true);
  });

  it('issue-client-token --write stores a business client with its event types, apart from the nodes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fw-cli-'));
    const config = join(dataDir, 'cloud.json');
    writeFileSync(config, JSON.stringify({ dataDir }));
    const output = captureOutput();

    const code = await runCloudCommand(['issue-client-token', '--client', 'payment', '--event-types', 'PaymentProcessed', '--write', '--config', config]);

    expect(code).toBe(0);
    const token = /^(fwb1\.payment\.\S+)$/m.exec(output())?.[1];
    expect(token).toBeDefined();
    const file = join(dataDir, 'business-clients.json');
    expect(readFileSync(file, 'utf8')).not.toContain(token!.split('.')[2]);
    const client = createClientRegistry(readClientsFile(file).clients).authenticateToken(token!);
    expect([client.clientId, [...client.eventTypes]]).toEqual(['payment', ['PaymentProcessed']]);
    expect(await runCloudCommand(['issue-client-token', '--client', 'booking', '--event-types', 'TripEnded', '--write', '--config', config])).toBe(2);
    expect(output()).toContain('not a business event type: TripEnded');
    expect(await runCloudCommand(['issue-client-token', '--client', 'booking', '--write', '--config', config])).toBe(2);
    expect(output()).toContain('give --event-types to create it');
  });

  it('refuses issue-token without --node and an unknown subcommand', async () => {
    captureOutput();
    expect(await runCloudCommand(['issue-token'])).toBe(2);
    expect(await runCloudCommand(['launch'])).toBe(2);
  });

  it('says what the operator must fix in one line with exit 2: a bad config, an unusable bus log, a busy port', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fw-cli-'));
    const config = join(dataDir, 'cloud.json');
    const output = captureOutput();

    writeFileSync(config, JSON.stringify({ dataDir, http: { port: 'eighty' } }));
    expect(await runCloudCommand(['--config', config])).toBe(2);
    expect(output()).toMatch(/^fleetwire cloud: invalid cloud configuration:\n {2}- \/http\/port: Expected integer$/);

    writeFileSync(join(dataDir, 'bus.sqlite'), Buffer.alloc(8192, 'garbage '));
    writeFileSync(config, JSON.stringify({ dataDir, http: { host: '127.0.0.1', port: 0 } }));
    expect(await runCloudCommand(['--config', config])).toBe(2);
    expect(output().split('\n').at(-1)).toBe(`fleetwire cloud: cannot use the embedded bus log ${join(dataDir, 'bus.sqlite')}: file is not a database (move the file aside to start an empty log, or fix the data folder)`);

    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    writeFileSync(config, JSON.stringify({ dataDir: join(dataDir, 'second'), http: { host: '127.0.0.1', port } }));
    try {
      expect(await runCloudCommand(['--config', config])).toBe(2);
    } finally {
      holder.close();
    }
    expect(output().split('\n').at(-1)).toBe(`fleetwire cloud: cannot listen on 127.0.0.1:${port}: EADDRINUSE (choose another port, or stop what holds this one)`);
    expect(await runCloudCommand(['--frobnicate'])).toBe(2);
  });
});
