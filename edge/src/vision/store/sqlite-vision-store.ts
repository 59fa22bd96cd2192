/**
 * The vision store in its own SQLite file (`{dataDir}/vision.sqlite`), apart from the record
 * buffer: different life cycle (kept for months, never uplinked) and no share of the buffer's
 * quota. WAL with synchronous = NORMAL: a commit survives a process crash; a power cut may lose
 * the last returns' rows, in which case a repeated upload is verified again and produces the
 * same event ids (return-events.ts), which the buffer drops as duplicates.
 *
 * Tables (schema version in PRAGMA user_version; indexes in MIGRATIONS):
 *   returns            return_id PK, booking_id, vehicle_id, verified_at, answer (JSON),
 *                      photo_bytes, photos_pruned_at (NULL while the photos are on disk)
 *   photo_hashes       photo_id PK, return_id, hash (64 hex), seen_at, orientation (EXIF
 *                      orientation of the stored file, 1–8; NULL for rows of schema 1, whose
 *                      files were stored upright)
 *   vehicle_positions  vehicle_id PK, lat, lon, reported_at (device time), received_at
 */
import type Database from 'better-sqlite3';
import { EdgeError } from '../../errors.js';
import { openSqliteFile } from '../../sqlite-file.js';
import type { KnownPhotoHash, SavedPhoto, StoredPhotoSet, StoredPosition, VerifiedReturn, VisionStore } from './vision-store.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE returns (
    return_id        TEXT    PRIMARY KEY,
    booking_id       TEXT    NOT NULL,
    vehicle_id       TEXT    NOT NULL,
    verified_at      INTEGER NOT NULL,
    answer           TEXT    NOT NULL,
    photo_bytes      INTEGER NOT NULL,
    photos_pruned_at INTEGER
  ) STRICT;
  CREATE INDEX returns_stored ON returns (verified_at) WHERE photos_pruned_at IS NULL;
  CREATE TABLE photo_hashes (
    photo_id  TEXT    PRIMARY KEY,
    return_id TEXT    NOT NULL,
    hash      TEXT    NOT NULL,
    seen_at   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX photo_hashes_seen ON photo_hashes (seen_at);
  CREATE TABLE vehicle_positions (
    vehicle_id  TEXT    PRIMARY KEY,
    lat         REAL    NOT NULL,
    lon         REAL    NOT NULL,
    reported_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL
  ) STRICT;
  `,
  // Stored JPEGs keep their image data as uploaded (metadata cut, not re-encoded): the EXIF
  // orientation they lost is kept here.
  'ALTER TABLE photo_hashes ADD COLUMN orientation INTEGER;',
  // Retention runs after every verified return: it reads the oldest stored returns in index
  // order (verified_at, then return_id, no sort of the whole history) and forgets pruned ones
  // by an index of their own.
  `
  DROP INDEX returns_stored;
  CREATE INDEX returns_stored ON returns (verified_at, return_id) WHERE photos_pruned_at IS NULL;
  CREATE INDEX returns_pruned ON returns (verified_at) WHERE photos_pruned_at IS NOT NULL;
  `,
];

interface ReturnRow { return_id: string; booking_id: string; vehicle_id: string; verified_at: number; answer: string; photo_bytes: number }
interface HashRow { photo_id: string; return_id: string; hash: string; seen_at: number }
interface PositionRow { vehicle_id: string; lat: number; lon: number; reported_at: number; received_at: number }

export function createSqliteVisionStore(options: { path: string }): VisionStore {
  const db = open(options.path);
  const insertReturn = db.prepare(
    `INSERT INTO returns (return_id, booking_id, vehicle_id, verified_at, answer, photo_bytes) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (return_id) DO UPDATE SET verified_at = excluded.verified_at, answer = excluded.answer, photo_bytes = excluded.photo_bytes, photos_pruned_at = NULL`,
  );
  const insertHash = db.prepare('INSERT OR REPLACE INTO photo_hashes (photo_id, return_id, hash, seen_at, orientation) VALUES (?, ?, ?, ?, ?)');
  const upsertPosition = db.prepare(
    `INSERT INTO vehicle_positions (vehicle_id, lat, lon, reported_at, received_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (vehicle_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, reported_at = excluded.reported_at, received_at = excluded.received_at
     WHERE excluded.reported_at >= vehicle_positions.reported_at`,
  );
  const storedBytesOf = db.prepare('SELECT photo_bytes FROM returns WHERE return_id = ? AND photos_pruned_at IS NULL').pluck();
  const markPruned = db.prepare('UPDATE returns SET photos_pruned_at = ?, photo_bytes = 0 WHERE return_id = ? AND photos_pruned_at IS NULL');
  const selectStored = db.prepare('SELECT return_id, verified_at, photo_bytes FROM returns WHERE photos_pruned_at IS NULL ORDER BY verified_at, return_id');
  // The bytes on disk, summed once at open and then kept by every change of a row's photos.
  let storedBytes = db.prepare('SELECT COALESCE(SUM(photo_bytes), 0) FROM returns WHERE photos_pruned_at IS NULL').pluck().get() as number;
  // A known return's photo bytes still on disk (0 once pruned); undefined for a new return.
  const knownBytesOf = db.prepare('SELECT CASE WHEN photos_pruned_at IS NULL THEN photo_bytes ELSE 0 END FROM returns WHERE return_id = ?').pluck();
  /** Each returns the change of the stored bytes, applied once its transaction committed. */
  const saveReturn = db.transaction((entry: VerifiedReturn, photos: readonly SavedPhoto[]): { bytes: number; again: boolean } => {
    const replaced = knownBytesOf.get(entry.returnId) as number | undefined;
    insertReturn.run(entry.returnId, entry.bookingId, entry.vehicleId, entry.verifiedAt, JSON.stringify(entry.answer), entry.photoBytes);
    for (const p of photos) insertHash.run(p.photoId, p.returnId, p.hash, p.seenAt, p.orientation ?? null);
    return { bytes: entry.photoBytes - (replaced ?? 0), again: replaced !== undefined };
  });
  const savePositions = db.transaction((positions: readonly StoredPosition[]) => {
    for (const p of positions) upsertPosition.run(p.vehicleId, p.lat, p.lon, p.reportedAt, p.receivedAt);
  });
  const markPhotosPruned = db.transaction((returnIds: readonly string[], at: number): number => {
    let freed = 0;
    for (const id of returnIds) {
      freed += (storedBytesOf.get(id) as number | undefined) ?? 0;
      markPruned.run(at, id);
    }
    return freed;
  });

  // Every return compares its photos with all known hashes: they are mirrored in memory
  // (64 hex digits and two ids each: ~10 MB for a year of a busy site).
  let hashes: KnownPhotoHash[] = (db.prepare('SELECT photo_id, return_id, hash, seen_at FROM photo_hashes ORDER BY seen_at, photo_id').all() as HashRow[])
    .map((r) => ({ photoId: r.photo_id, returnId: r.return_id, hash: r.hash, seenAt: r.seen_at }));

  return {
    photoHashes: () => hashes,
    findReturn(returnId) {
      const row = db.prepare('SELECT return_id, booking_id, vehicle_id, verified_at, answer, photo_bytes FROM returns WHERE return_id = ?').get(returnId) as ReturnRow | undefined;
      if (row === undefined) return undefined;
      return {
        returnId: row.return_id, bookingId: row.booking_id, vehicleId: row.vehicle_id,
        verifiedAt: row.verified_at, answer: JSON.parse(row.answer) as unknown, photoBytes: row.photo_bytes,
      };
    },
    saveReturn(entry, photos) {
      const saved = saveReturn(entry, photos);
      storedBytes += saved.bytes;
      const added = photos.map((p): KnownPhotoHash => ({ photoId: p.photoId, returnId: p.returnId, hash: p.hash, seenAt: p.seenAt }));
      // A return verified again replaces its hashes; a new one (nearly every return) only adds
      // them, without copying a year of hashes. (A return's row outlives its hashes: forgotten
      // rows have no hashes left to replace.)
      if (saved.again) {
        const replaced = new Set(photos.map((p) => p.photoId));
        hashes = [...hashes.filter((h) => !replaced.has(h.photoId)), ...added];
      } else {
        hashes.push(...added);
      }
    },
    photoOrientations(returnId) {
      const rows = db.prepare('SELECT photo_id, orientation FROM photo_hashes WHERE return_id = ? ORDER BY photo_id').all(returnId) as Array<{ photo_id: string; orientation: number | null }>;
      return new Map(rows.map((r) => [r.photo_id, r.orientation]));
    },
    positions: () =>
      (db.prepare('SELECT vehicle_id, lat, lon, reported_at, received_at FROM vehicle_positions').all() as PositionRow[])
        .map((r) => ({ vehicleId: r.vehicle_id, lat: r.lat, lon: r.lon, reportedAt: r.reported_at, receivedAt: r.received_at })),
    savePositions: (positions) => savePositions(positions),
    *storedPhotoSets() {
      for (const r of selectStored.iterate() as IterableIterator<ReturnRow>) yield { returnId: r.return_id, verifiedAt: r.verified_at, photoBytes: r.photo_bytes } satisfies StoredPhotoSet;
    },
    storedPhotoBytes: () => storedBytes,
    markPhotosPruned(returnIds, at) {
      storedBytes -= markPhotosPruned(returnIds, at);
    },
    forgetBefore(cutoff) {
      // A return whose photos are still on disk stays: retention must find them to delete them.
      const returns = db.prepare('DELETE FROM returns WHERE verified_at < ? AND photos_pruned_at IS NOT NULL').run(cutoff).changes;
      const forgotten = db.prepare('DELETE FROM photo_hashes WHERE seen_at < ?').run(cutoff).changes;
      if (forgotten > 0) hashes = hashes.filter((h) => h.seenAt >= cutoff);
      return { returns, hashes: forgotten };
    },
    close: () => db.close(),
  };
}

function open(path: string): Database.Database {
  return openSqliteFile({
    path,
    what: 'vision store',
    code: 'FW_VISION_STORE_FAILED',
    prepare(db) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current > MIGRATIONS.length) {
        throw new EdgeError('FW_VISION_STORE_FAILED', `vision store ${path} has schema ${current}, newer than this agent (${MIGRATIONS.length})`);
      }
      db.transaction(() => {
        for (let v = current; v < MIGRATIONS.length; v += 1) db.exec(MIGRATIONS[v] as string);
        db.pragma(`user_version = ${MIGRATIONS.length}`);
      })();
    },
  });
}
