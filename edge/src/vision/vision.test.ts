/**
 * The vision stage at start: photo folders that no stored return accounts for (the photos were
 * written, then the return's row was lost to a crash or a store failure) are deleted once older
 * than the grace period, and counted as pruned with reason `orphaned`.
 */
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSqliteBuffer } from '../buffer/sqlite/index.js';
import { startPhotoApi } from '../../test/support/photo-upload.js';
import { createSqliteVisionStore } from './store/sqlite-vision-store.js';
import { startVision } from './vision.js';

// vision.ts ORPHAN_GRACE_MS (one hour).
const ORPHAN_GRACE_MS = 3_600_000;

describe('startVision', () => {
  it('deletes photo folders without a stored return once older than the grace period, and counts them', async () => {
    const api = await startPhotoApi();
    const { dataDir, config } = api;
    await api.close();
    const photos = join(dataDir, 'photos');
    const folder = (id: string, ageMs: number): void => {
      mkdirSync(join(photos, id), { recursive: true });
      writeFileSync(join(photos, id, '0.jpg'), 'jpeg');
      const at = (Date.now() - ageMs) / 1000;
      utimesSync(join(photos, id), at, at);
    };
    const store = createSqliteVisionStore({ path: join(dataDir, 'vision.sqlite') });
    store.saveReturn({ returnId: 'RT-KEPT', bookingId: 'BK', vehicleId: 'VH-0001', verifiedAt: Date.now(), answer: {}, photoBytes: 4 }, []);
    store.close();
    folder('RT-KEPT', 2 * ORPHAN_GRACE_MS);
    folder('RT-ORPHAN', 2 * ORPHAN_GRACE_MS);
    folder('RT-RECENT', ORPHAN_GRACE_MS / 2);

    const logger = pino({ level: 'silent' });
    const registry = new Registry();
    const buffer = createSqliteBuffer({ path: join(dataDir, 'buffer.sqlite'), commitIntervalMs: 0, logger });
    const stage = await startVision({ nodeId: 'node-photos', dataDir, config, buffer, registry, logger });
    try {
      expect([existsSync(join(photos, 'RT-KEPT')), existsSync(join(photos, 'RT-ORPHAN')), existsSync(join(photos, 'RT-RECENT'))]).toEqual([true, false, true]);
      expect(await registry.metrics()).toMatch(/fleetwire_vision_photos_pruned_total\{reason="orphaned"\} 1\n/);
    } finally {
      await stage.close();
      await buffer.close();
    }
  });
});
