/**
 * Return tokens: how the mobile app proves it may upload the photos of one return. The booking
 * system, which knows the booking and the car, issues one when the customer ends the rental: a
 * JWT signed with HS256 under the secret it shares with the edge (`vision.returnTokenSecret`),
 * so any JWT library can produce it. Claims:
 *
 *   aud        "fleetwire-return" (a token minted for something else with the same secret fails)
 *   returnId   must equal the {returnId} of the URL
 *   bookingId, vehicleId, tripId (optional)   the ids the verdict is recorded under
 *   exp        expiry, seconds since the epoch (required; 60 s leeway for clock drift)
 *
 * The ids come from the token, never from the request body (identity comes from how the caller
 * authenticated: docs/architecture.md, "Contracts"). Only HS256 is accepted, whatever the header says; signatures are
 * compared in constant time. The token travels in `Authorization: Bearer …`, never in the URL,
 * and is never logged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isDeviceId } from '@fleetwire/protocol';
import { EdgeError } from '../../errors.js';

export const RETURN_TOKEN_AUDIENCE = 'fleetwire-return';
const LEEWAY_S = 60;

export interface ReturnClaims {
  returnId: string;
  bookingId: string;
  vehicleId: string;
  tripId?: string;
  /** Seconds since the epoch. */
  exp: number;
}

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export function issueReturnToken(secret: string, claims: ReturnClaims): string {
  const payload = base64url(JSON.stringify({ aud: RETURN_TOKEN_AUDIENCE, ...claims }));
  return `${HEADER}.${payload}.${sign(secret, `${HEADER}.${payload}`)}`;
}

/** The token's claims, or FW_UPLOAD_UNAUTHORIZED (bad, expired) / FW_UPLOAD_FORBIDDEN (another return). */
export function verifyReturnToken(secret: string, token: string, returnId: string, nowMs: number): ReturnClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw unauthorized('not a JWT');
  const [header, payload, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(secret, `${header}.${payload}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized('bad signature');
  const head = parseJson(header);
  if (head?.alg !== 'HS256') throw unauthorized('only HS256 is accepted');
  const claims = parseJson(payload);
  if (claims === undefined) throw unauthorized('unreadable claims');
  if (claims.aud !== RETURN_TOKEN_AUDIENCE) throw unauthorized(`aud must be "${RETURN_TOKEN_AUDIENCE}"`);
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw unauthorized('exp is required');
  if (claims.exp + LEEWAY_S < nowMs / 1000) throw unauthorized('token expired');
  const ids = ['returnId', 'bookingId', 'vehicleId'] as const;
  for (const key of ids) if (!isDeviceId(claims[key])) throw unauthorized(`${key} missing or malformed`);
  if (claims.tripId !== undefined && !isDeviceId(claims.tripId)) throw unauthorized('tripId malformed');
  if (claims.returnId !== returnId) throw new EdgeError('FW_UPLOAD_FORBIDDEN', 'the token is for another return');
  return {
    returnId: claims.returnId as string,
    bookingId: claims.bookingId as string,
    vehicleId: claims.vehicleId as string,
    ...(claims.tripId === undefined ? {} : { tripId: claims.tripId as string }),
    exp: claims.exp,
  };
}

/** The bearer token of an Authorization header value, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function sign(secret: string, input: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function parseJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function unauthorized(why: string): EdgeError {
  return new EdgeError('FW_UPLOAD_UNAUTHORIZED', `return token refused: ${why}`);
}
