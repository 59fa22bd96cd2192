/**
 * Return photos at the real agent process, over real HTTP: a vehicle reports its position over
 * MQTT, the app uploads photos with a return token, and the answer carries the verdict. While
 * the cloud is down a telemetry backlog builds up; once it is back, ReturnVerified and
 * FraudDetected reach the uplink receiver as critical records, ahead of that backlog. After a
 * restart the agent still knows the photos it saw (re-use) and where the vehicle stands.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { FleetRecord } from '@fleetwire/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueReturnToken } from '../src/vision/upload/return-token.js';
import { TEST_KEYS, writeReturnKeys } from './support/photo-upload.js';
import { returnPhoto, returnPhotos, SITE } from './support/photos.js';
import type { AgentProcess } from './support/agent-process.js';
import { connectDevice, publishWindowed, readMetric, telemetryTopic, tempDir, vehiclePayload, vehicles, waitFor, writeRegistry } from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

const TOKEN = 'node-token-photos';
const bed = agentTestBed(TOKEN);
const [vehicle] = vehicles(1, 'VH-P');
let agent: AgentProcess;
let dir: string;
let config: Record<string, unknown>;

beforeAll(async () => {
  dir = tempDir('photos');
  const returnAreasFile = join(dir, 'return-areas.json');
  writeFileSync(returnAreasFile, JSON.stringify({ areas: [{ id: 'depot', kind: 'circle', center: SITE, radiusM: 100 }] }));
  config = {
    nodeId: 'node-photos',
    dataDir: 'data',
    devices: { registryFile: await writeRegistry(dir, [vehicle!]) },
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    photoApi: { host: '127.0.0.1', port: 0 },
    cloud: { url: bed.receiver.url, token: TOKEN },
    uplink: { baseBackoffMs: 50, maxBackoffMs: 300 },
    vision: { enabled: true, returnTokenKeysFile: writeReturnKeys(dir), returnAreasFile },
  };
  agent = await bed.startAgent(config, dir);
});

const tokenFor = (returnId: string): Promise<string> =>
  issueReturnToken(TEST_KEYS.privateKey, { returnId, bookingId: `BK-${returnId}`, vehicleId: vehicle!.id, exp: Math.floor(Date.now() / 1000) + 600 });

async function upload(returnId: string, photos: Buffer[]): Promise<{ status: number; body: Record<string, unknown> & { events?: string[] } }> {
  const form = new FormData();
  photos.forEach((bytes, i) => form.append('photo', new Blob([bytes], { type: 'image/jpeg' }), `side-${i}.jpg`));
  const token = await tokenFor(returnId);
  const response = await fetch(`${agent.addresses.photos}/v1/returns/${returnId}/photos`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function publishTelemetry(seqs: number[]): Promise<string[]> {
  const client = await connectDevice(agent.addresses.mqtt as string, vehicle!);
  const messages = seqs.map((seq) => ({ topic: telemetryTopic(vehicle!), bytes: vehiclePayload(vehicle!.id, 'p1', seq, { position: SITE }) }));
  const acked = await publishWindowed(client, messages, 8);
  await client.endAsync();
  expect(acked.size).toBe(seqs.length);
  return seqs.map((seq) => `${vehicle!.id}:p1:${seq}`);
}

const recordOf = (id: string): FleetRecord | undefined => bed.receiver.records.find((r) => r.id === id);

describe('return photos at the edge agent', () => {
  let firstReturn: Buffer[];
  let firstAnswer: Record<string, unknown>;

  it('reports vision in readiness once the models are loaded', async () => {
    const ready = (await (await fetch(`${agent.addresses.http}/readyz`)).json()) as { ready: boolean; checks: Record<string, { state: string; detail: string }> };
    expect(ready.ready).toBe(true);
    expect(ready.checks.vision?.state).toBe('ok');
    expect(ready.checks.vision?.detail).toMatch(/damage-v5@[0-9a-f]{8}, screen-v2@[0-9a-f]{8}/);
  });

  it('answers uploads with verdicts and sends the return events to the cloud ahead of a telemetry backlog', async () => {
    const [positioned] = await publishTelemetry([1]);
    await waitFor(() => bed.receiver.ids.includes(positioned!), 20_000, 'the positioning telemetry at the receiver');

    await bed.receiver.down();
    const backlog = await publishTelemetry(Array.from({ length: 30 }, (_, i) => i + 2));
    firstReturn = await returnPhotos(900, 4, Date.now());
    const good = await upload('RT-INT-1', firstReturn);
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ verdict: 'accepted', parking: { state: 'inside', areaId: 'depot' }, vehicleId: vehicle!.id });
    firstAnswer = good.body;

    const screen = await returnPhoto({ seed: 920, takenAt: new Date(Date.now() - 60_000), screen: true });
    const fraud = await upload('RT-INT-2', [...(await returnPhotos(910, 2, Date.now())), screen]);
    expect(fraud.status).toBe(200);
    expect(fraud.body.fraud).toMatchObject({ suspected: true, reasons: ['screen_recapture'] });
    expect(fraud.body.events).toHaveLength(2);

    const truncated = await upload('RT-INT-BAD', [firstReturn[0]!.subarray(0, 3000)]);
    expect(truncated).toMatchObject({ status: 422, body: { error: { reason: 'image_truncated', photo: 0 } } });
    // Cut inside its scan with the end-of-image marker put back: it looks whole to a header walk.
    const [intact, toCut] = await returnPhotos(950, 2, Date.now());
    const cutWithEoi = Buffer.concat([toCut!.subarray(0, Math.floor(toCut!.length * 0.6)), Buffer.from([0xff, 0xd9])]);
    const disguised = await upload('RT-INT-BAD2', [intact!, cutWithEoi]);
    expect(disguised).toMatchObject({ status: 422, body: { error: { reason: 'image_truncated', photo: 1 } } });

    await bed.receiver.up();
    const eventIds = [...(good.body.events as string[]), ...(fraud.body.events as string[])];
    await waitFor(() => [...eventIds, ...backlog].every((id) => bed.receiver.ids.includes(id)), 30_000, 'return events and backlog at the receiver');
    expect(eventIds.map((id) => [recordOf(id)?.priority, (recordOf(id)?.payload as { type?: string }).type])).toEqual([
      ['critical', 'ReturnVerified'], ['critical', 'ReturnVerified'], ['critical', 'FraudDetected'],
    ]);
    expect(recordOf(eventIds[2]!)?.payload).toMatchObject({ data: { returnId: 'RT-INT-2', reasons: ['screen_recapture'] } });
    const lastEvent = Math.max(...eventIds.map((id) => bed.receiver.ids.indexOf(id)));
    const firstBacklog = Math.min(...backlog.map((id) => bed.receiver.ids.indexOf(id)));
    expect(lastEvent).toBeLessThan(firstBacklog);

    const http = agent.addresses.http as string;
    expect(await readMetric(http, 'fleetwire_vision_returns_total', { verdict: 'accepted' })).toBe(1);
    expect(await readMetric(http, 'fleetwire_vision_uploads_refused_total', { reason: 'image_truncated' })).toBe(2);
  });

  it('still knows earlier photos and the vehicle position after a restart', async () => {
    expect(await agent.kill('SIGTERM')).toBe(0);
    agent = await bed.startAgent(config, dir);
    const reused = await sharp(firstReturn[1]).jpeg({ quality: 75 }).toBuffer();
    const again = await upload('RT-INT-3', [...(await returnPhotos(930, 2, Date.now())), reused]);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ verdict: 'rejected', parking: { state: 'inside' } });
    expect(again.body.reasons).toContain('photo_reused');
    const [verified, fraud] = again.body.events as [string, string];
    await waitFor(() => bed.receiver.ids.includes(verified) && bed.receiver.ids.includes(fraud), 20_000, 'the events of the restarted agent');
    expect(recordOf(fraud)?.payload).toMatchObject({ type: 'FraudDetected', data: { scores: { photoReuse: 1 } } });
  });

  it('answers a return verified before the restart from its store: the verdict read back, and a retried upload', async () => {
    const http = agent.addresses.http as string;
    const read = await fetch(`${agent.addresses.photos}/v1/returns/RT-INT-1/verdict`, { headers: { authorization: `Bearer ${await tokenFor('RT-INT-1')}` } });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(firstAnswer);
    const retry = await upload('RT-INT-1', firstReturn);
    expect(retry).toEqual({ status: 200, body: { ...firstAnswer, replayed: true } });
    // Nothing verified again since the restart (RT-INT-3 was rejected): the stored answer only.
    expect(await readMetric(http, 'fleetwire_vision_returns_replayed_total')).toBe(1);
    expect(await readMetric(http, 'fleetwire_vision_returns_total', { verdict: 'accepted' })).toBe(0);
  });

  it('serves the photo API and the operator routes on separate listeners, neither answering the other\'s routes', async () => {
    const { http, photos } = agent.addresses as { http: string; photos: string };
    expect(new URL(http).port).not.toBe(new URL(photos).port);
    const token = await tokenFor('RT-INT-1');
    const statuses = async (base: string) => Promise.all([
      fetch(`${base}/healthz`), fetch(`${base}/readyz`), fetch(`${base}/metrics`),
      fetch(`${base}/v1/returns/RT-INT-1/verdict`, { headers: { authorization: `Bearer ${token}` } }),
    ].map(async (request) => (await request).status));
    expect(await statuses(http)).toEqual([200, 200, 200, 404]);
    expect(await statuses(photos)).toEqual([404, 404, 404, 200]);
  });

  it('serves the OpenAPI document of the photo API', async () => {
    const document = (await (await fetch(`${agent.addresses.photos}/openapi.json`)).json()) as { openapi: string; paths: Record<string, object>; components: { securitySchemes: object } };
    expect(document.openapi).toBe('3.0.3');
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/v1/returns/')).sort()).toEqual(['/v1/returns/{returnId}/photos', '/v1/returns/{returnId}/verdict']);
    expect(document.components.securitySchemes).toMatchObject({ returnToken: { type: 'http', scheme: 'bearer' } });
  });

  it('keeps the photos on the edge without EXIF, and no EXIF anywhere in its data', async () => {
    const photos = join(dir, 'data', 'photos');
    expect(readdirSync(photos).sort()).toEqual(['RT-INT-1', 'RT-INT-2', 'RT-INT-3']);
    for (const name of readdirSync(join(photos, 'RT-INT-1'))) expect((await sharp(join(photos, 'RT-INT-1', name)).metadata()).exif).toBeUndefined();
    const walk = (path: string): string[] => (statSync(path).isDirectory() ? readdirSync(path).flatMap((n) => walk(join(path, n))) : [path]);
    const withExif = walk(join(dir, 'data')).filter((file) => readFileSync(file).includes('photo-simulator'));
    expect(withExif).toEqual([]);
  });
});
