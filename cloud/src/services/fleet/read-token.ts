/**
 * The fleet API's optional bearer token. Without `fleet.readToken` the read-only API is open to
 * whoever reaches the HTTP listener; with it every API request must carry
 * `authorization: Bearer {readToken}`. Compared as SHA-256 digests in constant time, so the
 * comparison leaks neither the token nor its length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { CloudError } from '../../errors.js';

export type ReadGuard = (authorization: string | undefined) => void;

const digest = (text: string) => createHash('sha256').update(text).digest();

export function createReadGuard(readToken: string | undefined): ReadGuard {
  if (readToken === undefined) return () => undefined;
  const expected = digest(readToken);
  return (authorization) => {
    if (authorization === undefined) throw new CloudError('FW_AUTH_MISSING', 'the fleet API needs a bearer token (fleet.readToken)');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
      throw new CloudError('FW_AUTH_INVALID', 'wrong fleet read token');
    }
  };
}

/** Whether only this machine can reach a listener on `host` (the case where an open fleet API is fine). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
