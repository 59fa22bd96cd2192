/**
 * What the audit trail keeps of the configuration a cloud started with: the configuration with
 * its secrets replaced (tokens, passwords in URLs) and the SHA-256 of that redacted text, so two
 * starts can be compared by digest and a change seen in full.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { redactUrl } from '@fleetwire/protocol';
import type { AuditInput } from './audit-chain.js';

// A secret may be a string or a reference object (`{ value }`, `{ file }`, `{ env }`): the whole
// value under one of these keys is replaced, whatever its shape.
const SECRET_KEYS = new Set(['token', 'readToken', 'password', 'secret', 'keyPassphrase']);

function redact(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEYS.has(key) && value !== undefined) return '[redacted]';
  if (typeof value === 'string') return key === 'url' || key === 'webhookUrl' || key === 'brokers' ? redactUrl(value) : value;
  if (Array.isArray(value)) return value.map((item) => redact(item, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

export function configLoadedEntry(config: object, at: number): AuditInput {
  const redacted = redact(config) as Record<string, unknown>;
  const digest = createHash('sha256').update(JSON.stringify(redacted)).digest('hex');
  return { at, action: 'config_loaded', actor: `cloud:${hostname()}`, subject: 'cloud:config', detail: { pid: process.pid, digest, config: redacted } };
}
