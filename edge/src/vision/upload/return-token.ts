/**
 * Return tokens: how the mobile app proves it may upload the photos of one return. The booking
 * system, which knows the booking and the car, issues one when the customer ends the rental: a
 * JWT signed with its private key (EdDSA/Ed25519 or ES256), with a key id (`kid`) naming the key.
 * The edge holds only the public keys (a JWKS file, return-keys.ts), so a stolen edge box cannot
 * mint tokens for any site. Claims:
 *
 *   aud        "fleetwire-return" (a token minted for something else with the same key fails)
 *   returnId   must equal the {returnId} of the URL
 *   bookingId, vehicleId, tripId (optional)   the ids the verdict is recorded under
 *   exp        expiry, seconds since the epoch (required; 60 s leeway for clock drift)
 *
 * The ids come from the token, never from the request body (identity comes from how the caller
 * authenticated: docs/architecture.md, "Contracts"). The algorithm is never taken from the token
 * alone: asymmetric tokens verify only against the JWKS; HS256 only when the edge runs with
 * `vision.legacyHs256` (a migration aid, the secret shared as before). Signing and verifying are
 * the `jose` library's. The token travels in `Authorization: Bearer …`, never in the URL, and is
 * never logged.
 */
import type * as Jose from 'jose';
import type { JWK, JWTPayload, JWTVerifyGetKey } from 'jose';
import { isDeviceId } from '@fleetwire/protocol';
import { EdgeError } from '../../errors.js';

export const RETURN_TOKEN_AUDIENCE = 'fleetwire-return';
/** What the booking system may sign with; the edge accepts nothing else without the legacy option. */
export const RETURN_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type ReturnTokenAlgorithm = (typeof RETURN_TOKEN_ALGORITHMS)[number];
const LEEWAY_S = 60;

/**
 * jose is imported on first use: this module is reachable from the package's entry (the CLI's
 * signing commands, the demo), and an agent without vision never signs or verifies a token, so
 * it should not pay for the library's code at start (docs/edge.md, "Memory").
 */
const jose = (): Promise<typeof Jose> => import('jose');

export interface ReturnClaims {
  returnId: string;
  bookingId: string;
  vehicleId: string;
  tripId?: string;
  /** Seconds since the epoch. */
  exp: number;
}

/** What the edge verifies return tokens with. */
export interface ReturnTokenKeys {
  /** The booking system's public keys, current at the call (the JWKS file is reloaded when it changes). */
  publicKeys?: () => JWTVerifyGetKey;
  /** The HS256 secret: set only when vision.legacyHs256 is on. */
  legacySecret?: string;
}

/** A signing key of the booking system: a private JWK with its `kid` and `alg`. */
export interface ReturnSigningKey extends JWK {
  kid: string;
  alg: ReturnTokenAlgorithm;
}

/** A fresh key pair: the private JWK for the signing side and the public JWK for the edge's JWKS. */
export async function generateReturnKeyPair(kid: string, alg: ReturnTokenAlgorithm = 'EdDSA'): Promise<{ privateKey: ReturnSigningKey; publicKey: JWK }> {
  const { generateKeyPair, exportJWK } = await jose();
  const pair = await generateKeyPair(alg, { extractable: true });
  const privateKey = { ...(await exportJWK(pair.privateKey)), kid, alg, use: 'sig' };
  const publicKey = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
  return { privateKey, publicKey };
}

/** Signs a return token, as the booking system does. */
export async function issueReturnToken(signingKey: ReturnSigningKey, claims: ReturnClaims): Promise<string> {
  const { importJWK, SignJWT } = await jose();
  const key = await importJWK(signingKey, signingKey.alg);
  const { exp, ...rest } = claims;
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: signingKey.alg, kid: signingKey.kid, typ: 'JWT' })
    .setAudience(RETURN_TOKEN_AUDIENCE)
    .setExpirationTime(exp)
    .sign(key);
}

/** The token's claims, or FW_UPLOAD_UNAUTHORIZED (bad, expired, wrong key) / FW_UPLOAD_FORBIDDEN (another return). */
export async function verifyReturnToken(keys: ReturnTokenKeys, token: string, returnId: string, nowMs: number): Promise<ReturnClaims> {
  const { decodeProtectedHeader, jwtVerify, errors } = await jose();
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw unauthorized('not a JWT');
  }
  const options = { audience: RETURN_TOKEN_AUDIENCE, clockTolerance: LEEWAY_S, requiredClaims: ['exp'], currentDate: new Date(nowMs) };
  let claims: JWTPayload;
  try {
    if (alg === 'HS256') {
      if (keys.legacySecret === undefined) throw unauthorized('HS256 is refused (vision.legacyHs256 is off): the booking system signs with its private key (EdDSA or ES256)');
      ({ payload: claims } = await jwtVerify(token, new TextEncoder().encode(keys.legacySecret), { ...options, algorithms: ['HS256'] }));
    } else {
      if (keys.publicKeys === undefined) throw unauthorized('no public keys configured (vision.returnTokenKeysFile)');
      ({ payload: claims } = await jwtVerify(token, keys.publicKeys(), { ...options, algorithms: [...RETURN_TOKEN_ALGORITHMS] }));
    }
  } catch (error) {
    throw error instanceof EdgeError ? error : unauthorized(refusalOf(error, errors));
  }
  const ids = ['returnId', 'bookingId', 'vehicleId'] as const;
  for (const key of ids) if (!isDeviceId(claims[key])) throw unauthorized(`${key} missing or malformed`);
  if (claims.tripId !== undefined && !isDeviceId(claims.tripId)) throw unauthorized('tripId malformed');
  if (claims.returnId !== returnId) throw new EdgeError('FW_UPLOAD_FORBIDDEN', 'the token is for another return');
  return {
    returnId: claims.returnId as string,
    bookingId: claims.bookingId as string,
    vehicleId: claims.vehicleId as string,
    ...(claims.tripId === undefined ? {} : { tripId: claims.tripId as string }),
    exp: claims.exp as number,
  };
}

/** The bearer token of an Authorization header value, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Why jose refused, in words a client can act on (never the token itself). */
function refusalOf(error: unknown, errors: typeof Jose.errors): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWKSNoMatchingKey) return 'signed by a key this edge does not know (kid)';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return `algorithm not accepted (only ${RETURN_TOKEN_ALGORITHMS.join(', ')})`;
  if (error instanceof errors.JWTClaimValidationFailed) return error.message;
  return 'not a valid JWT';
}

function unauthorized(why: string): EdgeError {
  return new EdgeError('FW_UPLOAD_UNAUTHORIZED', `return token refused: ${why}`);
}
