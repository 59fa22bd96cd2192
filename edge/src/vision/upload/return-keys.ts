/**
 * The booking system's public keys, as the edge holds them: a JWKS file (`vision.returnTokenKeysFile`).
 * Keys rotate without a restart: the file is looked at (one stat) whenever a token is verified,
 * and re-read when it changed; a changed file that is not a valid JWKS is refused whole and the
 * keys in force stay (logged, counted). Each key needs a `kid` (tokens name the key they were
 * signed with) and must be public: a file holding a private key is refused, the edge must not be
 * able to sign.
 */
import { readFileSync, statSync } from 'node:fs';
import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { EdgeError } from '../../errors.js';
import { RETURN_TOKEN_ALGORITHMS } from './return-token.js';

export interface ReturnKeyFile {
  /** The key set in force (re-read first when the file changed). */
  keySet(): JWTVerifyGetKey;
  /** The key ids in force. */
  kids(): string[];
}

export interface ReturnKeyFileOptions {
  file: string;
  logger: Logger;
  /** Called with the outcome of each re-read. */
  onReload?: (outcome: 'ok' | 'refused') => void;
}

/** Opens the file; a missing or invalid one is FW_RETURN_KEYS_INVALID (the agent does not start). */
export function openReturnKeyFile(options: ReturnKeyFileOptions): ReturnKeyFile {
  const { file, logger } = options;
  let jwks = readKeySet(file);
  let version = versionOf(file);
  let keySet = createLocalJWKSet(jwks);

  function refreshIfChanged(): void {
    let current: string;
    try {
      current = versionOf(file);
    } catch {
      current = 'missing';
    }
    if (current === version) return;
    version = current;
    try {
      jwks = readKeySet(file);
      keySet = createLocalJWKSet(jwks);
      logger.info({ event: 'return_keys_reloaded', file, kids: jwks.keys.map((key) => key.kid) }, 'return_keys_reloaded');
      options.onReload?.('ok');
    } catch (error) {
      logger.warn({ event: 'return_keys_reload_refused', file, err: error }, 'return_keys_reload_refused');
      options.onReload?.('refused');
    }
  }

  return {
    keySet() {
      refreshIfChanged();
      return keySet;
    },
    kids() {
      refreshIfChanged();
      return jwks.keys.map((key) => key.kid as string);
    },
  };
}

/** The problems of a would-be JWKS of public signing keys; empty when valid. */
export function keySetProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) return ['must be a JWKS: { "keys": [ … ] }'];
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length === 0) return ['holds no keys'];
  const problems: string[] = [];
  const seen = new Set<string>();
  keys.forEach((entry, i) => {
    const key = (typeof entry === 'object' && entry !== null ? entry : {}) as JWK;
    const at = `keys[${i}]`;
    if (typeof key.kid !== 'string' || key.kid === '') problems.push(`${at}.kid: required (tokens name their key by it, so keys can rotate)`);
    else if (seen.has(key.kid)) problems.push(`${at}.kid: "${key.kid}" appears twice`);
    else seen.add(key.kid);
    if ('d' in key) problems.push(`${at}: is a private key; the edge holds public keys only (give it the JWKS that generate-return-keys writes, keep the private key on the signing side)`);
    const okp = key.kty === 'OKP' && key.crv === 'Ed25519';
    const ec = key.kty === 'EC' && key.crv === 'P-256';
    if (!okp && !ec) problems.push(`${at}: must be an Ed25519 (kty OKP) or P-256 (kty EC) public key`);
    if (key.alg !== undefined && !(RETURN_TOKEN_ALGORITHMS as readonly string[]).includes(key.alg)) problems.push(`${at}.alg: must be one of ${RETURN_TOKEN_ALGORITHMS.join(', ')}`);
  });
  return problems;
}

function readKeySet(file: string): JSONWebKeySet {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new EdgeError('FW_RETURN_KEYS_INVALID', `return token keys ${file}: cannot read it as JSON (${(cause as Error).message})`, { cause });
  }
  const problems = keySetProblems(value);
  if (problems.length > 0) throw new EdgeError('FW_RETURN_KEYS_INVALID', `return token keys ${file}: ${problems.join('; ')}`);
  return value as JSONWebKeySet;
}

/** Changes when the file is rewritten or replaced (an atomic rename gives a new inode). */
function versionOf(file: string): string {
  const stat = statSync(file);
  return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}
