/**
 * Edge node tokens: `fw1.{nodeId}.{secret}` where the secret is 32 random bytes (base64url).
 * The cloud stores only the SHA-256 of the whole token; a fast hash is enough because the
 * secret has 256 bits of entropy (nothing to brute-force, unlike a password). The node id in
 * the clear lets the cloud find the node's entries and log who called without the secret.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isNodeId } from '@fleetwire/protocol';
import { CloudError } from '../../errors.js';

const TOKEN_VERSION = 'fw1';

export interface TokenEntry {
  /** Hex SHA-256 of the whole token. */
  sha256: string;
  issuedAt: string;
  revoked?: boolean;
  /** Free text for operators, e.g. which box or who issued it. */
  label?: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The node id a token claims, or undefined when it is not a fleetwire token at all. */
export function tokenNodeId(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== TOKEN_VERSION) return undefined;
  const nodeId = parts[1] ?? '';
  return isNodeId(nodeId) && (parts[2] ?? '').length > 0 ? nodeId : undefined;
}

/** Constant-time comparison of a presented token against a stored hash. */
export function tokenMatches(token: string, entry: TokenEntry): boolean {
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(entry.sha256, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export function issueToken(nodeId: string, now: Date = new Date()): { token: string; entry: TokenEntry } {
  if (!isNodeId(nodeId)) throw new CloudError('FW_CONFIG_INVALID', `invalid node id: ${JSON.stringify(nodeId)}`);
  const token = `${TOKEN_VERSION}.${nodeId}.${randomBytes(32).toString('base64url')}`;
  return { token, entry: { sha256: hashToken(token), issuedAt: now.toISOString(), revoked: false } };
}
