/**
 * The photo API through fastify inject(), on a real SQLite buffer and the real models, with
 * photos from the simulator: verdicts, the events they leave in the buffer, fraud cases, and
 * what is stored (no EXIF anywhere).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { generatePhoto } from '@fleetwire/simulators';
import type { EventRecord, FleetRecord } from '@fleetwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { returnPhoto, returnPhotos, SITE, vehicleAt } from '../../../test/support/photos.js';
import { multipartBody, photoParts, returnToken, startPhotoApi, type PhotoApi, type UploadPart } from '../../../test/support/photo-upload.js';

let api: PhotoApi;
const VEHICLE = 'VH-0001';

beforeAll(async () => {
  api = await startPhotoApi();
  api.vision.positions.observe(vehicleAt(VEHICLE, SITE, Date.now() - 30_000));
  api.vision.positions.observe(vehicleAt('VH-AWAY', { lat: 52.53, lon: 13.405 }, Date.now() - 30_000));
});

afterAll(async () => {
  await api?.close();
});

async function upload(returnId: string, parts: UploadPart[], claims: Record<string, string> = {}) {
  const { payload, contentType } = multipartBody(parts);
  return api.app.inject({
    method: 'POST',
    url: `/v1/returns/${returnId}/photos`,
    headers: { authorization: `Bearer ${await returnToken(returnId, claims)}`, 'content-type': contentType },
    payload,
  });
}

/** Every record in the buffer (a batch is taken and released again). */
function buffered(): FleetRecord[] {
  const batch = api.buffer.takeBatch({ maxRecords: 10_000, maxBytes: 1 << 30 });
  if (batch === undefined) return [];
  api.buffer.release(batch);
  return batch.records;
}

const eventsOf = (returnId: string): EventRecord[] =>
  buffered().filter((r): r is EventRecord => r.kind === 'event' && (r.payload.data as { returnId?: string }).returnId === returnId);

/** [photo id, orientation] of a return's stored photos, from the vision store. */
function storedOrientations(returnId: string): Array<[string, number | null]> {
  const db = new Database(join(api.dataDir, 'vision.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT photo_id, orientation FROM photo_hashes WHERE return_id = ? ORDER BY photo_id').all(returnId) as Array<{ photo_id: string; orientation: number | null }>)
      .map((r) => [r.photo_id, r.orientation]);
  } finally {
    db.close();
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const verdictOf = async (returnId: string, claims: Record<string, string> = {}, token?: string) =>
  api.app.inject({ method: 'GET', url: `/v1/returns/${returnId}/verdict`, headers: { authorization: `Bearer ${token ?? await returnToken(returnId, claims)}` } });

const returnVerifiedOf = (returnId: string): EventRecord[] => eventsOf(returnId).filter((e) => e.payload.type === 'ReturnVerified');

describe('POST /v1/returns/{returnId}/photos', () => {
  let firstReturn: Buffer[];
  let firstAnswer: Record<string, unknown>;

  it('accepts four genuine photos of a car parked in the return area and commits ReturnVerified as critical', async () => {
    firstReturn = await returnPhotos(500, 4, Date.now());
    const response = await upload('RT-GOOD', photoParts(firstReturn), { tripId: 'TR-1' });
    expect(response.statusCode).toBe(200);
    const answer = response.json();
    firstAnswer = answer;
    expect(answer).toMatchObject({
      returnId: 'RT-GOOD', bookingId: 'BK-RT-GOOD', vehicleId: VEHICLE, tripId: 'TR-1', verdict: 'accepted', reasons: [],
      parking: { state: 'inside', areaId: 'depot' }, fraud: { suspected: false }, replayed: false,
    });
    expect(answer.photos).toHaveLength(4);
    expect(answer.modelVersions).toMatchObject({ damage: expect.stringMatching(/^damage-v5@[0-9a-f]{8}$/), screen: expect.stringMatching(/^screen-v2@[0-9a-f]{8}$/) });
    expect(Object.keys(answer.modelThresholds)).toEqual(['damage', 'scratch', 'dent', 'crack', 'screen']);
    expect(answer.damage).toMatchObject({ findings: [], locations: [] });

    const events = eventsOf('RT-GOOD');
    expect(events.map((e) => e.payload.type)).toEqual(['ReturnVerified']);
    const [verified] = events as [EventRecord];
    expect(verified.priority).toBe('critical');
    expect(verified.id).toBe(answer.events[0]);
    expect(verified.payload).toMatchObject({
      subject: { kind: 'vehicle', id: VEHICLE }, source: 'edge:node-photos', correlationId: 'BK-RT-GOOD',
      data: {
        verdict: 'accepted', photoCount: 4, parkedInGeofence: true, geofenceId: 'depot', tripId: 'TR-1',
        modelVersions: answer.modelVersions, modelThresholds: answer.modelThresholds,
      },
    });
  });

  it('says where the damage is: the finding of a drawn dent points at the cell the simulator drew it in', async () => {
    const takenAt = new Date(Date.now() - 60_000);
    const dented = await generatePhoto({ seed: 700, damage: ['dent'], exif: { takenAt, gps: SITE } });
    const response = await upload('RT-DENT', photoParts([...(await returnPhotos(701, 2, Date.now())), dented.jpeg]));
    expect(response.statusCode).toBe(200);
    const answer = response.json();
    expect(answer).toMatchObject({ verdict: 'review', reasons: ['damage_found'] });
    const dents = answer.damage.findings.filter((f: { label: string }) => f.label === 'dent');
    expect(dents).toEqual([expect.objectContaining({ photo: 2 })]);
    // The drawn mark's box, as fractions of the photo, overlaps the finding's cell.
    const { box: drawn } = dented.labels.regions[0] as { box: { x: number; y: number; width: number; height: number } };
    const { box } = dents[0] as { box: { x: number; y: number; w: number; h: number } };
    const overlaps = (a0: number, a1: number, b0: number, b1: number): boolean => a0 < b1 && b0 < a1;
    expect(overlaps(box.x, box.x + box.w, drawn.x / 256, (drawn.x + drawn.width) / 256)).toBe(true);
    expect(overlaps(box.y, box.y + box.h, drawn.y / 192, (drawn.y + drawn.height) / 192)).toBe(true);
    const location = answer.damage.locations.find((l: { photo: number }) => l.photo === 2);
    expect(location).toMatchObject({ rows: 6, cols: 8 });
    expect(Math.max(...location.cells)).toBeGreaterThan(0.5);
    // The same, as data on the bus.
    const [verified] = eventsOf('RT-DENT');
    expect(verified?.payload.data).toMatchObject({ damage: { findings: answer.damage.findings, locations: answer.damage.locations } });
  });

  it('stores the photos as uploaded minus their metadata, and nothing under dataDir holds EXIF', async () => {
    const folder = join(api.dataDir, 'photos', 'RT-GOOD');
    expect(readdirSync(folder).sort()).toEqual(['0.jpg', '1.jpg', '2.jpg', '3.jpg']);
    for (const name of readdirSync(folder)) {
      const meta = await sharp(join(folder, name)).metadata();
      const uploaded = await sharp(firstReturn[Number.parseInt(name, 10)]).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      // The colour profile stays (the pixels are the uploaded ones, in its colour space).
      expect(meta.icc).toEqual(uploaded.icc);
    }
    expect(storedOrientations('RT-GOOD')).toEqual([['RT-GOOD/0', 1], ['RT-GOOD/1', 1], ['RT-GOOD/2', 1], ['RT-GOOD/3', 1]]);
    expect(firstReturn[0]?.includes('photo-simulator')).toBe(true);
    for (const file of filesUnder(api.dataDir)) {
      const bytes = readFileSync(file);
      expect({ file, exif: bytes.includes('Exif\0\0') || bytes.includes('photo-simulator') }).toEqual({ file, exif: false });
    }
  });

  it('answers a repeated upload of a verified return with the stored verdict, without new events', async () => {
    const before = buffered().length;
    // The app retrying after a lost answer: the same photos, or (retaken) different ones.
    for (const photos of [firstReturn, await returnPhotos(505, 4, Date.now())]) {
      const response = await upload('RT-GOOD', photoParts(photos), { tripId: 'TR-1' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ ...firstAnswer, replayed: true });
    }
    expect(buffered()).toHaveLength(before);
    expect(returnVerifiedOf('RT-GOOD').map((e) => e.id)).toEqual([(firstAnswer.events as string[])[0]]);
  });

  it('refuses a repeated upload of a verified return under another booking\'s token', async () => {
    const response = await upload('RT-GOOD', photoParts(firstReturn), { bookingId: 'BK-OTHER' });
    expect([response.statusCode, response.json().error]).toEqual([403, {
      code: 'FW_UPLOAD_FORBIDDEN', reason: 'forbidden', detail: 'the return was verified for another booking', retryable: false,
    }]);
  });

  it('rejects a return re-using an earlier photo, naming it, and raises FraudDetected', async () => {
    const reused = await sharp(firstReturn[2]).modulate({ brightness: 1.05 }).jpeg({ quality: 80 }).withExif({
      IFD2: { DateTimeOriginal: exifDate(new Date(Date.now() - 60_000)), OffsetTimeOriginal: '+00:00' },
    }).toBuffer();
    const fresh = await returnPhotos(520, 3, Date.now());
    const response = await upload('RT-REUSE', photoParts([...fresh, reused]));
    expect(response.statusCode).toBe(200);
    const answer = response.json();
    expect(answer).toMatchObject({ verdict: 'rejected', fraud: { suspected: true } });
    expect(answer.reasons).toContain('photo_reused');
    expect(answer.photos[3]).toMatchObject({ reuseOf: 'RT-GOOD/2' });
    const events = eventsOf('RT-REUSE');
    expect(events.map((e) => [e.payload.type, e.priority])).toEqual([['ReturnVerified', 'critical'], ['FraudDetected', 'critical']]);
    expect(events[1]?.payload.data).toMatchObject({ returnId: 'RT-REUSE', vehicleId: VEHICLE, scores: { photoReuse: 1 } });
    expect((events[1]?.payload.data as { reasons: string[] }).reasons).toContain('photo_reused');
  });

  it.each([
    ['a photo of a screen', 'RT-SCREEN', 540, { screen: true }, 'screen_recapture'],
    ['GPS 5 km from the car', 'RT-FAR', 550, { gps: { lat: SITE.lat + 0.045, lon: SITE.lon } }, 'gps_far_from_vehicle'],
    ['EXIF time three hours before the return', 'RT-STALE', 560, { takenAt: new Date(Date.now() - 3 * 3_600_000) }, 'exif_stale'],
  ] as const)('flags %s as fraud with FraudDetected in the buffer', async (_name, returnId, seed, spec, reason) => {
    const genuine = await returnPhotos(seed, 3, Date.now());
    const suspicious = await returnPhoto({ seed: seed + 5, takenAt: new Date(Date.now() - 60_000), ...spec });
    const response = await upload(returnId, photoParts([...genuine, suspicious]));
    expect(response.statusCode).toBe(200);
    const answer = response.json();
    expect(answer.fraud.reasons).toEqual([reason]);
    expect(answer.photos.map((p: { fraudReasons: string[] }) => p.fraudReasons)).toEqual([[], [], [], [reason]]);
    expect(['review', 'rejected']).toContain(answer.verdict);
    const events = eventsOf(returnId);
    expect(events.map((e) => e.payload.type)).toEqual(['ReturnVerified', 'FraudDetected']);
    expect(events.every((e) => e.priority === 'critical')).toBe(true);
    expect((events[1]?.payload.data as { reasons: string[] }).reasons).toContain(reason);
  });

  it('sends a car parked outside every return area, or one without a known position, to review', async () => {
    const away = await upload('RT-AWAY', photoParts(await returnPhotos(580, 2, Date.now(), { gps: { lat: 52.53, lon: 13.405 } })), { vehicleId: 'VH-AWAY' });
    expect(away.json()).toMatchObject({ verdict: 'review', reasons: ['parked_outside_return_area'], parking: { state: 'outside', areaId: null } });
    expect(eventsOf('RT-AWAY')[0]?.payload.data).toMatchObject({ parkedInGeofence: false });
    const unknown = await upload('RT-NOPOS', photoParts(await returnPhotos(590, 2, Date.now())), { vehicleId: 'VH-NEVER-SEEN' });
    expect(unknown.json()).toMatchObject({ verdict: 'review', reasons: ['vehicle_position_unknown'] });
  });

  it('counts verdicts and photos in the registry', async () => {
    const text = await api.registry.metrics();
    expect(text).toMatch(/fleetwire_vision_returns_total\{verdict="accepted"\} 1/);
    expect(text).toMatch(/fleetwire_vision_returns_replayed_total 2/);
    expect(text).toMatch(/fleetwire_vision_fraud_suspected_total\{reason="photo_reused"\} 1/);
    expect(text).toMatch(/fleetwire_vision_verdict_seconds_count \d+/);
    expect(text).toMatch(/fleetwire_vision_stored_photo_bytes [1-9]/);
  });

  // After the counts above: this return adds to them.
  it('keeps a rotated photo as taken and its EXIF orientation in the vision store', async () => {
    const turned = (await generatePhoto({ seed: 610, exif: { takenAt: new Date(Date.now() - 60_000), gps: SITE, orientation: 6 } })).jpeg;
    const response = await upload('RT-TURNED', photoParts([...(await returnPhotos(611, 3, Date.now())), turned]));
    expect(response.statusCode).toBe(200);
    expect(response.json().photos[3]).toMatchObject({ width: 256, height: 192 });
    const meta = await sharp(join(api.dataDir, 'photos', 'RT-TURNED', '3.jpg')).metadata();
    expect([meta.width, meta.height, meta.orientation, meta.exif]).toEqual([192, 256, undefined, undefined]);
    expect(storedOrientations('RT-TURNED').at(3)).toEqual(['RT-TURNED/3', 6]);
  });
});

describe('GET /v1/returns/{returnId}/verdict', () => {
  it('answers the stored verdict of a verified return, as first sent, with the same token', async () => {
    const first = await upload('RT-READ', photoParts(await returnPhotos(700, 2, Date.now())));
    expect(first.statusCode).toBe(200);
    const read = await verdictOf('RT-READ');
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(first.json());
    expect(read.json()).toMatchObject({ returnId: 'RT-READ', replayed: false });
  });

  it('refuses a return not verified yet, a token for another booking, and a missing token', async () => {
    const unknown = await verdictOf('RT-NOT-YET');
    expect([unknown.statusCode, unknown.json().error]).toEqual([404, {
      code: 'FW_UPLOAD_RETURN_UNKNOWN', reason: 'return_unknown', detail: 'no verdict for this return yet: upload its photos first', retryable: false,
    }]);
    const foreign = await verdictOf('RT-READ', { bookingId: 'BK-OTHER' });
    expect([foreign.statusCode, foreign.json().error.reason]).toEqual([403, 'forbidden']);
    const otherReturn = await verdictOf('RT-READ', {}, await returnToken('RT-NOT-YET'));
    expect([otherReturn.statusCode, otherReturn.json().error.reason]).toEqual([403, 'forbidden']);
    const none = await api.app.inject({ method: 'GET', url: '/v1/returns/RT-READ/verdict' });
    expect([none.statusCode, none.json().error.reason]).toEqual([401, 'unauthorized']);
  });
});

function exifDate(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}:${iso.slice(5, 7)}:${iso.slice(8, 10)} ${iso.slice(11, 19)}`;
}
