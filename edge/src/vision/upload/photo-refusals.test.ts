/**
 * Bad uploads at the photo API through inject(): each is refused with its reason code and the
 * status from the error table, counted, quarantined where its bytes are worth keeping (with
 * their metadata cut), and the API keeps verifying good returns afterwards.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngBomb, returnPhotos, SITE, TEXT_NAMED_JPG, vehicleAt, withJpegDimensions } from '../../../test/support/photos.js';
import { generateReturnKeyPair } from './return-token.js';
import { multipartBody, photoParts, returnToken, startPhotoApi, type PhotoApi, type UploadPart } from '../../../test/support/photo-upload.js';

let api: PhotoApi;
let good: Buffer[];

beforeAll(async () => {
  api = await startPhotoApi();
  api.vision.positions.observe(vehicleAt('VH-0001', SITE, Date.now()));
  good = await returnPhotos(700, 3, Date.now());
});

afterAll(async () => {
  await api?.close();
});

async function upload(returnId: string, parts: UploadPart[], headers: Record<string, string> = {}) {
  const { payload, contentType } = multipartBody(parts);
  return api.app.inject({
    method: 'POST',
    url: `/v1/returns/${returnId}/photos`,
    headers: { authorization: `Bearer ${await returnToken(returnId)}`, 'content-type': contentType, ...headers },
    payload,
  });
}

interface QuarantineRow { reason: string; detail: string; source_kind: string; source_id: string; bytes: Buffer }

function quarantined(): QuarantineRow[] {
  const db = new Database(join(api.dataDir, 'buffer.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT reason, detail, source_kind, source_id, bytes FROM quarantine ORDER BY qid').all() as QuarantineRow[];
  } finally {
    db.close();
  }
}

describe('refused photo uploads', () => {
  it.each([
    ['a truncated JPEG', 'RF-TRUNC', () => good[1]!.subarray(0, Math.floor(good[1]!.length * 0.6)), 422, 'image_truncated'],
    ['a text file named .jpg and declared image/jpeg', 'RF-TEXT', () => TEXT_NAMED_JPG, 415, 'image_unsupported'],
    ['a PNG decompression bomb (20000x20000)', 'RF-BOMB', () => pngBomb(20_000, 20_000), 422, 'image_too_large'],
    ['a JPEG declaring 65000x65000 pixels', 'RF-HUGE', () => withJpegDimensions(good[0]!, 65_000, 65_000), 422, 'image_too_large'],
  ] as const)('refuses %s with its reason, names the photo and quarantines it without EXIF', async (_name, returnId, bytes, status, reason) => {
    const before = quarantined().length;
    const response = await upload(returnId, photoParts([good[0]!, bytes()]));
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ error: { reason, photo: 1, retryable: false } });
    const rows = quarantined().slice(before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reason, source_kind: 'return', source_id: returnId });
    expect(rows[0]?.detail).toContain(`return ${returnId} photo 1`);
    expect(rows[0]?.bytes.includes('Exif\0\0')).toBe(false);
    expect(rows[0]?.bytes.includes('photo-simulator')).toBe(false);
    // Nothing of a refused return is verified or stored: photo 0, written while photo 1 was
    // received, is removed again (the answer may leave before the removal ends).
    expect(api.vision.verifier.storedAnswer(returnId)).toBeUndefined();
    const left = (): string[] => readdirSync(join(api.dataDir, 'photos')).filter((name) => name.includes(returnId));
    for (let i = 0; i < 200 && left().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(left()).toEqual([]);
  });

  it('quarantines the truncated JPEG as sent, minus its EXIF segment', async () => {
    const row = quarantined().find((r) => r.reason === 'image_truncated');
    const sent = good[1]!.subarray(0, Math.floor(good[1]!.length * 0.6));
    expect(row?.bytes.length).toBeLessThan(sent.length);
    expect(sent.subarray(sent.length - 100).equals(row!.bytes.subarray(row!.bytes.length - 100))).toBe(true);
  });

  it('refuses more photos than allowed and a photo over the byte limit with 413', async () => {
    const { maxPhotos, maxPhotoBytes } = api.config.limits;
    const many = await upload('RF-MANY', photoParts(Array.from({ length: maxPhotos + 1 }, (_, i) => good[i % good.length]!)));
    expect(many.statusCode).toBe(413);
    expect(many.json()).toMatchObject({ error: { reason: 'too_many_photos' } });
    const huge = Buffer.concat([good[0]!, Buffer.alloc(maxPhotoBytes)]);
    const big = await upload('RF-BIG', photoParts([huge]));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: { reason: 'payload_too_large', photo: 0 } });
  });

  it('refuses missing, forged, expired and foreign tokens before reading the body', async () => {
    const parts = photoParts([good[0]!]);
    const none = await api.app.inject({ method: 'POST', url: '/v1/returns/RF-AUTH/photos', headers: { 'content-type': multipartBody(parts).contentType }, payload: multipartBody(parts).payload });
    expect([none.statusCode, none.json().error.reason]).toEqual([401, 'unauthorized']);
    const forged = await upload('RF-AUTH', parts, { authorization: `Bearer ${await returnToken('RF-AUTH', {}, (await generateReturnKeyPair('booking-test')).privateKey)}` });
    expect([forged.statusCode, forged.json().error.reason]).toEqual([401, 'unauthorized']);
    const expired = await upload('RF-AUTH', parts, { authorization: `Bearer ${await returnToken('RF-AUTH', { exp: Math.floor(Date.now() / 1000) - 3600 })}` });
    expect([expired.statusCode, expired.json().error.detail]).toEqual([401, 'return token refused: token expired']);
    const foreign = await upload('RF-AUTH', parts, { authorization: `Bearer ${await returnToken('RF-OTHER')}` });
    expect([foreign.statusCode, foreign.json().error.reason]).toEqual([403, 'forbidden']);
  });

  it('refuses fields that disagree with the token, unknown fields, empty uploads and non-multipart bodies', async () => {
    const mismatch = await upload('RF-FIELDS', [{ name: 'vehicleId', data: 'VH-9999' }, ...photoParts([good[0]!])]);
    expect([mismatch.statusCode, mismatch.json().error.reason]).toEqual([403, 'forbidden']);
    const unknown = await upload('RF-FIELDS', [{ name: 'price', data: '0' }]);
    expect([unknown.statusCode, unknown.json().error.reason]).toEqual([400, 'request_invalid']);
    const empty = await upload('RF-FIELDS', [{ name: 'bookingId', data: 'BK-RF-FIELDS' }]);
    expect([empty.statusCode, empty.json().error.reason]).toEqual([400, 'no_photos']);
    const json = await api.app.inject({
      method: 'POST', url: '/v1/returns/RF-FIELDS/photos', payload: { photos: [] },
      headers: { authorization: `Bearer ${await returnToken('RF-FIELDS')}` },
    });
    expect([json.statusCode, json.json().error.reason]).toEqual([400, 'request_invalid']);
    const raw = await api.app.inject({
      method: 'POST', url: '/v1/returns/RF-FIELDS/photos', payload: good[0],
      headers: { authorization: `Bearer ${await returnToken('RF-FIELDS')}`, 'content-type': 'image/jpeg' },
    });
    expect([raw.statusCode, raw.json().error.reason]).toEqual([400, 'request_invalid']);
  });

  it('counts refusals by reason and still verifies a good return afterwards', async () => {
    const text = await api.registry.metrics();
    for (const reason of ['image_truncated', 'image_unsupported', 'too_many_photos', 'payload_too_large', 'unauthorized', 'forbidden', 'request_invalid', 'no_photos']) {
      expect({ reason, counted: new RegExp(`fleetwire_vision_uploads_refused_total\\{reason="${reason}"\\} [1-9]`).test(text) }).toEqual({ reason, counted: true });
    }
    expect(text).toMatch(/fleetwire_vision_uploads_refused_total\{reason="image_too_large"\} 2/);
    const ok = await upload('RF-AFTER', photoParts(good));
    expect(ok.statusCode).toBe(200);
    expect(ok.json().verdict).toBe('accepted');
  });
  it('names the first refused photo of the body, also when later parts were read while it was checked', async () => {
    const parts = [...photoParts([good[0]!, TEXT_NAMED_JPG]), { name: 'vehicleId', data: 'VH-9999' }, ...photoParts([pngBomb(20_000, 20_000)])];
    const response = await upload('RF-ORDER', parts);
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ error: { reason: 'image_unsupported', photo: 1 } });
    expect(api.vision.verifier.storedAnswer('RF-ORDER')).toBeUndefined();
  });
});
