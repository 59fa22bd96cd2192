/**
 * Business client tokens: `fwb1.{clientId}.{secret}`, 32 random bytes of secret (base64url). A
 * prefix of their own, so a business token is never mistaken for an edge node token (`fw1.`)
 * by a reader or by either registry. Stored and compared like node tokens: only the SHA-256 of
 * the whole token is kept, compared in constant time (the secret has 256 bits; nothing to guess).
 */
import { randomBytes } from 'node:crypto';
import { isNodeId } from '@fleetwire/protocol';
import { CloudError } from '../../errors.js';
import { hashToken, type TokenEntry } from '../../ingest/auth/tokens.js';

const CLIENT_TOKEN_VERSION = 'fwb1';

/** Client ids follow the device/node id rule, so they can lead an event id (`{clientId}:{epoch}:{seq}`). */
export function isClientId(value: unknown): value is string {
  return isNodeId(value);
}

/** The client id a token claims, or undefined when it is not a business client token at all. */
export function tokenClientId(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== CLIENT_TOKEN_VERSION) return undefined;
  const clientId = parts[1] ?? '';
  return isClientId(clientId) && (parts[2] ?? '').length > 0 ? clientId : undefined;
}

export function issueClientToken(clientId: string, now: Date = new Date()): { token: string; entry: TokenEntry } {
  if (!isClientId(clientId)) throw new CloudError('FW_CONFIG_INVALID', `invalid client id: ${JSON.stringify(clientId)}`);
  const token = `${CLIENT_TOKEN_VERSION}.${clientId}.${randomBytes(32).toString('base64url')}`;
  return { token, entry: { sha256: hashToken(token), issuedAt: now.toISOString(), revoked: false } };
}
