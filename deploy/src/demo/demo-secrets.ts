/**
 * The demo's credentials, created on the first run and reused after: the fleet secret that
 * device passwords derive from, the edge node's uplink token (the cloud keeps only its hash),
 * the tokens of
 * the simulated booking and payment services (business clients of the cloud), and the edge's
 * device registry with scrypt-hashed passwords. Kept in the data dir, mode 600. The simulated
 * booking system's return-token signing key is its own file beside them (ensureReturnKeys).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { issueClientToken, issueToken, type ClientEntry, type TokenEntry } from '@fleetwire/cloud';
import { generateReturnKeyPair, hashPassword, type ReturnSigningKey } from '@fleetwire/edge';
import { BOOKING_CLIENT_ID, PAYMENT_CLIENT_ID, deviceRegistry, type DeviceCredential, type Site } from '@fleetwire/simulators';

export const DEMO_NODE_ID = 'demo-edge';

export interface DemoSecrets {
  fleetSecret: string;
  nodeToken: string;
  tokenEntry: TokenEntry;
  /** Tokens of the simulated booking and payment services, and their entries for the cloud. */
  businessClients: { booking: { token: string; entry: TokenEntry }; payment: { token: string; entry: TokenEntry } };
}

/** The cloud's entries for the demo's business clients, each allowed only its own event types. */
export function demoBusinessClients(secrets: DemoSecrets): ClientEntry[] {
  return [
    { id: BOOKING_CLIENT_ID, eventTypes: ['VehicleBooked', 'BookingCancelled'], commandTypes: ['UnlockVehicle'], tokens: [secrets.businessClients.booking.entry] },
    { id: PAYMENT_CLIENT_ID, eventTypes: ['PaymentProcessed'], tokens: [secrets.businessClients.payment.entry] },
  ];
}

export function loadOrCreateSecrets(dataDir: string): DemoSecrets {
  const file = join(dataDir, 'secrets.json');
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DemoSecrets>) : {};
  if (kept.fleetSecret && kept.nodeToken && kept.tokenEntry && kept.businessClients) return kept as DemoSecrets;
  // Data of an older demo keeps what it has: its devices and the cloud's token entry stay valid.
  const issued = kept.nodeToken && kept.tokenEntry ? { token: kept.nodeToken, entry: kept.tokenEntry } : issueToken(DEMO_NODE_ID);
  const secrets: DemoSecrets = {
    fleetSecret: kept.fleetSecret ?? randomBytes(24).toString('base64url'),
    nodeToken: issued.token,
    tokenEntry: issued.entry,
    businessClients: kept.businessClients ?? { booking: issueClientToken(BOOKING_CLIENT_ID), payment: issueClientToken(PAYMENT_CLIENT_ID) },
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/**
 * The simulated booking system's signing key (private JWK, mode 600) and the JWKS with its public
 * half that the demo's edge verifies return tokens with: made on the first run, kept after.
 */
export async function ensureReturnKeys(dataDir: string): Promise<{ signingKey: ReturnSigningKey; keysFile: string }> {
  const privateFile = join(dataDir, 'return-signing-key.json');
  const keysFile = join(dataDir, 'return-token-keys.json');
  if (existsSync(privateFile) && existsSync(keysFile)) return { signingKey: JSON.parse(readFileSync(privateFile, 'utf8')) as ReturnSigningKey, keysFile };
  const { privateKey, publicKey } = await generateReturnKeyPair(`demo-booking-${new Date().toISOString().slice(0, 10)}`);
  writeFileSync(privateFile, JSON.stringify(privateKey, null, 2), { mode: 0o600 });
  writeFileSync(keysFile, JSON.stringify({ keys: [publicKey] }, null, 2));
  return { signingKey: privateKey, keysFile };
}

/** The simulated city's sites as the edge's return areas: a car parked on a site is returned. */
export function writeReturnAreas(dataDir: string, sites: readonly Site[]): string {
  const file = join(dataDir, 'return-areas.json');
  const areas = sites.map((site) => ({ id: site.id, kind: 'polygon', points: site.geofence.map(({ lat, lon }) => ({ lat, lon })) }));
  writeFileSync(file, JSON.stringify({ areas }, null, 2));
  return file;
}

/**
 * The same sites for the cloud's dashboard: each site's area (a circle around its centre) and,
 * inside it, its return zone (the geofence the edge judges returns by), drawn under the vehicles.
 */
export function writeDashboardMap(dataDir: string, sites: readonly Site[]): string {
  const file = join(dataDir, 'dashboard-map.json');
  const areas = sites.flatMap((site) => [
    { id: site.id, name: site.name, role: 'site', kind: 'circle', center: { lat: site.centre.lat, lon: site.centre.lon }, radiusM: Math.round(site.radiusM * 3) },
    { id: `${site.id}-return`, name: `${site.id} return zone`, role: 'return', kind: 'polygon', points: site.geofence.map(({ lat, lon }) => ({ lat, lon })) },
  ]);
  writeFileSync(file, JSON.stringify({ areas }, null, 2));
  return file;
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
