/**
 * Device passwords are stored as scrypt hashes with a per-device random salt, in one string:
 * `scrypt$N$r$p$<salt base64>$<hash base64>`. The cost parameters travel with the hash so they
 * can be raised later without invalidating existing entries.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptCost { N: number; r: number; p: number }

/** Node's default cost: ~50 ms on a Raspberry Pi 4, paid once per device connection. */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 16_384, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/;

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function isPasswordHash(text: string): boolean {
  return parse(text) !== undefined;
}

/** False for a wrong password and for a malformed stored hash; never throws on input. */
export async function verifyPassword(password: string | Buffer, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.cost);
  return timingSafeEqual(key, parsed.key);
}

function parse(text: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | undefined {
  const match = FORMAT.exec(text);
  if (!match) return undefined;
  const [, n, r, p, salt, key] = match;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  // Bounds keep a tampered registry from asking for gigabytes of scrypt memory.
  if (cost.N < 2 || cost.N > 1_048_576 || (cost.N & (cost.N - 1)) !== 0 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16) return undefined;
  const keyBytes = Buffer.from(key as string, 'base64');
  if (keyBytes.length < 16) return undefined;
  return { cost, salt: Buffer.from(salt as string, 'base64'), key: keyBytes };
}

function derive(password: string | Buffer, salt: Buffer, length: number, cost: ScryptCost): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolvePromise, reject) => {
    scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolvePromise(key)));
  });
}
