import { describe, expect, it } from 'vitest';
import { createDeviceRegistry, staleDevices } from './device-registry.js';

const HASH_A = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
const HASH_B = 'scrypt$16384$8$1$b3RoZXJzYWx0b3RoZXJzYQ$b3RoZXJoYXNob3RoZXJoYXNob3RoZXJoYXNob3RoZXI';
const registry = (devices: unknown[]) => createDeviceRegistry({ devices });

describe('staleDevices', () => {
  it('names the devices removed or changed (kind, password) — not the unchanged or the new ones', () => {
    const before = registry([
      { id: 'VH-1', kind: 'vehicle', passwordHash: HASH_A },
      { id: 'VH-2', kind: 'vehicle', passwordHash: HASH_A },
      { id: 'VH-3', kind: 'vehicle', passwordHash: HASH_A },
      { id: 'CH-1', kind: 'charger' },
    ]);
    const after = registry([
      { id: 'VH-1', kind: 'vehicle', passwordHash: HASH_A },
      { id: 'VH-2', kind: 'vehicle', passwordHash: HASH_B },
      { id: 'CH-1', kind: 'vehicle' },
      { id: 'VH-9', kind: 'vehicle', passwordHash: HASH_A },
    ]);
    expect([...staleDevices(before, after)].sort()).toEqual(['CH-1', 'VH-2', 'VH-3']);
    expect(staleDevices(before, before).size).toBe(0);
  });
});
