/**
 * The whole cloud on one machine — embedded bus, HTTPS with client certificates — over real
 * TLS: a node authenticates by its certificate's CN, strangers and unverified certificates are
 * refused, and what was accepted is on the embedded bus. Certificates are made with openssl
 * (@fleetwire/test-servers/certificates).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS } from '@fleetwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, issueCertificate } from '@fleetwire/test-servers/certificates';
import type { DeliveredMessage } from '../src/bus/bus.js';
import { createBus } from '../src/bus/create-bus.js';
import { busConfigOf, resolveCloudConfig, type CloudConfig } from '../src/config.js';
import { issueToken } from '../src/ingest/auth/tokens.js';
import { batchOf, vehicleRecord, type RawBatch } from './support/batches.js';
import { startCloud, type RunningCloud } from '../src/main.js';

const dir = mkdtempSync(join(tmpdir(), 'fw-cloud-mtls-'));
const file = (name: string) => join(dir, name);
const token = issueToken('node-token');
let config: CloudConfig;
let cloud: RunningCloud;

interface Answer {
  status: number;
  body: { accepted?: number; rejected?: Array<{ reason: string }>; error?: { code: string } };
}

function send(batch: RawBatch, client?: string, bearer?: string): Promise<Answer> {
  const url = new URL('/v1/batches', cloud.address);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: readFileSync(file('ca.crt')),
        headers: { ...batch.headers, ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }) },
        ...(client === undefined ? {} : { key: readFileSync(file(`${client}.key`)), cert: readFileSync(file(`${client}.crt`)) }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      },
    );
    req.on('error', reject);
    req.end(batch.body);
  });
}

beforeAll(async () => {
  const ca = createAuthority(dir, 'ca');
  const rogue = createAuthority(dir, 'rogue-ca');
  issueCertificate(dir, 'server', { commonName: '127.0.0.1', authority: ca, altNames: ['IP:127.0.0.1'] });
  issueCertificate(dir, 'node-cert', { commonName: 'node-cert', authority: ca });
  issueCertificate(dir, 'stranger', { commonName: 'node-unknown', authority: ca });
  issueCertificate(dir, 'forged', { commonName: 'node-cert', authority: rogue });
  config = resolveCloudConfig({
    dataDir: join(dir, 'data'),
    logLevel: 'silent',
    http: {
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('ca.crt'), requestClientCert: true },
    },
    auth: {
      nodes: [
        { id: 'node-cert', devices: ['VH-C*'] },
        { id: 'node-token', devices: ['VH-T*'], tokens: [token.entry] },
      ],
    },
  });
  cloud = await startCloud(config);
});

afterAll(async () => {
  await cloud?.stop();
});

describe('mTLS on the single-machine cloud', () => {
  it('accepts a node by its client certificate or its token, and refuses strangers and forged certificates', async () => {
    const byCertificate = await send(batchOf('node-cert', [vehicleRecord('VH-C1', 1)]), 'node-cert');
    const byToken = await send(batchOf('node-token', [vehicleRecord('VH-T1', 1)]), undefined, token.token);
    const stranger = await send(batchOf('node-unknown', [vehicleRecord('VH-C1', 2)]), 'stranger');
    const forged = await send(batchOf('node-cert', [vehicleRecord('VH-C1', 3)]), 'forged');
    const nothing = await send(batchOf('node-cert', [vehicleRecord('VH-C1', 4)]));
    const wrongDevice = await send(batchOf('node-cert', [vehicleRecord('VH-T1', 2)]), 'node-cert');

    expect([byCertificate.status, byCertificate.body.accepted]).toEqual([200, 1]);
    expect([byToken.status, byToken.body.accepted]).toEqual([200, 1]);
    expect([stranger.status, stranger.body.error?.code]).toEqual([401, 'FW_AUTH_INVALID']);
    expect([forged.status, forged.body.error?.code]).toEqual([401, 'FW_AUTH_MISSING']);
    expect([nothing.status, nothing.body.error?.code]).toEqual([401, 'FW_AUTH_MISSING']);
    expect([wrongDevice.status, wrongDevice.body.accepted, wrongDevice.body.rejected?.[0]?.reason]).toEqual([200, 0, 'device_not_allowed']);

    await cloud.stop();
    const delivered: DeliveredMessage[] = [];
    const bus = createBus(busConfigOf(config));
    const subscription = await bus.subscribe({
      groupId: 'mtls-test',
      topics: [BUS_TOPICS.vehicleTelemetry],
      fromBeginning: true,
      handle: async (batch) => void delivered.push(...batch),
    });
    for (let i = 0; i < 100 && delivered.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await subscription.close();
    await bus.close();
    expect(delivered.map((m) => m.headers['fw-id']).sort()).toEqual(['VH-C1:b00t1:1', 'VH-T1:b00t1:1']);
  });
});
