/**
 * The devices this edge node serves, loaded from a JSON file:
 * `{ "devices": [ { "id": "VH-0001", "kind": "vehicle", "passwordHash": "scrypt$…" } ] }`.
 * `passwordHash` is optional: a device without one can only authenticate with a client
 * certificate whose CN is its id. A registry is immutable; live-registry.ts replaces it whole
 * when the file changes.
 */
import { readFileSync } from 'node:fs';
import { isDeviceId, type DeviceKind } from '@fleetwire/protocol';
import { EdgeError } from '../../errors.js';
import { isPasswordHash } from './password-hash.js';

export interface RegisteredDevice {
  id: string;
  kind: DeviceKind;
  passwordHash?: string;
}

export interface DeviceRegistry {
  get(id: string): RegisteredDevice | undefined;
  readonly size: number;
  entries(): IterableIterator<RegisteredDevice>;
}

/**
 * Devices whose connections must end when `next` replaces `previous`: removed (revoked), or
 * changed — another kind or another password — so they authenticate again. Unchanged devices
 * and new ones keep or get their connections.
 */
export function staleDevices(previous: DeviceRegistry, next: DeviceRegistry): Set<string> {
  const stale = new Set<string>();
  for (const device of previous.entries()) {
    const now = next.get(device.id);
    if (now === undefined || now.kind !== device.kind || now.passwordHash !== device.passwordHash) stale.add(device.id);
  }
  return stale;
}

export function loadDeviceRegistry(file: string): DeviceRegistry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (cause) {
    throw new EdgeError('FW_CREDENTIALS_INVALID', `cannot read device registry ${file}: ${(cause as Error).message}`, { cause });
  }
  return createDeviceRegistry(parsed, file);
}

/** Validates every entry and reports all problems at once. */
export function createDeviceRegistry(input: unknown, origin = 'device registry'): DeviceRegistry {
  const entries = typeof input === 'object' && input !== null ? (input as { devices?: unknown }).devices : undefined;
  if (!Array.isArray(entries)) {
    throw new EdgeError('FW_CREDENTIALS_INVALID', `${origin}: expected { "devices": [ … ] }`);
  }
  const devices = new Map<string, RegisteredDevice>();
  const problems: string[] = [];
  entries.forEach((entry: unknown, index) => {
    const where = `devices[${index}]`;
    const device = entry as Partial<RegisteredDevice> | null;
    if (typeof device !== 'object' || device === null) return problems.push(`${where}: must be an object`);
    if (!isDeviceId(device.id)) return problems.push(`${where}.id: must be 1–64 characters of [A-Za-z0-9_-]`);
    if (device.kind !== 'vehicle' && device.kind !== 'charger') return problems.push(`${where}.kind: must be vehicle or charger`);
    if (device.passwordHash !== undefined && (typeof device.passwordHash !== 'string' || !isPasswordHash(device.passwordHash))) {
      return problems.push(`${where}.passwordHash: not an scrypt hash (produce one with \`fleetwire edge hash-password\`)`);
    }
    if (devices.has(device.id)) return problems.push(`${where}.id: ${device.id} is listed twice`);
    devices.set(device.id, { id: device.id, kind: device.kind, ...(device.passwordHash ? { passwordHash: device.passwordHash } : {}) });
    return undefined;
  });
  if (problems.length > 0) {
    throw new EdgeError('FW_CREDENTIALS_INVALID', `${origin}:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    get: (id) => devices.get(id),
    get size() {
      return devices.size;
    },
    entries: () => devices.values(),
  };
}
