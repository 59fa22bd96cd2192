/**
 * Temp-folder buffers for the tests: each gets a fresh database file, a controllable clock and,
 * when asked, a controllable free-disk figure. Removed again by `cleanup()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import type { RecordBuffer } from '../../src/buffer/buffer.js';
import { createSqliteBuffer, type SqliteBufferOptions } from '../../src/buffer/sqlite/index.js';

export interface TestStore {
  path: string;
  clock: { t: number };
  disk: { free: number };
  open(options?: Partial<SqliteBufferOptions>): RecordBuffer;
  /** A second, read-only connection: sees only what was committed. */
  peek<T>(sql: string): T;
  cleanup(): Promise<void>;
}

export function createTestStore(): TestStore {
  const folder = mkdtempSync(join(tmpdir(), 'fleetwire-buffer-'));
  const path = join(folder, 'buffer.db');
  const clock = { t: Date.now() };
  const disk = { free: Number.MAX_SAFE_INTEGER };
  const opened: RecordBuffer[] = [];
  return {
    path,
    clock,
    disk,
    open(options = {}) {
      const buffer = createSqliteBuffer({
        path,
        now: () => clock.t,
        diskSpace: { freeBytes: async () => disk.free },
        maintenanceIntervalMs: 60_000,
        ...options,
      });
      opened.push(buffer);
      return buffer;
    },
    peek<T>(sql: string): T {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare(sql).all() as T;
      } finally {
        db.close();
      }
    },
    async cleanup() {
      for (const buffer of opened) await buffer.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh store for every test of the file, cleaned up after it: call once at the top of a test
 * file and use the result inside tests as the current test's store.
 */
export function useTestStore(): TestStore {
  let current: TestStore | undefined;
  beforeEach(() => {
    current = createTestStore();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  const active = (): TestStore => {
    if (current === undefined) throw new Error('useTestStore: the store exists only inside a test');
    return current;
  };
  return {
    get path() {
      return active().path;
    },
    get clock() {
      return active().clock;
    },
    get disk() {
      return active().disk;
    },
    open: (options) => active().open(options),
    peek: <T>(sql: string): T => active().peek<T>(sql),
    cleanup: () => active().cleanup(),
  };
}

/** Takes batches until the buffer is empty, acknowledging each; returns the ids in send order. */
export function drainIds(buffer: RecordBuffer, maxRecords = 1000): string[] {
  const ids: string[] = [];
  for (let batch = buffer.takeBatch({ maxRecords, maxBytes: 1 << 30 }); batch; batch = buffer.takeBatch({ maxRecords, maxBytes: 1 << 30 })) {
    ids.push(...batch.records.map((r) => r.id));
    buffer.acknowledge(batch);
  }
  return ids;
}
