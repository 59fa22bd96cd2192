/**
 * Where the photos of a verified return are kept: `{dir}/{returnId}/{index}.jpg`, the JPEGs
 * preprocess.ts produced (EXIF and all other personal metadata removed; an uploaded JPEG keeps
 * its image data as taken, its EXIF orientation is in the vision store). A return's folder
 * appears whole or not at all: the files are written and fsynced in a temporary folder that is
 * then renamed into place (and the parent fsynced), so a crash never leaves half a return.
 * stage() lets the upload write each photo as soon as it is prepared, while later ones are still
 * received and decoded; the verdict then waits only for the rename and one fsync, not for
 * folder, files, fsyncs and rename one after another on libuv's threads.
 * Return ids are `[A-Za-z0-9_-]{1,64}` (protocol EntityId), safe as folder names.
 *
 * The folder is written (and fsynced) before the vision store commits the return's row; a
 * crash, power cut or store failure in between leaves a folder no row names, which retention
 * (it lists rows) would never delete. sweep() at start removes such orphans once they are older
 * than a grace period.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeviceId } from '@fleetwire/protocol';
import { EdgeError } from '../../errors.js';

const STAGING = '.staging-';

export interface PhotoStore {
  /** Photos of a return written one by one, put in place together by commit(). */
  stage(returnId: string): StagedPhotos;
  /** Stores the photos of a return (replacing an earlier set); resolves with the bytes written. */
  save(returnId: string, photos: readonly Buffer[]): Promise<number>;
  remove(returnId: string): Promise<void>;
  /**
   * Removes staging folders a crash left behind and, with `orphans`, return folders that are not
   * to be kept and were last modified more than `graceMs` ago; resolves with the return ids of
   * the orphans removed. Run at start.
   */
  sweep(orphans?: OrphanSweep): Promise<string[]>;
}

export interface StagedPhotos {
  /** Starts writing (and fsyncing) photo `index` in the staging folder; a failure comes out of commit(). */
  write(index: number, bytes: Buffer): void;
  /**
   * Once every photo written is on disk: they replace the return's photos (an earlier set goes),
   * durably; resolves with their bytes. On failure nothing of the staging folder is left.
   */
  commit(): Promise<number>;
  /** Removes what was written, once the writes have ended. */
  discard(): Promise<void>;
}

export interface OrphanSweep {
  /** Whether the return's folder is accounted for (its row says its photos are on disk). */
  keep(returnId: string): boolean;
  graceMs: number;
  now?: number;
}

export function createFolderPhotoStore(options: { dir: string }): PhotoStore {
  const { dir } = options;
  const folder = (returnId: string): string => {
    if (!isDeviceId(returnId)) throw new EdgeError('FW_VISION_STORE_FAILED', `not a safe return id: ${JSON.stringify(returnId)}`);
    return join(dir, returnId);
  };
  function stage(returnId: string): StagedPhotos {
    const target = folder(returnId);
    const staging = join(dir, `${STAGING}${returnId}-${randomBytes(4).toString('hex')}`);
    // Made with the first photo: an upload refused before any photo was prepared costs no folder.
    let made: Promise<unknown> | undefined;
    const folderMade = (): Promise<unknown> => (made ??= mkdir(staging, { recursive: true }));
    const writes: Array<Promise<number>> = [];
    const ended = (): Promise<unknown> => Promise.allSettled(writes);
    return {
      write(index, bytes) {
        const written = folderMade().then(() => writeDurably(join(staging, `${index}.jpg`), bytes)).then(() => bytes.length);
        // Failures are read in commit(); until then they are not unhandled.
        written.catch(() => undefined);
        writes.push(written);
      },
      async commit() {
        try {
          await folderMade();
          const bytes = (await Promise.all(writes)).reduce((sum, n) => sum + n, 0);
          await rm(target, { recursive: true, force: true });
          await rename(staging, target);
          await syncFolder(dir);
          return bytes;
        } catch (cause) {
          await ended();
          await rm(staging, { recursive: true, force: true }).catch(() => undefined);
          throw new EdgeError('FW_VISION_STORE_FAILED', `cannot store the photos of return ${returnId}`, { cause, canRetry: true });
        }
      },
      async discard() {
        if (made === undefined) return;
        await ended();
        await rm(staging, { recursive: true, force: true });
      },
    };
  }

  return {
    stage,
    async save(returnId, photos) {
      const staged = stage(returnId);
      photos.forEach((bytes, i) => staged.write(i, bytes));
      return staged.commit();
    },
    async remove(returnId) {
      await rm(folder(returnId), { recursive: true, force: true });
    },
    async sweep(orphans) {
      await mkdir(dir, { recursive: true });
      const names = await readdir(dir);
      const leftovers = names.filter((name) => name.startsWith(STAGING));
      await Promise.all(leftovers.map((name) => rm(join(dir, name), { recursive: true, force: true })));
      if (orphans === undefined) return [];
      const cutoff = (orphans.now ?? Date.now()) - orphans.graceMs;
      const removed: string[] = [];
      for (const name of names) {
        if (name.startsWith(STAGING) || !isDeviceId(name) || orphans.keep(name)) continue;
        const info = await stat(join(dir, name)).catch(() => undefined);
        if (info === undefined || !info.isDirectory() || info.mtimeMs > cutoff) continue;
        await rm(join(dir, name), { recursive: true, force: true });
        removed.push(name);
      }
      return removed;
    },
  };
}

async function writeDurably(path: string, bytes: Buffer): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
}

async function syncFolder(path: string): Promise<void> {
  const folder = await open(path, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
