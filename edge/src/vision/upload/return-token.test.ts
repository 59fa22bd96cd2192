import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EdgeError } from '../../errors.js';
import { bearerToken, issueReturnToken, verifyReturnToken } from './return-token.js';
import { uploadErrorAnswer, UPLOAD_ERRORS } from './upload-errors.js';

const SECRET = 'a-shared-secret-of-at-least-32-chars!!';
const NOW = Date.parse('2026-01-15T12:00:00Z');
const claims = { returnId: 'RT-1', bookingId: 'BK-1', vehicleId: 'VH-0001', tripId: 'TR-1', exp: NOW / 1000 + 900 };

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof EdgeError) return error.code;
    throw error;
  }
  return 'none';
}

/** A token signed like a JWT library would, with any header and claims. */
function jwt(header: object, payload: object, secret = SECRET): string {
  const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${enc(header)}.${enc(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('return tokens', () => {
  it('round-trips the claims of a token the booking system issued', () => {
    expect(verifyReturnToken(SECRET, issueReturnToken(SECRET, claims), 'RT-1', NOW)).toEqual(claims);
  });

  it('accepts a token from any JWT library (HS256, standard layout)', () => {
    const token = jwt({ typ: 'JWT', alg: 'HS256' }, { ...claims, aud: 'fleetwire-return', iat: NOW / 1000 });
    expect(verifyReturnToken(SECRET, token, 'RT-1', NOW).bookingId).toBe('BK-1');
  });

  it('refuses forged, tampered, unsigned, expired and mis-addressed tokens', () => {
    const good = issueReturnToken(SECRET, claims);
    expect(code(() => verifyReturnToken('another-secret-of-at-least-32-chars', good, 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    const [h, , s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, vehicleId: 'VH-9' })).toString('base64url')}.${s}`;
    expect(code(() => verifyReturnToken(SECRET, tampered, 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    expect(code(() => verifyReturnToken(SECRET, jwt({ alg: 'none' }, { ...claims, aud: 'fleetwire-return' }), 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    expect(code(() => verifyReturnToken(SECRET, jwt({ alg: 'HS256' }, { ...claims, aud: 'billing' }), 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    expect(code(() => verifyReturnToken(SECRET, jwt({ alg: 'HS256' }, { ...claims, aud: 'fleetwire-return', exp: undefined }), 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    expect(code(() => verifyReturnToken(SECRET, good, 'RT-1', NOW + 961_000))).toBe('FW_UPLOAD_UNAUTHORIZED');
    expect(code(() => verifyReturnToken(SECRET, good, 'RT-1', NOW + 959_000))).toBe('none');
    expect(code(() => verifyReturnToken(SECRET, good, 'RT-2', NOW))).toBe('FW_UPLOAD_FORBIDDEN');
    expect(code(() => verifyReturnToken(SECRET, 'not-a-token', 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
    expect(code(() => verifyReturnToken(SECRET, issueReturnToken(SECRET, { ...claims, bookingId: 'BK 1' }), 'RT-1', NOW))).toBe('FW_UPLOAD_UNAUTHORIZED');
  });

  it('reads the bearer token from the Authorization header only', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

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
