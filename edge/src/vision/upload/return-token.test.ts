import { createHmac } from 'node:crypto';
import { createLocalJWKSet, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { EdgeError } from '../../errors.js';
import { bearerToken, generateReturnKeyPair, issueReturnToken, verifyReturnToken, type ReturnTokenKeys } from './return-token.js';
import { uploadErrorAnswer, UPLOAD_ERRORS } from './upload-errors.js';

const SECRET = 'Xq3-legacy-shared-secret-of-at-least-32-chars';
const NOW = Date.parse('2026-01-15T12:00:00Z');
const claims = { returnId: 'RT-1', bookingId: 'BK-1', vehicleId: 'VH-0001', tripId: 'TR-1', exp: NOW / 1000 + 900 };
const booking = await generateReturnKeyPair('booking-1');
const es256 = await generateReturnKeyPair('booking-es', 'ES256');
const keysOf = (...keys: JWK[]): ReturnTokenKeys => ({ publicKeys: () => createLocalJWKSet({ keys }) });
const KEYS = keysOf(booking.publicKey, es256.publicKey);

async function code(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (error instanceof EdgeError) return error.code;
    throw error;
  }
  return 'none';
}

async function detail(run: () => Promise<unknown>): Promise<string> {
  return run().then(() => 'none', (error: unknown) => (error as Error).message);
}

/** A token signed by hand (HS256), with any header and claims. */
function jwt(header: object, payload: object, secret = SECRET): string {
  const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${enc(header)}.${enc(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('return tokens', () => {
  it('round-trips the claims of a token the booking system signed, with EdDSA and with ES256', async () => {
    expect(await verifyReturnToken(KEYS, await issueReturnToken(booking.privateKey, claims), 'RT-1', NOW)).toEqual(claims);
    expect(await verifyReturnToken(KEYS, await issueReturnToken(es256.privateKey, claims), 'RT-1', NOW)).toEqual(claims);
  });

  it('refuses a token signed by a key the edge does not hold, even under a known kid', async () => {
    const stranger = await generateReturnKeyPair('booking-1');
    const forged = await issueReturnToken(stranger.privateKey, claims);
    expect(await detail(() => verifyReturnToken(KEYS, forged, 'RT-1', NOW))).toBe('return token refused: bad signature');
    const unknownKid = await issueReturnToken((await generateReturnKeyPair('booking-9')).privateKey, claims);
    expect(await detail(() => verifyReturnToken(KEYS, unknownKid, 'RT-1', NOW))).toBe('return token refused: signed by a key this edge does not know (kid)');
  });

  it('refuses HS256 unless the legacy option gave a secret, and then accepts only that secret', async () => {
    const hs = jwt({ typ: 'JWT', alg: 'HS256' }, { ...claims, aud: 'fleetwire-return' });
    expect(await detail(() => verifyReturnToken(KEYS, hs, 'RT-1', NOW))).toMatch(/HS256 is refused \(vision.legacyHs256 is off\)/);
    const legacy = { ...KEYS, legacySecret: SECRET };
    expect((await verifyReturnToken(legacy, hs, 'RT-1', NOW)).bookingId).toBe('BK-1');
    expect(await code(() => verifyReturnToken({ ...KEYS, legacySecret: `${SECRET}-other` }, hs, 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    // A public key used as an HMAC secret (the classic algorithm confusion) gets nowhere.
    const confused = jwt({ alg: 'HS256', kid: 'booking-1' }, { ...claims, aud: 'fleetwire-return' }, JSON.stringify(booking.publicKey));
    expect(await code(() => verifyReturnToken(KEYS, confused, 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
  });

  it('refuses tampered, unsigned, expired and mis-addressed tokens', async () => {
    const good = await issueReturnToken(booking.privateKey, claims);
    const [h, , s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, vehicleId: 'VH-9', aud: 'fleetwire-return' })).toString('base64url')}.${s}`;
    expect(await code(() => verifyReturnToken(KEYS, tampered, 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    expect(await code(() => verifyReturnToken(KEYS, jwt({ alg: 'none' }, { ...claims, aud: 'fleetwire-return' }), 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    const billing = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', kid: 'booking-1' }).setAudience('billing').sign(await importPrivate());
    expect(await code(() => verifyReturnToken(KEYS, billing, 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    const { exp: _exp, ...noExp } = claims;
    const endless = await new SignJWT(noExp).setProtectedHeader({ alg: 'EdDSA', kid: 'booking-1' }).setAudience('fleetwire-return').sign(await importPrivate());
    expect(await code(() => verifyReturnToken(KEYS, endless, 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    expect(await detail(() => verifyReturnToken(KEYS, good, 'RT-1', NOW + 961_000))).toBe('return token refused: token expired');
    expect(await code(() => verifyReturnToken(KEYS, good, 'RT-1', NOW + 959_000))).toBe('none');
    expect(await code(() => verifyReturnToken(KEYS, good, 'RT-2', NOW))).toBe('FW_UPLOAD_FORBIDDEN');
    expect(await code(() => verifyReturnToken(KEYS, 'not-a-token', 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    expect(await code(async () => verifyReturnToken(KEYS, await issueReturnToken(booking.privateKey, { ...claims, bookingId: 'BK 1' }), 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
  });

  it('reads the bearer token from the Authorization header only', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

async function importPrivate() {
  const { importJWK } = await import('jose');
  return importJWK(booking.privateKey, 'EdDSA');
}

describe('upload error table', () => {
  it('maps every refusal to one status and reason, and anything else to a 500 without details', () => {
    expect(uploadErrorAnswer(new EdgeError('FW_VISION_IMAGE_TRUNCATED', 'cut'), 2)).toEqual({
      status: 422, body: { error: { code: 'FW_VISION_IMAGE_TRUNCATED', reason: 'image_truncated', detail: 'cut', retryable: false, photo: 2 } },
    });
    expect(uploadErrorAnswer(new EdgeError('FW_BUFFER_FULL', 'full', { canRetry: true }))).toMatchObject({ status: 503, retryAfterS: 5, body: { error: { code: 'FW_BUFFER_FULL', retryable: true } } });
    expect(uploadErrorAnswer(new Error('secret internals'))).toEqual({
      status: 500, body: { error: { code: 'FW_INTERNAL', reason: 'internal_error', detail: 'the return could not be verified; try again', retryable: true } },
    });
    const reasons = Object.values(UPLOAD_ERRORS).map((e) => e.reason);
    expect(new Set(reasons).size).toBe(reasons.length);
  });
});
