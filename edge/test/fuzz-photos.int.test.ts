/**
 * Fuzzing the agent's photo API (property-based, fast-check, fixed seed): mutated JPEG, PNG and
 * WebP return photos (anywhere in the file, and concentrated on the headers) uploaded over real
 * HTTP with a valid return token, each followed by a valid upload of another return. The agent
 * must stay up, never answer a bad photo with a 5xx, count every refusal by its reason, and
 * deliver the events of every valid return.
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { fuzzPlan, fuzzTimeout, mutatedBytes, mutatedSample, runParameters } from '@fleetwire/protocol/testing/fuzz';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.js';
import { readMetric, tempDir, waitFor, writeRegistry } from './support/fleet.js';
import { multipartBody, returnToken, writeReturnAreas, writeReturnKeys } from './support/photo-upload.js';
import { returnPhoto } from './support/photos.js';
import { agentTestBed } from './support/test-bed.js';

/** The suite's seed and count (FLEETWIRE_FUZZ_SEED / FLEETWIRE_FUZZ_RUNS override them: docs/security.md, "Fuzzing in CI"). */
const PHOTOS = fuzzPlan('photo-uploads', { seed: 1508, runs: 30 });

const TOKEN = 'node-token-fuzz-photos';
const bed = agentTestBed(TOKEN);
let agent: AgentProcess;
let samples: Buffer[];
let genuine: Buffer;

beforeAll(async () => {
  const dir = tempDir('fuzz-photos');
  agent = await bed.startAgent(
    {
      nodeId: 'node-fuzz-photos',
      dataDir: 'data',
      devices: { registryFile: await writeRegistry(dir, []) },
      mqtt: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      photoApi: { host: '127.0.0.1', port: 0 },
      cloud: { url: bed.receiver.url, token: TOKEN },
      uplink: { baseBackoffMs: 50, maxBackoffMs: 300 },
      vision: { enabled: true, returnTokenKeysFile: writeReturnKeys(dir), returnAreasFile: writeReturnAreas(dir) },
    },
    dir,
  );
  const takenAt = new Date(Date.now() - 60_000);
  const jpeg = await returnPhoto({ seed: 1508, takenAt, width: 320, height: 240 });
  samples = [jpeg, await sharp(jpeg).png().toBuffer(), await sharp(jpeg).webp().toBuffer()];
  genuine = await returnPhoto({ seed: 1509, takenAt, width: 320, height: 240 });
});

async function upload(returnId: string, photo: Buffer): Promise<{ status: number; body: { events?: string[]; error?: { reason: string } } }> {
  const { payload, contentType } = multipartBody([{ name: 'photo', filename: 'side-0.jpg', data: photo }]);
  const response = await fetch(`${agent.addresses.photos}/v1/returns/${returnId}/photos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await returnToken(returnId)}`, 'content-type': contentType },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as { events?: string[]; error?: { reason: string } } };
}

describe('edge photo API under fuzzing', () => {
  it('answers mutated JPEG, PNG and WebP photos without a 5xx, counts the refusals, and delivers every valid return', async () => {
    const anywhere = fc.constant(null).chain(() => mutatedSample(samples));
    const inTheHeaders = fc.constantFrom(...samples).chain((sample) => mutatedBytes(sample.subarray(0, 512)).map((head) => Buffer.concat([head, sample.subarray(512)])));
    const http = agent.addresses.http as string;
    const refusedBefore = await readMetric(http, 'fleetwire_vision_uploads_refused_total');
    const refusals: Record<string, number> = {};
    const events: string[] = [];
    let uploads = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(anywhere, inTheHeaders), async (photo) => {
        uploads += 1;
        const bad = await upload(`RT-FZ-${uploads}`, photo);
        expect(bad.status).toBeLessThan(500);
        if (bad.status !== 200) {
          const reason = bad.body.error?.reason ?? 'none';
          refusals[reason] = (refusals[reason] ?? 0) + 1;
        }
        const good = await upload(`RT-OK-${uploads}`, genuine);
        expect(good.status).toBe(200);
        events.push(...(good.body.events ?? []));
      }),
      runParameters(PHOTOS),
    );
    console.log(`fuzz photo-uploads: refusals by reason ${JSON.stringify(refusals)}`);

    expect(agent.child.exitCode).toBeNull();
    expect((await fetch(`${http}/readyz`)).status).toBe(200);
    expect(events.length).toBeGreaterThanOrEqual(uploads);
    await waitFor(() => events.every((id) => bed.receiver.ids.includes(id)), 30_000, 'the events of every valid return at the receiver');
    const refused = Object.values(refusals).reduce((sum, n) => sum + n, 0);
    expect((await readMetric(http, 'fleetwire_vision_uploads_refused_total')) - refusedBefore).toBe(refused);
    for (const [reason, count] of Object.entries(refusals)) expect({ reason, count: await readMetric(http, 'fleetwire_vision_uploads_refused_total', { reason }) }).toEqual({ reason, count });
  }, fuzzTimeout(PHOTOS, 2000));
});
