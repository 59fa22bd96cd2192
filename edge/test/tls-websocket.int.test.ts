/**
 * The other two listeners of the real agent process: MQTT over TLS with client certificates
 * (the CN is the device id; certificates come from a throwaway CA, @fleetwire/test-servers/certificates)
 * and MQTT over WebSocket with a password.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, issueCertificate } from '@fleetwire/test-servers/certificates';
import { startAgentProcess, type AgentProcess } from './support/agent-process.js';
import { readMetric, telemetryTopic, tempDir, vehiclePayload, writeRegistry } from './support/fleet.js';

let dir: string;
let agent: AgentProcess;
const certDevice = { id: 'VH-CERT1', kind: 'vehicle' as const, password: '' };
const wsDevice = { id: 'VH-WS01', kind: 'vehicle' as const, password: 'pw-ws' };

beforeAll(async () => {
  dir = tempDir('tls');
  const authority = createAuthority(dir, 'ca');
  issueCertificate(dir, 'server', { commonName: '127.0.0.1', authority, altNames: ['IP:127.0.0.1'] });
  issueCertificate(dir, 'device', { commonName: certDevice.id, authority });
  issueCertificate(dir, 'stranger', { commonName: 'VH-NOBODY', authority });
  // Right CN, wrong issuer.
  issueCertificate(dir, 'forged', { commonName: certDevice.id, authority: createAuthority(dir, 'foreign-ca') });
  const registryFile = await writeRegistry(dir, [wsDevice]);
  // The certificate-only device has no passwordHash.
  const registry = JSON.parse(readFileSync(registryFile, 'utf8')) as { devices: unknown[] };
  registry.devices.push({ id: certDevice.id, kind: 'vehicle' });
  writeFileSync(registryFile, JSON.stringify(registry));
  agent = await startAgentProcess(
    {
      nodeId: 'node-tls',
      dataDir: 'data',
      devices: { registryFile },
      mqtt: {
        host: '127.0.0.1',
        port: 0,
        tls: { enabled: true, port: 0, keyFile: 'server.key', certFile: 'server.crt', caFile: 'ca.crt', requestCert: true },
        websocket: { enabled: true, port: 0, path: '/mqtt' },
      },
      http: { host: '127.0.0.1', port: 0 },
    },
    dir,
  );
});

afterAll(async () => {
  await agent?.kill('SIGTERM');
});

const tlsOptions = (name: string): mqtt.IClientOptions => ({
  key: readFileSync(join(dir, `${name}.key`)),
  cert: readFileSync(join(dir, `${name}.crt`)),
  ca: readFileSync(join(dir, 'ca.crt')),
  clientId: certDevice.id,
  reconnectPeriod: 0,
  connectTimeout: 5_000,
});

describe('edge agent TLS and WebSocket listeners', () => {
  it('authenticates a device by its client certificate CN and commits what it publishes', async () => {
    expect(agent.addresses.mqtts).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const client = await mqtt.connectAsync(agent.addresses.mqtts as string, tlsOptions('device'));
    await client.publishAsync(telemetryTopic(certDevice), vehiclePayload(certDevice.id, 'tls1', 1), { qos: 1 });
    await client.endAsync();
    expect(await readMetric(agent.addresses.http as string, 'fleetwire_intake_messages_total', { kind: 'vehicle_telemetry' })).toBe(1);
  });

  it('refuses a certificate for an unknown device and one from a foreign issuer', async () => {
    const refusal = (name: string) => mqtt.connectAsync(agent.addresses.mqtts as string, tlsOptions(name)).then(() => 'connected', (error: Error & { code?: number }) => error.code);
    expect(await refusal('stranger')).toBe(5);
    expect(await refusal('forged')).toBe(5);
    const http = agent.addresses.http as string;
    expect(await readMetric(http, 'fleetwire_intake_auth_refused_total', { reason: 'unknown_device' })).toBe(1);
    expect(await readMetric(http, 'fleetwire_intake_auth_refused_total', { reason: 'certificate_untrusted' })).toBe(1);
  });

  it('accepts MQTT over WebSocket with a password', async () => {
    expect(agent.addresses.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    const client = await mqtt.connectAsync(agent.addresses.ws as string, { clientId: wsDevice.id, username: wsDevice.id, password: wsDevice.password, reconnectPeriod: 0 });
    await client.publishAsync(telemetryTopic(wsDevice), vehiclePayload(wsDevice.id, 'ws1', 1), { qos: 1 });
    await client.endAsync();
    expect(await readMetric(agent.addresses.http as string, 'fleetwire_intake_messages_total', { kind: 'vehicle_telemetry' })).toBe(2);
  });
});
