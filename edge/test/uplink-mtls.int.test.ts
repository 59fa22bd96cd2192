/**
 * The uplink over mutual TLS against the real cloud ingest (its own process, client
 * certificates required, node identity from the certificate CN): an agent holding the private CA
 * and a client certificate — and no token — delivers what its devices publish; an agent whose
 * client certificate comes from a foreign CA, and one that does not trust the cloud's
 * certificate, deliver nothing and keep their backlog. Certificates: @fleetwire/test-servers/certificates.
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, issueCertificate, type CertificateFiles } from '@fleetwire/test-servers/certificates';
import { startAgentProcess, type AgentProcess } from './support/agent-process.js';
import { startCloudProcess, type CloudProcess } from '@fleetwire/test-servers/testing';
import { connectDevice, publishWindowed, readMetric, sumMetric, telemetryTopic, tempDir, vehiclePayload, vehicles, waitFor, writeRegistry, type TestDevice } from './support/fleet.js';

const PER_DEVICE = 20;
let dir: string;
let ca: CertificateFiles;
let cloud: CloudProcess;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  dir = tempDir('uplink-mtls');
  ca = createAuthority(dir, 'ca');
  const rogue = createAuthority(dir, 'rogue-ca');
  const server = issueCertificate(dir, 'server', { commonName: '127.0.0.1', authority: ca, altNames: ['IP:127.0.0.1'] });
  issueCertificate(dir, 'node-mtls', { commonName: 'node-mtls', authority: ca });
  issueCertificate(dir, 'node-forged', { commonName: 'node-forged', authority: rogue });
  issueCertificate(dir, 'node-distrust', { commonName: 'node-distrust', authority: ca });
  cloud = await startCloudProcess(
    {
      dataDir: join(dir, 'cloud'),
      http: { host: '127.0.0.1', port: 0, tls: { certFile: server.cert, keyFile: server.key, caFile: ca.cert, requestClientCert: true } },
      auth: {
        nodes: [
          { id: 'node-mtls', devices: ['VH-M*'] },
          { id: 'node-forged', devices: ['VH-F*'] },
          { id: 'node-distrust', devices: ['VH-D*'] },
        ],
      },
    },
    dir,
  );
});

/** Records the cloud accepted, from its /metrics over HTTPS (it trusts the test CA only). */
async function acceptedByCloud(): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    get(`${cloud.address}/metrics`, { ca: readFileSync(ca.cert) }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
  return sumMetric(text, 'fleetwire_ingest_records_total', { outcome: 'accepted' });
}

afterAll(async () => {
  for (const agent of agents) await agent.kill('SIGTERM');
  await cloud?.stop();
});

/** An agent whose uplink authenticates with `{nodeId}.crt` only (no token), trusting `caFile`. */
async function startAgent(nodeId: string, devices: TestDevice[], cloudTls: { caFile?: string }): Promise<AgentProcess> {
  const agentDir = tempDir(nodeId);
  const agent = await startAgentProcess(
    {
      nodeId,
      dataDir: 'data',
      devices: { registryFile: await writeRegistry(agentDir, devices) },
      mqtt: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      cloud: { url: cloud.address, certFile: join(dir, `${nodeId}.crt`), keyFile: join(dir, `${nodeId}.key`), ...cloudTls },
      uplink: { baseBackoffMs: 50, maxBackoffMs: 300 },
    },
    agentDir,
  );
  agents.push(agent);
  return agent;
}

/** Every device publishes PER_DEVICE telemetry messages (QoS 1); returns how many were acknowledged. */
async function publish(agent: AgentProcess, devices: TestDevice[]): Promise<number> {
  let acked = 0;
  for (const device of devices) {
    const client = await connectDevice(agent.addresses.mqtt as string, device);
    const messages = Array.from({ length: PER_DEVICE }, (_, seq) => ({ topic: telemetryTopic(device), bytes: vehiclePayload(device.id, 'mtls1', seq) }));
    acked += (await publishWindowed(client, messages, 8)).size;
    await client.endAsync();
  }
  return acked;
}

describe('uplink over mutual TLS', () => {
  it('delivers with a client certificate and no token', async () => {
    const devices = vehicles(2, 'VH-M');
    const agent = await startAgent('node-mtls', devices, { caFile: ca.cert });
    expect(agent.logs.find((line) => line.event === 'uplink_started')).toMatchObject({ auth: 'client_certificate', tls: { caCertificates: 1, clientCertificate: { subject: 'CN=node-mtls' } } });
    expect(await publish(agent, devices)).toBe(2 * PER_DEVICE);
    const http = agent.addresses.http as string;
    await waitFor(async () => (await acceptedByCloud()) >= 2 * PER_DEVICE, 30_000, 'the cloud to accept the records');
    await waitFor(async () => (await readMetric(http, 'fleetwire_buffer_backlog_records')) === 0, 30_000, 'the edge backlog to drain');
    expect(await acceptedByCloud()).toBe(2 * PER_DEVICE);
    expect(await readMetric(http, 'fleetwire_uplink_records_total', { outcome: 'accepted' })).toBe(2 * PER_DEVICE);
    expect(await readMetric(http, 'fleetwire_uplink_errors_total')).toBe(0);
    // Key material never reaches the logs.
    expect(JSON.stringify(agent.logs)).not.toContain('PRIVATE KEY');
  });

  it('keeps the backlog when the cloud refuses the client certificate or the edge distrusts the cloud', async () => {
    const before = await acceptedByCloud();
    const forgedDevices = vehicles(1, 'VH-F');
    const distrustDevices = vehicles(1, 'VH-D');
    // Signed by a CA the cloud does not trust: the handshake completes (token clients must still
    // connect) but the certificate is not a credential, so the cloud answers 401.
    const forged = await startAgent('node-forged', forgedDevices, { caFile: ca.cert });
    // No caFile: the edge checks the cloud's certificate against the public roots and refuses it.
    const distrust = await startAgent('node-distrust', distrustDevices, {});
    expect(await publish(forged, forgedDevices)).toBe(PER_DEVICE);
    expect(await publish(distrust, distrustDevices)).toBe(PER_DEVICE);

    const forgedHttp = forged.addresses.http as string;
    const distrustHttp = distrust.addresses.http as string;
    await waitFor(async () => (await readMetric(forgedHttp, 'fleetwire_uplink_errors_total', { class: 'auth' })) >= 1, 20_000, 'the forged certificate to be refused');
    await waitFor(async () => (await readMetric(distrustHttp, 'fleetwire_uplink_errors_total', { class: 'network' })) >= 2, 20_000, 'the untrusted cloud to fail the handshake');

    expect(await readMetric(forgedHttp, 'fleetwire_buffer_backlog_records')).toBe(PER_DEVICE);
    expect(await readMetric(distrustHttp, 'fleetwire_buffer_backlog_records')).toBe(PER_DEVICE);
    expect(await readMetric(forgedHttp, 'fleetwire_uplink_records_total', { outcome: 'accepted' })).toBe(0);
    expect(await readMetric(distrustHttp, 'fleetwire_uplink_records_total', { outcome: 'accepted' })).toBe(0);
    expect(await acceptedByCloud()).toBe(before);

    expect(forged.logs.some((line) => line.event === 'uplink_auth_refused' && line.status === 401)).toBe(true);
    const handshake = distrust.logs.find((line) => line.event === 'uplink_send_failed');
    expect(handshake).toMatchObject({ failureClass: 'network', tls: true });
    expect(handshake?.error).toMatch(/^tls: the cloud's certificate is not trusted \([A-Z_]+: .*\); check cloud\.caFile/);
  });
});
