/**
 * Where the photos of a verified return are kept: `{dir}/{returnId}/{index}.jpg`, the JPEGs
 * preprocess.ts produced (EXIF and all other personal metadata removed; an uploaded JPEG keeps
 * its image data as taken, its EXIF orientation is in the vision store). A return's folder
 * appears whole or not at all: the files are written and fsynced in a temporary folder that is
 * then renamed into place (and the parent fsynced), so a crash never leaves half a return.
 * Return ids are `[A-Za-z0-9_-]{1,64}` (protocol EntityId), safe as folder names.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeviceId } from '@fleetwire/protocol';
import { EdgeError } from '../../errors.js';

const STAGING = '.staging-';

export interface PhotoStore {
  /** Stores the photos of a return (replacing an earlier set); resolves with the bytes written. */
  save(returnId: string, photos: readonly Buffer[]): Promise<number>;
  remove(returnId: string): Promise<void>;
  /** Removes staging folders a crash left behind; run at start. */
  sweep(): Promise<void>;
}

export function createFolderPhotoStore(options: { dir: string }): PhotoStore {
  const { dir } = options;
  const folder = (returnId: string): string => {
    if (!isDeviceId(returnId)) throw new EdgeError('FW_VISION_STORE_FAILED', `not a safe return id: ${JSON.stringify(returnId)}`);
    return join(dir, returnId);
  };
  return {
    async save(returnId, photos) {
      const target = folder(returnId);
      const staging = join(dir, `${STAGING}${returnId}-${randomBytes(4).toString('hex')}`);
      try {
        await mkdir(staging, { recursive: true });
        await Promise.all(photos.map((bytes, i) => writeDurably(join(staging, `${i}.jpg`), bytes)));
        await rm(target, { recursive: true, force: true });
        await rename(staging, target);
        await syncFolder(dir);
      } catch (cause) {
        await rm(staging, { recursive: true, force: true }).catch(() => undefined);
        throw new EdgeError('FW_VISION_STORE_FAILED', `cannot store the photos of return ${returnId}`, { cause, canRetry: true });
      }
      return photos.reduce((sum, b) => sum + b.length, 0);
    },
    async remove(returnId) {
      await rm(folder(returnId), { recursive: true, force: true });
    },
    async sweep() {
      await mkdir(dir, { recursive: true });
      const leftovers = (await readdir(dir)).filter((name) => name.startsWith(STAGING));
      await Promise.all(leftovers.map((name) => rm(join(dir, name), { recursive: true, force: true })));
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
