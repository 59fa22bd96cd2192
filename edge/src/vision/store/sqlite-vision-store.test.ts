import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createVehiclePositions } from '../returns/vehicle-positions.js';
import { vehicleAt } from '../../../test/support/photos.js';
import { createSqliteVisionStore } from './sqlite-vision-store.js';

const path = (): string => join(mkdtempSync(join(tmpdir(), 'fw-vision-store-')), 'vision.sqlite');
const entry = (returnId: string, verifiedAt: number, photoBytes = 100) => ({ returnId, bookingId: 'BK-1', vehicleId: 'VH-1', verifiedAt, answer: { verdict: 'accepted', returnId }, photoBytes });
const hash = (photoId: string, value: string, seenAt: number) => ({ photoId, returnId: photoId.split('/')[0] as string, hash: value, seenAt });

describe('sqlite vision store', () => {
  it('keeps returns and photo hashes across a reopen', () => {
    const file = path();
    const store = createSqliteVisionStore({ path: file });
    store.saveReturn(entry('RT-1', 1000), [hash('RT-1/0', '00000000000000ff', 1000), hash('RT-1/1', '000000000000ff00', 1000)]);
    expect(store.photoHashes()).toHaveLength(2);
    store.close();
    const reopened = createSqliteVisionStore({ path: file });
    expect(reopened.photoHashes().map((h) => h.photoId)).toEqual(['RT-1/0', 'RT-1/1']);
    expect(reopened.findReturn('RT-1')).toEqual(entry('RT-1', 1000));
    expect(reopened.findReturn('RT-2')).toBeUndefined();
    // Verifying the same return again replaces its hashes instead of doubling them.
    reopened.saveReturn(entry('RT-1', 2000), [hash('RT-1/0', '00000000000000aa', 2000)]);
    expect(reopened.photoHashes().map((h) => [h.photoId, h.hash])).toEqual([['RT-1/1', '000000000000ff00'], ['RT-1/0', '00000000000000aa']]);
    reopened.close();
  });

  it('keeps the orientation of each stored photo, and upgrades a store of schema 1 (photos stored upright)', () => {
    const file = path();
    const old = new Database(file);
    old.exec(`CREATE TABLE returns (return_id TEXT PRIMARY KEY, booking_id TEXT NOT NULL, vehicle_id TEXT NOT NULL, verified_at INTEGER NOT NULL,
                answer TEXT NOT NULL, photo_bytes INTEGER NOT NULL, photos_pruned_at INTEGER) STRICT;
              CREATE INDEX returns_stored ON returns (verified_at) WHERE photos_pruned_at IS NULL;
              CREATE TABLE photo_hashes (photo_id TEXT PRIMARY KEY, return_id TEXT NOT NULL, hash TEXT NOT NULL, seen_at INTEGER NOT NULL) STRICT;
              CREATE INDEX photo_hashes_seen ON photo_hashes (seen_at);
              CREATE TABLE vehicle_positions (vehicle_id TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL, reported_at INTEGER NOT NULL, received_at INTEGER NOT NULL) STRICT;
              INSERT INTO photo_hashes VALUES ('RT-0/0', 'RT-0', '00000000000000ff', 500);
              PRAGMA user_version = 1;`);
    old.close();
    const store = createSqliteVisionStore({ path: file });
    store.saveReturn(entry('RT-1', 1000), [{ ...hash('RT-1/0', '00000000000000aa', 1000), orientation: 6 }, { ...hash('RT-1/1', '00000000000000bb', 1000), orientation: 1 }]);
    expect(store.photoOrientations('RT-1')).toEqual(new Map([['RT-1/0', 6], ['RT-1/1', 1]]));
    expect(store.photoOrientations('RT-0')).toEqual(new Map([['RT-0/0', null]]));
    // The in-memory hashes stay lean.
    expect(store.photoHashes().map((h) => Object.keys(h).sort())).toEqual(Array(3).fill(['hash', 'photoId', 'returnId', 'seenAt']));
    store.close();
  });

  it('lists stored photo sets oldest first and forgets only pruned returns and old hashes', () => {
    const store = createSqliteVisionStore({ path: path() });
    store.saveReturn(entry('RT-B', 2000, 20), [hash('RT-B/0', '1111111111111111', 2000)]);
    store.saveReturn(entry('RT-A', 1000, 10), [hash('RT-A/0', '2222222222222222', 1000)]);
    expect([...store.storedPhotoSets()]).toEqual([{ returnId: 'RT-A', verifiedAt: 1000, photoBytes: 10 }, { returnId: 'RT-B', verifiedAt: 2000, photoBytes: 20 }]);
    store.markPhotosPruned(['RT-A'], 3000);
    expect(Array.from(store.storedPhotoSets(), (s) => s.returnId)).toEqual(['RT-B']);
    expect(store.forgetBefore(2500)).toEqual({ returns: 1, hashes: 2 });
    expect(store.findReturn('RT-A')).toBeUndefined();
    // RT-B's photos are still on disk: its row stays so retention can find them.
    expect(store.findReturn('RT-B')).toBeDefined();
    expect(store.photoHashes()).toEqual([]);
    store.close();
  });

  it('keeps the total of stored photo bytes through new, repeated and pruned returns, and across a reopen', () => {
    const file = path();
    const store = createSqliteVisionStore({ path: file });
    expect(store.storedPhotoBytes()).toBe(0);
    store.saveReturn(entry('RT-A', 1000, 10), []);
    store.saveReturn(entry('RT-B', 2000, 20), []);
    // Verified again: its new photos replace the earlier ones.
    store.saveReturn(entry('RT-A', 3000, 15), []);
    expect(store.storedPhotoBytes()).toBe(35);
    store.markPhotosPruned(['RT-B', 'RT-B', 'RT-UNKNOWN'], 4000);
    expect(store.storedPhotoBytes()).toBe(15);
    // A pruned return verified again has its photos on disk again.
    store.saveReturn(entry('RT-B', 5000, 7), []);
    expect(store.storedPhotoBytes()).toBe(22);
    store.close();
    const reopened = createSqliteVisionStore({ path: file });
    expect(reopened.storedPhotoBytes()).toBe(22);
    expect([...reopened.storedPhotoSets()].reduce((sum, s) => sum + s.photoBytes, 0)).toBe(22);
    reopened.close();
  });

  it('keeps each vehicle at its newest position by device time, across a restart', () => {
    const file = path();
    const store = createSqliteVisionStore({ path: file });
    const positions = createVehiclePositions({ store, flushIntervalMs: 60_000 });
    positions.observe(vehicleAt('VH-1', { lat: 52.5, lon: 13.4 }, 2000, 2));
    positions.observe(vehicleAt('VH-1', { lat: 10, lon: 10 }, 1000, 1));
    expect(positions.get('VH-1')).toEqual({ point: { lat: 52.5, lon: 13.4 }, reportedAt: 2000 });
    expect(positions.get('VH-2')).toBeUndefined();
    positions.close();
    store.close();

    const reopened = createSqliteVisionStore({ path: file });
    const again = createVehiclePositions({ store: reopened });
    expect(again.get('VH-1')).toEqual({ point: { lat: 52.5, lon: 13.4 }, reportedAt: 2000 });
    // An older position flushed late does not overwrite a newer stored one.
    reopened.savePositions([{ vehicleId: 'VH-1', lat: 1, lon: 1, reportedAt: 1500, receivedAt: 1500 }]);
    expect(reopened.positions()[0]).toMatchObject({ lat: 52.5, reportedAt: 2000 });
    again.close();
    reopened.close();
  });
});
