/**
 * The demo's credentials, created on the first run and reused after: the fleet secret that
 * device passwords derive from, the edge node's uplink token (the cloud keeps only its hash),
 * and the edge's device registry with scrypt-hashed passwords. Kept in the data dir, mode 600.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { issueToken, type TokenEntry } from '@fleetwire/cloud';
import { hashPassword } from '@fleetwire/edge';
import { deviceRegistry, type DeviceCredential } from '@fleetwire/simulators';

export const DEMO_NODE_ID = 'demo-edge';

export interface DemoSecrets {
  fleetSecret: string;
  nodeToken: string;
  tokenEntry: TokenEntry;
}

export function loadOrCreateSecrets(dataDir: string): DemoSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DemoSecrets;
  const { token, entry } = issueToken(DEMO_NODE_ID);
  const secrets: DemoSecrets = { fleetSecret: randomBytes(24).toString('base64url'), nodeToken: token, tokenEntry: entry };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/**
 * Writes the edge's device registry unless one for exactly these devices exists: hashing is
 * deliberately slow (scrypt), so a second run with the same fleet starts at once.
 */
export async function ensureDeviceRegistry(dataDir: string, credentials: readonly DeviceCredential[]): Promise<string> {
  const file = join(dataDir, 'devices.json');
  const wanted = credentials.map((c) => c.id).sort().join(',');
  if (existsSync(file)) {
    const existing = JSON.parse(readFileSync(file, 'utf8')) as { devices: Array<{ id: string }> };
    if (existing.devices.map((d) => d.id).sort().join(',') === wanted) return file;
  }
  const registry = await deviceRegistry(credentials, (password) => hashPassword(password));
  writeFileSync(file, JSON.stringify(registry, null, 2), { mode: 0o600 });
  return file;
}
