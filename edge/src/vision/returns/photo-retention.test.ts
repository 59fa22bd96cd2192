import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAY_MS as DAY } from '@fleetwire/protocol';
import { createSqliteVisionStore } from '../store/sqlite-vision-store.js';
import { choosePhotosToPrune, createPhotoRetention } from './photo-retention.js';
import { createFolderPhotoStore } from './photo-store.js';

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(done()).toBe(true);
}

const set = (returnId: string, verifiedAt: number, photoBytes: number) => ({ returnId, verifiedAt, photoBytes });

describe('choosePhotosToPrune', () => {
  it('prunes returns past the age limit, then the oldest while over the byte limit', () => {
    const sets = [set('A', 0, 10), set('B', 5 * DAY, 10), set('C', 9 * DAY, 10), set('D', 10 * DAY, 10)];
    expect(choosePhotosToPrune(sets, 40, 10 * DAY, { photoMaxAgeMs: 7 * DAY, photoMaxBytes: 1000 })).toEqual([{ returnId: 'A', reason: 'age', photoBytes: 10 }]);
    expect(choosePhotosToPrune(sets, 40, 10 * DAY, { photoMaxAgeMs: 7 * DAY, photoMaxBytes: 15 }).map((c) => [c.returnId, c.reason])).toEqual([['A', 'age'], ['B', 'bytes'], ['C', 'bytes']]);
    expect(choosePhotosToPrune(sets, 40, 10 * DAY, { photoMaxAgeMs: 30 * DAY, photoMaxBytes: 40 })).toEqual([]);
    expect(choosePhotosToPrune([], 0, 0, { photoMaxAgeMs: 1, photoMaxBytes: 0 })).toEqual([]);
  });

  it('takes the sets only up to the first one it keeps', () => {
    let taken = 0;
    function* sets() {
      for (let i = 0; i < 10_000; i++) {
        taken += 1;
        yield set(`R${i}`, i * DAY, 10);
      }
    }
    expect(choosePhotosToPrune(sets(), 100_000, 10_003 * DAY, { photoMaxAgeMs: 10_000 * DAY, photoMaxBytes: 1 << 20 }).map((c) => c.returnId)).toEqual(['R0', 'R1', 'R2']);
    expect(taken).toBe(4);
  });
});

describe('photo retention', () => {
  it('deletes pruned folders, marks them in the store and reports the bytes left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-retention-'));
    const store = createSqliteVisionStore({ path: join(dir, 'vision.sqlite') });
    const photos = createFolderPhotoStore({ dir: join(dir, 'photos') });
    await photos.sweep();
    let now = 0;
    for (const [returnId, at] of [['RT-OLD', 0], ['RT-NEW', 5 * DAY]] as const) {
      const bytes = await photos.save(returnId, [Buffer.alloc(100, 1), Buffer.alloc(50, 2)]);
      store.saveReturn({ returnId, bookingId: 'BK', vehicleId: 'VH', verifiedAt: at, answer: {}, photoBytes: bytes }, []);
    }
    const passes: number[] = [];
    const retention = createPhotoRetention({
      store, photos, intervalMs: 60_000, now: () => now,
      policy: { photoMaxAgeMs: 3 * DAY, photoMaxBytes: 1 << 20, hashMaxAgeMs: 30 * DAY },
      onPass: ({ storedBytes }) => passes.push(storedBytes),
    });
    now = 1 * DAY;
    expect(await retention.run()).toBe(300);
    now = 6 * DAY;
    expect(await retention.run()).toBe(150);
    expect(existsSync(join(dir, 'photos', 'RT-OLD'))).toBe(false);
    expect(existsSync(join(dir, 'photos', 'RT-NEW', '1.jpg'))).toBe(true);
    expect(Array.from(store.storedPhotoSets(), (s) => s.returnId)).toEqual(['RT-NEW']);
    expect(passes).toEqual([300, 150]);
    await retention.close();
    store.close();
  });

  it('reads, after each return, the returns it prunes and one more — not the whole history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-retention-history-'));
    const store = createSqliteVisionStore({ path: join(dir, 'vision.sqlite') });
    // A year of returns, 100 bytes of photos each, one a minute apart; photos kept 300 days.
    const MINUTE = 60_000;
    for (let i = 0; i < 5000; i++) store.saveReturn({ returnId: `RT-${i}`, bookingId: 'BK', vehicleId: 'VH', verifiedAt: i * MINUTE, answer: {}, photoBytes: 100 }, []);
    let read = 0;
    const removed: string[] = [];
    const counted = {
      ...store,
      *storedPhotoSets() {
        for (const s of store.storedPhotoSets()) {
          read += 1;
          yield s;
        }
      },
    };
    const now = 300 * DAY + 2.5 * MINUTE;
    const retention = createPhotoRetention({
      store: counted, photos: { remove: async (id) => void removed.push(id) }, intervalMs: 60_000, now: () => now,
      policy: { photoMaxAgeMs: 300 * DAY, photoMaxBytes: 499_650, hashMaxAgeMs: 400 * DAY },
    });
    // Past the age limit: RT-0..2; then over the byte limit by one return: RT-3.
    expect(await retention.run()).toBe(499_600);
    expect(removed).toEqual(['RT-0', 'RT-1', 'RT-2', 'RT-3']);
    expect(read).toBe(5);
    // The next return puts the photos over the limit again: the oldest goes.
    read = 0;
    store.saveReturn({ returnId: 'RT-NEXT', bookingId: 'BK', vehicleId: 'VH', verifiedAt: now, answer: {}, photoBytes: 100 }, []);
    expect(await retention.run()).toBe(499_600);
    expect(removed.slice(4)).toEqual(['RT-4']);
    expect(read).toBe(2);
    // Nothing to do: one return read.
    read = 0;
    expect(await retention.run()).toBe(499_600);
    expect(read).toBe(1);
    expect(Array.from(store.storedPhotoSets())).toHaveLength(4996);
    await retention.close();
    store.close();
  });

  it('replaces a return folder whole and sweeps staging left by a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-photo-store-'));
    const photos = createFolderPhotoStore({ dir });
    await photos.save('RT-1', [Buffer.alloc(10), Buffer.alloc(10), Buffer.alloc(10)]);
    await photos.save('RT-1', [Buffer.alloc(10)]);
    expect(existsSync(join(dir, 'RT-1', '0.jpg')) && !existsSync(join(dir, 'RT-1', '1.jpg'))).toBe(true);
    await expect(photos.save('../escape', [Buffer.alloc(1)])).rejects.toMatchObject({ code: 'FW_VISION_STORE_FAILED' });
    mkdirSync(join(dir, '.staging-RT-2-deadbeef'));
    await photos.sweep();
    expect(readdirSync(dir)).toEqual(['RT-1']);
  });

  it('stages photos one by one: on disk before commit, in place only after it; a discarded or failed set leaves nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-photo-staging-'));
    const photos = createFolderPhotoStore({ dir });
    await photos.save('RT-1', [Buffer.alloc(10), Buffer.alloc(10)]);
    const staged = photos.stage('RT-1');
    staged.write(0, Buffer.alloc(7, 1));
    await waitUntil(() => readdirSync(dir).some((name) => name.startsWith('.staging-RT-1-') && existsSync(join(dir, name, '0.jpg'))));
    // Until the commit, the return's photos are the earlier set.
    expect(readdirSync(join(dir, 'RT-1')).sort()).toEqual(['0.jpg', '1.jpg']);
    staged.write(1, Buffer.alloc(5, 2));
    expect(await staged.commit()).toBe(12);
    expect(readdirSync(dir)).toEqual(['RT-1']);
    expect(readFileSync(join(dir, 'RT-1', '1.jpg'))).toEqual(Buffer.alloc(5, 2));

    const dropped = photos.stage('RT-2');
    dropped.write(0, Buffer.alloc(3));
    await dropped.discard();
    // A write that fails (its folder gone under it) fails the commit, which cleans up.
    const failing = photos.stage('RT-3');
    failing.write(0, Buffer.alloc(3));
    await waitUntil(() => readdirSync(dir).some((name) => name.startsWith('.staging-RT-3-')));
    for (const name of readdirSync(dir).filter((n) => n.startsWith('.staging-RT-3-'))) rmSync(join(dir, name), { recursive: true, force: true });
    failing.write(1, Buffer.alloc(3));
    await expect(failing.commit()).rejects.toMatchObject({ code: 'FW_VISION_STORE_FAILED' });
    expect(readdirSync(dir)).toEqual(['RT-1']);
  });

  it('sweeps photo folders no stored return accounts for, once older than the grace period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-photo-orphans-'));
    const photos = createFolderPhotoStore({ dir });
    for (const id of ['RT-KEPT', 'RT-ORPHAN', 'RT-FRESH']) await photos.save(id, [Buffer.alloc(10)]);
    const hourAgo = (Date.now() - 2 * 3_600_000) / 1000;
    for (const id of ['RT-KEPT', 'RT-ORPHAN']) utimesSync(join(dir, id), hourAgo, hourAgo);
    writeFileSync(join(dir, 'notes.txt'), 'not a return');
    utimesSync(join(dir, 'notes.txt'), hourAgo, hourAgo);
    expect(await photos.sweep()).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['RT-FRESH', 'RT-KEPT', 'RT-ORPHAN', 'notes.txt']);
    const removed = await photos.sweep({ keep: (id) => id === 'RT-KEPT', graceMs: 3_600_000 });
    expect(removed).toEqual(['RT-ORPHAN']);
    expect(readdirSync(dir).sort()).toEqual(['RT-FRESH', 'RT-KEPT', 'notes.txt']);
  });
});
