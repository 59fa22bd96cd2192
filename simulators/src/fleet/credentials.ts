/**
 * Device credentials. Every simulated device logs in with username = its id and a password
 * derived from a fleet secret (HMAC-SHA256, so the edge can be given the list without the
 * simulator storing one). The edge keeps only scrypt hashes in its device registry
 * (`{ "devices": [{ id, kind, passwordHash }] }`); `deviceRegistry` builds that file from a
 * hash function — pass `hashPassword` from @fleetwire/edge.
 */
import { createHmac } from 'node:crypto';
import type { DeviceKind } from '../world/emission.js';

export interface DeviceCredential {
  id: string;
  kind: DeviceKind;
  username: string;
  password: string;
}

export function devicePassword(fleetSecret: string, deviceId: string): string {
  return createHmac('sha256', fleetSecret).update(`fleetwire-device:${deviceId}`).digest('base64url');
}

export function deviceCredentials(fleetSecret: string, devices: ReadonlyArray<{ kind: DeviceKind; id: string }>): DeviceCredential[] {
  return devices.map((d) => ({ id: d.id, kind: d.kind, username: d.id, password: devicePassword(fleetSecret, d.id) }));
}

export interface DeviceRegistryFile {
  devices: Array<{ id: string; kind: DeviceKind; passwordHash: string }>;
}

/** The edge's device registry for these credentials; hashing is the edge's (scrypt, salted). */
export async function deviceRegistry(credentials: readonly DeviceCredential[], hashPassword: (password: string) => Promise<string>): Promise<DeviceRegistryFile> {
  const devices: DeviceRegistryFile['devices'] = [];
  // One at a time: scrypt is memory-hungry and a Pi has little to spare.
  for (const c of credentials) devices.push({ id: c.id, kind: c.kind, passwordHash: await hashPassword(c.password) });
  return { devices };
}
