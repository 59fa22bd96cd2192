/**
 * Customer references are pseudonymised before an event reaches the bus — and so before
 * analytics or any other consumer sees it: `customerRef` becomes `p1_` + base64url of
 * HMAC-SHA256(key, customerRef). The same customer keeps the same pseudonym (bookings can still
 * be counted per customer), but without the key nobody can tell who it is or test a guess.
 *
 * The key lives only here, in the business events API's own file (`pseudonymKeyFile`, created
 * with 32 random bytes, mode 600, on first start): it is not in the cloud config, not on the
 * bus, and never given to analytics. Every cloud instance behind one load balancer needs the
 * same file, or one customer gets two pseudonyms.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventEnvelope } from '@fleetwire/protocol';
import { CloudError } from '../errors.js';

export type Pseudonymise = (customerRef: string) => string;

const PREFIX = 'p1_';
const KEY_BYTES = 32;

export function createPseudonymiser(key: Buffer): Pseudonymise {
  if (key.length < KEY_BYTES) throw new CloudError('FW_CONFIG_INVALID', `the pseudonym key must be at least ${KEY_BYTES} bytes`);
  return (customerRef) => PREFIX + createHmac('sha256', key).update(customerRef, 'utf8').digest('base64url');
}

/** The event as it may travel on: every customer reference replaced by its pseudonym. */
export function pseudonymiseEvent(event: EventEnvelope, pseudonymise: Pseudonymise): EventEnvelope {
  if (event.type !== 'VehicleBooked') return event;
  return { ...event, data: { ...event.data, customerRef: pseudonymise(event.data.customerRef) } };
}

/** Reads the key file (hex), creating it with a fresh random key when it does not exist. */
export function loadPseudonymKey(file: string): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (key.length < KEY_BYTES) throw new CloudError('FW_CONFIG_INVALID', `${file}: the pseudonym key must be at least ${KEY_BYTES} bytes of hex`);
  return key;
}
