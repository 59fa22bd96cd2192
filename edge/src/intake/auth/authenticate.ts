/**
 * Who is connecting: a device proves its id with a password (MQTT username = device id) or a
 * client certificate signed by the configured CA whose CN is the device id. Either way the
 * device must be in the registry, and the MQTT client id must be the device id (optionally
 * suffixed `:{anything}`) or left empty for the broker to generate, so that one device cannot
 * take over another's session.
 */
import type { DeviceIdentity } from '@fleetwire/protocol';
import type { DeviceRegistry } from './device-registry.js';
import { DEFAULT_SCRYPT_COST, verifyPassword } from './password-hash.js';

export const AUTH_REFUSAL_REASONS = [
  'missing_credentials',
  'unknown_device',
  'bad_password',
  'certificate_untrusted',
  'certificate_mismatch',
  'client_id_mismatch',
  // login-guard.ts: a source or device id over its failure budget; password checks saturated.
  'throttled',
  'busy',
] as const;
export type AuthRefusalReason = (typeof AUTH_REFUSAL_REASONS)[number];

/** MQTT 3.1.1 CONNACK return codes used for refusals. */
const IDENTIFIER_REJECTED = 2;
export const SERVER_UNAVAILABLE = 3;
const NOT_AUTHORIZED = 5;

export interface ConnectAttempt {
  clientId: string;
  /** The broker generated the client id because the device sent none. */
  clientIdGenerated?: boolean;
  username?: string | undefined;
  password?: Buffer | undefined;
  /** Present on TLS connections where the client sent a certificate. */
  certificate?: { trusted: boolean; commonName?: string | undefined } | undefined;
}

export type AuthDecision =
  | { ok: true; identity: DeviceIdentity; method: 'password' | 'certificate' }
  | { ok: false; reason: AuthRefusalReason; returnCode: number };

// Verifying against a throwaway hash keeps an unknown id as slow as a wrong password, so
// response time does not reveal which device ids exist.
const decoyHash = `scrypt$${DEFAULT_SCRYPT_COST.N}$${DEFAULT_SCRYPT_COST.r}$${DEFAULT_SCRYPT_COST.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

/** Checks a password against the stored hash; login-guard.ts puts its budget and cache around scrypt. */
export type PasswordVerifier = (deviceId: string, password: Buffer, stored: string) => Promise<boolean>;

const scryptOnly: PasswordVerifier = (_deviceId, password, stored) => verifyPassword(password, stored);

export async function authenticateDevice(registry: DeviceRegistry, attempt: ConnectAttempt, verify: PasswordVerifier = scryptOnly): Promise<AuthDecision> {
  const decision = await decideIdentity(registry, attempt, verify);
  if (!decision.ok) return decision;
  const { clientId } = attempt;
  if (!attempt.clientIdGenerated && clientId !== decision.identity.deviceId && !clientId.startsWith(`${decision.identity.deviceId}:`)) {
    return refuse('client_id_mismatch', IDENTIFIER_REJECTED);
  }
  return decision;
}

async function decideIdentity(registry: DeviceRegistry, attempt: ConnectAttempt, verify: PasswordVerifier): Promise<AuthDecision> {
  const { certificate, username, password } = attempt;
  if (certificate) {
    if (!certificate.trusted || !certificate.commonName) return refuse('certificate_untrusted');
    const device = registry.get(certificate.commonName);
    if (!device) return refuse('unknown_device');
    if (username !== undefined && username !== '' && username !== device.id) return refuse('certificate_mismatch');
    return { ok: true, identity: { role: 'device', kind: device.kind, deviceId: device.id }, method: 'certificate' };
  }
  if (!username || !password || password.length === 0) return refuse('missing_credentials');
  const device = registry.get(username);
  // A certificate-only device (no passwordHash) cannot log in with a password.
  const verified = await verify(username, password, device?.passwordHash ?? decoyHash);
  if (!device) return refuse('unknown_device');
  if (!verified || !device.passwordHash) return refuse('bad_password');
  return { ok: true, identity: { role: 'device', kind: device.kind, deviceId: device.id }, method: 'password' };
}

export function refuse(reason: AuthRefusalReason, returnCode = NOT_AUTHORIZED): AuthDecision {
  return { ok: false, reason, returnCode };
}
