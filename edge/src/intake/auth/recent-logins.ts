/**
 * Recent logins: after a device's password passed scrypt, the agent keeps, in memory only and
 * for a short time, an HMAC of that password under a key made at start — so the same device
 * reconnecting with the same password (a depot's network coming back, a device rebooting) is
 * checked with one HMAC instead of a full scrypt. Nothing is written anywhere: a restarted agent
 * starts empty, and a copy of the memory gives HMACs under a key that dies with the process.
 * An entry holds only while the registry still has the password hash it was made from, so a
 * changed or removed credential stops working at once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

interface Entry {
  tag: Buffer;
  passwordHash: string;
  expiresAt: number;
}

export interface RecentLogins {
  /** True when the device logged in with this password less than ttl ago and its hash is unchanged. */
  matches(deviceId: string, password: Buffer, passwordHash: string, now: number): boolean;
  remember(deviceId: string, password: Buffer, passwordHash: string, now: number): void;
  readonly size: number;
}

export function createRecentLogins(options: { ttlMs: number; maxEntries: number }): RecentLogins {
  const key = randomBytes(32);
  const entries = new Map<string, Entry>();
  const tagOf = (deviceId: string, password: Buffer): Buffer => createHmac('sha256', key).update(deviceId).update('\0').update(password).digest();

  return {
    get size() {
      return entries.size;
    },
    matches(deviceId, password, passwordHash, now) {
      const entry = entries.get(deviceId);
      if (entry === undefined) return false;
      if (entry.expiresAt <= now || entry.passwordHash !== passwordHash) {
        entries.delete(deviceId);
        return false;
      }
      return timingSafeEqual(entry.tag, tagOf(deviceId, password));
    },
    remember(deviceId, password, passwordHash, now) {
      entries.delete(deviceId);
      entries.set(deviceId, { tag: tagOf(deviceId, password), passwordHash, expiresAt: now + options.ttlMs });
      while (entries.size > options.maxEntries) entries.delete(entries.keys().next().value as string);
    },
  };
}
