/**
 * TLS and SASL towards the brokers, as each client wants them (kafkajs for consuming and
 * administration, @platformatic/kafka for producing), and the failures they cause named for an
 * operator: a refused password is `FW_BUS_AUTH_FAILED`, a broker certificate that cannot be
 * verified `FW_BUS_TLS_FAILED` — neither is retried, since retrying cannot fix a config.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { CloudError } from '../../errors.js';
import type { KafkaBusOptions } from './options.js';
import { readSecret } from './secrets.js';

export interface KafkaSecurity {
  /** undefined = plaintext. */
  tls: ConnectionOptions | undefined;
  sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new CloudError('FW_BUS_CONFIG_INVALID', `kafka bus: tls.${what}: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
}

export function resolveSecurity(options: Pick<KafkaBusOptions, 'tls' | 'sasl'>): KafkaSecurity {
  const { tls, sasl } = options;
  let tlsOptions: ConnectionOptions | undefined;
  if (tls !== undefined) {
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      throw new CloudError('FW_BUS_CONFIG_INVALID', 'kafka bus: tls.certFile and tls.keyFile go together (a client certificate needs its key)');
    }
    tlsOptions = {
      rejectUnauthorized: true,
      ...(tls.caFile === undefined ? {} : { ca: readPem(tls.caFile, 'caFile') }),
      ...(tls.certFile === undefined ? {} : { cert: readPem(tls.certFile, 'certFile') }),
      ...(tls.keyFile === undefined ? {} : { key: readPem(tls.keyFile, 'keyFile') }),
      ...(tls.keyPassphrase === undefined ? {} : { passphrase: readSecret(tls.keyPassphrase, 'tls.keyPassphrase') }),
      ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
    };
  }
  return {
    tls: tlsOptions,
    sasl: sasl === undefined ? undefined : { mechanism: sasl.mechanism, username: sasl.username, password: readSecret(sasl.password, 'sasl.password') },
  };
}

export function kafkajsSecurity(security: KafkaSecurity): { ssl?: ConnectionOptions; sasl?: SASLOptions } {
  return {
    ...(security.tls === undefined ? {} : { ssl: security.tls }),
    ...(security.sasl === undefined ? {} : { sasl: security.sasl as SASLOptions }),
  };
}

const PLATFORMATIC_MECHANISM = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

export function platformaticSecurity(security: KafkaSecurity) {
  return {
    ...(security.tls === undefined ? {} : { tls: security.tls, ...(security.tls.servername === undefined ? {} : { tlsServerName: security.tls.servername }) }),
    ...(security.sasl === undefined
      ? {}
      : { sasl: { mechanism: PLATFORMATIC_MECHANISM[security.sasl.mechanism], username: security.sasl.username, password: security.sasl.password } }),
  };
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'UNABLE_TO_GET_ISSUER_CERT',
]);
const TLS_MESSAGE = /self[- ]signed certificate|unable to verify|unable to get (local )?issuer|certificate has expired|altnames|wrong version number|certificate/i;
const AUTH_MESSAGE = /SASL|authenticat|invalid credentials|invalid username or password/i;

/** The errors in a client error's chain (kafkajs keeps the socket error in `originalError`, others in `cause` or `errors`). */
function* chain(error: unknown, depth = 0): Generator<{ name?: string; code?: string; message?: string }> {
  if (depth > 6 || typeof error !== 'object' || error === null) return;
  const e = error as { name?: string; code?: string; message?: string; cause?: unknown; originalError?: unknown; errors?: unknown[] };
  yield e;
  yield* chain(e.cause, depth + 1);
  yield* chain(e.originalError, depth + 1);
  for (const inner of Array.isArray(e.errors) ? e.errors : []) yield* chain(inner, depth + 1);
}

/** A connect failure as the operator should read it; undefined when it is none of these (an outage: retryable). */
export function securityFailure(error: unknown, brokers: readonly string[]): CloudError | undefined {
  for (const e of chain(error)) {
    if ((e.code !== undefined && TLS_CODES.has(e.code)) || (e.code === undefined && TLS_MESSAGE.test(e.message ?? '') && /tls|ssl|cert/i.test(`${e.name} ${e.message}`))) {
      return new CloudError('FW_BUS_TLS_FAILED',
        `kafka bus: the TLS connection to ${brokers.join(', ')} failed: ${e.message} (check tls.caFile, tls.serverName and the broker's certificate)`,
        { cause: error, canRetry: false });
    }
    if (/SASLAuthentication|SaslAuthentication|AuthenticationError/i.test(e.name ?? '') || (AUTH_MESSAGE.test(e.message ?? '') && /fail|invalid|denied/i.test(e.message ?? ''))) {
      return new CloudError('FW_BUS_AUTH_FAILED',
        `kafka bus: the brokers ${brokers.join(', ')} refused the SASL login: ${e.message} (check sasl.mechanism, sasl.username and the password's source)`,
        { cause: error, canRetry: false });
    }
  }
  return undefined;
}
