/**
 * synchronous = full with the fsync off the event loop (wal-sync.ts, group-commit.ts): an append
 * resolves only after an fsync of the WAL that began once its transaction had committed, also
 * when its COMMIT ran during the previous group's fsync. The fsync is held by the test
 * (`fileSync`), so the order is observed, not timed.
 */
import { copyFileSync, fdatasync, fstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { eventRecord, telemetryRecord } from '../../../test/support/telemetry-records.js';
import { useTestStore } from '../../../test/support/buffer-store.js';
import type { FileSync } from './options.js';

const store = useTestStore();

const storedIds = () => store.peek<{ id: string }[]>('SELECT id FROM records ORDER BY seq').map((row) => row.id);

/** An fsync the test completes by hand; each call remembers which records were committed when it began. */
function heldSync() {
  const calls: Array<{ committedAtStart: string[]; finish(error?: Error): void }> = [];
  const fileSync: FileSync = {
    sync: () =>
      new Promise<void>((resolve, reject) => {
        calls.push({ committedAtStart: storedIds(), finish: (error) => (error ? reject(error) : resolve()) });
      }),
  };
  return { fileSync, calls };
}

/**
 * A disk the test fsyncs by hand: each fdatasync really runs when the test finishes it and makes
 * durable the WAL bytes written before it began. `powerCut` copies the database as a power cut
 * would leave it — the WAL cut at the last durable length — and returns the ids stored there.
 */
function walOnDisk(path: string) {
  const folder = mkdtempSync(join(tmpdir(), 'fleetwire-power-cut-'));
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  let durable = 0;
  const calls: Array<{ finish(): Promise<void> }> = [];
  const fileSync: FileSync = {
    sync: (fd) =>
      new Promise<void>((resolve, reject) => {
        const length = fstatSync(fd).size;
        calls.push({
          finish: async () => {
            try {
              await promisify(fdatasync)(fd);
              durable = length;
              resolve();
            } catch (error) {
              reject(error as Error);
            }
          },
        });
      }),
  };
  const powerCut = (): string[] => {
    const copy = join(folder, `cut-${calls.length}.db`);
    copyFileSync(path, copy);
    writeFileSync(`${copy}-wal`, readFileSync(`${path}-wal`).subarray(0, durable));
    const db = new Database(copy, { readonly: true });
    try {
      return (db.prepare('SELECT id FROM records ORDER BY seq').all() as Array<{ id: string }>).map((row) => row.id);
    } finally {
      db.close();
    }
  };
  return { fileSync, calls, powerCut };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Lets timers, immediates and promise callbacks run. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 20));

function track(promise: Promise<void>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => (state.settled = true),
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

describe('sqlite buffer: commit durable before append resolves', () => {
  it('resolves an append only after the WAL fsync that began after its commit', async () => {
    const { fileSync, calls } = heldSync();
    const buffer = store.open({ commitIntervalMs: 0, fileSync });
    const append = track(buffer.append([telemetryRecord(1)]));
    while (calls.length === 0) await turn();
    expect(calls[0]!.committedAtStart).toEqual(['VH-0001:b1:1']);
    await turn();
    expect(append.settled).toBe(false);
    calls[0]!.finish();
    await turn();
    expect(append).toEqual({ settled: true, error: undefined });
    expect(calls).toHaveLength(1);
  });

  it('commits what arrives during an fsync without waiting for it, and settles it only after the next fsync', async () => {
    const { fileSync, calls } = heldSync();
    const buffer = store.open({ commitIntervalMs: 0, fileSync });
    const first = track(buffer.append([telemetryRecord(1)]));
    while (calls.length === 0) await turn();
    const waiting = [2, 3, 4].map((seq) => track(buffer.append([telemetryRecord(seq)])));
    await turn();
    // Committed while the disk is busy (a COMMIT only appends to the WAL), but one fsync at a time.
    expect(storedIds()).toEqual(['VH-0001:b1:1', 'VH-0001:b1:2', 'VH-0001:b1:3', 'VH-0001:b1:4']);
    expect(calls).toHaveLength(1);
    calls[0]!.finish();
    await turn();
    // The fsync under way began before their COMMIT: it settles only the first append.
    expect(first).toEqual({ settled: true, error: undefined });
    expect(waiting.map((w) => w.settled)).toEqual([false, false, false]);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.committedAtStart).toEqual(['VH-0001:b1:1', 'VH-0001:b1:2', 'VH-0001:b1:3', 'VH-0001:b1:4']);
    calls[1]!.finish();
    await turn();
    expect(waiting.map((w) => w.settled && w.error === undefined)).toEqual([true, true, true]);
    expect(calls).toHaveLength(2);
  });

  it('refuses what was committed during a failed fsync too: its WAL frames follow ones that may be lost', async () => {
    const { fileSync, calls } = heldSync();
    const buffer = store.open({ commitIntervalMs: 0, fileSync });
    const first = track(buffer.append([telemetryRecord(1)]));
    while (calls.length === 0) await turn();
    const second = track(buffer.append([telemetryRecord(2)]));
    await turn();
    calls[0]!.finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await turn();
    expect(first.error).toMatchObject({ code: 'FW_BUFFER_WRITE_FAILED', canRetry: true });
    expect(second.error).toMatchObject({ code: 'FW_BUFFER_WRITE_FAILED', canRetry: true });
    expect(calls).toHaveLength(1);
  });

  it('a power cut after the second COMMIT and before its fsync loses no append that resolved', async () => {
    const disk = walOnDisk(store.path);
    const buffer = store.open({ commitIntervalMs: 0, fileSync: disk.fileSync });
    const first = track(buffer.append([telemetryRecord(1)]));
    while (disk.calls.length === 0) await turn();
    const second = track(buffer.append([telemetryRecord(2), telemetryRecord(3)]));
    await turn();
    expect(storedIds()).toEqual(['VH-0001:b1:1', 'VH-0001:b1:2', 'VH-0001:b1:3']);
    await disk.calls[0]!.finish();
    await turn();
    expect([first.settled, second.settled]).toEqual([true, false]);
    // The cut: only the WAL prefix an fsync covered survives.
    expect(disk.powerCut()).toEqual(['VH-0001:b1:1']);
    expect(disk.calls).toHaveLength(2);
    await disk.calls[1]!.finish();
    await turn();
    expect(second).toEqual({ settled: true, error: undefined });
    expect(disk.powerCut()).toEqual(['VH-0001:b1:1', 'VH-0001:b1:2', 'VH-0001:b1:3']);
  });

  it('rejects the appends of a failed fsync as retryable; their re-send is a duplicate if the commit survived', async () => {
    const { fileSync, calls } = heldSync();
    const buffer = store.open({ commitIntervalMs: 0, fileSync });
    const append = track(buffer.append([telemetryRecord(1)]));
    while (calls.length === 0) await turn();
    calls[0]!.finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await turn();
    expect(append.error).toMatchObject({ code: 'FW_BUFFER_WRITE_FAILED', canRetry: true });
    const resend = track(buffer.append([telemetryRecord(1)]));
    while (calls.length === 1) await turn();
    calls[1]!.finish();
    await turn();
    expect(resend).toEqual({ settled: true, error: undefined });
    expect(storedIds()).toEqual(['VH-0001:b1:1']);
    expect(buffer.stats().ledger.duplicate).toBe(1);
  });

  it('commits a group holding a critical record on the next turn, not after the commit interval', async () => {
    const { fileSync, calls } = heldSync();
    const buffer = store.open({ commitIntervalMs: 10_000, fileSync });
    const telemetry = track(buffer.append([telemetryRecord(1)]));
    await turn();
    // Telemetry waits for the interval (10 s here): nothing committed yet.
    expect(storedIds()).toEqual([]);
    const critical = eventRecord(2, 'critical');
    const verdict = track(buffer.append([critical]));
    await turn();
    expect(calls).toHaveLength(1);
    // The critical record took the waiting telemetry along in its group, one commit, one fsync.
    expect(calls[0]!.committedAtStart).toEqual(['VH-0001:b1:1', critical.id]);
    calls[0]!.finish();
    await turn();
    expect([telemetry, verdict]).toEqual([{ settled: true, error: undefined }, { settled: true, error: undefined }]);
  });

  it('with synchronous = normal, resolves at the commit and never fsyncs', async () => {
    const { fileSync, calls } = heldSync();
    const buffer = store.open({ commitIntervalMs: 0, synchronous: 'normal', fileSync });
    await buffer.append([telemetryRecord(1)]);
    expect(storedIds()).toEqual(['VH-0001:b1:1']);
    expect(calls).toHaveLength(0);
  });

  it('close waits for the fsync under way and syncs what is left after it', async () => {
    const { fileSync, calls } = heldSync();
    const buffer = store.open({ commitIntervalMs: 0, fileSync });
    const first = track(buffer.append([telemetryRecord(1)]));
    while (calls.length === 0) await turn();
    const second = track(buffer.append([telemetryRecord(2)]));
    const closed = track(buffer.close());
    // close committed the second append; its fsync waits for the one under way.
    expect(storedIds()).toEqual(['VH-0001:b1:1', 'VH-0001:b1:2']);
    await turn();
    expect([first.settled, second.settled, closed.settled]).toEqual([false, false, false]);
    calls[0]!.finish();
    await turn();
    expect(first).toEqual({ settled: true, error: undefined });
    expect(calls).toHaveLength(2);
    expect(calls[1]!.committedAtStart).toEqual(['VH-0001:b1:1', 'VH-0001:b1:2']);
    expect([second.settled, closed.settled]).toEqual([false, false]);
    calls[1]!.finish();
    await turn();
    expect(second).toEqual({ settled: true, error: undefined });
    expect(closed).toEqual({ settled: true, error: undefined });
  });
});
