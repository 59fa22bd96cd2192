import { beforeAll, describe, expect, it } from 'vitest';
import { EdgeError } from '../../errors.js';
import { authenticateDevice } from './authenticate.js';
import { createDeviceRegistry, type DeviceRegistry } from './device-registry.js';
import { hashPassword } from './password-hash.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
let registry: DeviceRegistry;

beforeAll(async () => {
  registry = createDeviceRegistry({
    devices: [
      { id: 'VH-0001', kind: 'vehicle', passwordHash: await hashPassword('pw-vh-1', CHEAP) },
      { id: 'CH-0001', kind: 'charger', passwordHash: await hashPassword('pw-ch-1', CHEAP) },
      { id: 'VH-CERT', kind: 'vehicle' },
    ],
  });
});

const password = (text: string) => Buffer.from(text);

describe('authenticateDevice', () => {
  it('accepts a registered device with its password and returns its identity from the registry', async () => {
    const decision = await authenticateDevice(registry, { clientId: 'CH-0001', username: 'CH-0001', password: password('pw-ch-1') });
    expect(decision).toEqual({ ok: true, method: 'password', identity: { role: 'device', kind: 'charger', deviceId: 'CH-0001' } });
  });

  it('refuses by reason: missing credentials, unknown device, bad password', async () => {
    const cases = [
      [{ clientId: 'VH-0001' }, 'missing_credentials'],
      [{ clientId: 'VH-0001', username: 'VH-0001', password: Buffer.alloc(0) }, 'missing_credentials'],
      [{ clientId: 'VH-9999', username: 'VH-9999', password: password('pw-vh-1') }, 'unknown_device'],
      [{ clientId: 'VH-0001', username: 'VH-0001', password: password('pw-vh-2') }, 'bad_password'],
      // A certificate-only device cannot log in with a password.
      [{ clientId: 'VH-CERT', username: 'VH-CERT', password: password('anything') }, 'bad_password'],
    ] as const;
    for (const [attempt, reason] of cases) {
      expect(await authenticateDevice(registry, attempt)).toEqual({ ok: false, reason, returnCode: 5 });
    }
  });

  it("refuses a client id that could take over another device's session", async () => {
    const decision = await authenticateDevice(registry, { clientId: 'CH-0001', username: 'VH-0001', password: password('pw-vh-1') });
    expect(decision).toEqual({ ok: false, reason: 'client_id_mismatch', returnCode: 2 });
    const suffixed = await authenticateDevice(registry, { clientId: 'VH-0001:modem', username: 'VH-0001', password: password('pw-vh-1') });
    expect(suffixed.ok).toBe(true);
    const generated = await authenticateDevice(registry, { clientId: 'aedes_123', clientIdGenerated: true, username: 'VH-0001', password: password('pw-vh-1') });
    expect(generated.ok).toBe(true);
  });

  it('accepts a trusted client certificate whose CN is a registered device', async () => {
    const decision = await authenticateDevice(registry, { clientId: 'VH-CERT', certificate: { trusted: true, commonName: 'VH-CERT' } });
    expect(decision).toEqual({ ok: true, method: 'certificate', identity: { role: 'device', kind: 'vehicle', deviceId: 'VH-CERT' } });
  });

  it('refuses untrusted, unknown or contradicted certificates', async () => {
    const cases = [
      [{ clientId: 'VH-CERT', certificate: { trusted: false, commonName: 'VH-CERT' } }, 'certificate_untrusted'],
      [{ clientId: 'VH-CERT', certificate: { trusted: true } }, 'certificate_untrusted'],
      [{ clientId: 'VH-7777', certificate: { trusted: true, commonName: 'VH-7777' } }, 'unknown_device'],
      [{ clientId: 'VH-CERT', username: 'VH-0001', password: password('pw-vh-1'), certificate: { trusted: true, commonName: 'VH-CERT' } }, 'certificate_mismatch'],
    ] as const;
    for (const [attempt, reason] of cases) {
      expect(await authenticateDevice(registry, attempt)).toMatchObject({ ok: false, reason });
    }
  });
});

describe('device registry', () => {
  it('lists every problem of an invalid registry at once', () => {
    const invalid = {
      devices: [
        { id: 'bad id', kind: 'vehicle' },
        { id: 'VH-1', kind: 'scooter' },
        { id: 'VH-2', kind: 'vehicle', passwordHash: 'plaintext' },
        { id: 'VH-3', kind: 'vehicle' },
        { id: 'VH-3', kind: 'vehicle' },
      ],
    };
    let error: unknown;
    try {
      createDeviceRegistry(invalid);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EdgeError);
    expect((error as EdgeError).code).toBe('FW_CREDENTIALS_INVALID');
    const message = (error as EdgeError).message;
    for (const fragment of ['devices[0].id', 'devices[1].kind', 'devices[2].passwordHash', 'devices[4].id: VH-3 is listed twice']) {
      expect(message).toContain(fragment);
    }
  });

  it('refuses a file without a devices list', () => {
    expect(() => createDeviceRegistry({ vehicles: [] })).toThrow(/expected \{ "devices"/);
  });
});
