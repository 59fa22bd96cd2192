import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestServerError } from './errors.js';
import { isProcessAlive } from './process.js';

/**
 * A cross-process lock: a file created with O_EXCL that holds the owner's pid. Several test
 * runs (and hand-typed `test-servers start`) may start the same server at once; the lock makes
 * exactly one of them start it while the others wait and then reuse it. A lock whose owner
 * died (kill -9 mid-start) is taken over.
 */
export interface LockOptions {
  /** Give up after this long. Default 5 minutes: a cold Kafka install holds its lock a while. */
  timeoutMs?: number;
  /** Called once when the lock is busy, so a caller can say why it waits. */
  onWait?: (ownerPid: number | undefined) => void;
}

const POLL_MS = 200;
/** A lock file still without a pid after this long was left by a process that died while creating it. */
const EMPTY_LOCK_STALE_MS = 10_000;

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function isOldFile(path: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > EMPTY_LOCK_STALE_MS;
  } catch {
    return false;
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Removes a lock left by a dead owner; moving it aside first keeps a live owner's lock intact if two waiters race. */
async function takeOverStale(path: string, deadOwner: number | undefined): Promise<void> {
  const aside = `${path}.stale-${process.pid}`;
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  if ((await readOwner(aside)) === deadOwner) {
    await unlink(aside).catch(() => undefined);
  } else {
    await rename(aside, path).catch(() => undefined);
  }
}

/** The live process holding the lock, if any. */
export async function lockHolder(path: string): Promise<number | undefined> {
  const owner = await readOwner(path);
  return owner !== undefined && isProcessAlive(owner) ? owner : undefined;
}

export async function withLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(path), { recursive: true });
  let announced = false;
  for (;;) {
    if (await tryCreate(path)) break;
    const owner = await readOwner(path);
    if (owner === undefined ? await isOldFile(path) : !isProcessAlive(owner)) {
      await takeOverStale(path, owner);
      continue;
    }
    if (!announced) {
      options.onWait?.(owner);
      announced = true;
    }
    if (Date.now() > deadline) {
      throw new TestServerError(
        'FW_TEST_SERVER_LOCK_TIMEOUT',
        `waited ${Math.round(timeoutMs / 1000)} s for the lock ${path} held by pid ${owner ?? 'unknown'}; ` +
          'if no fleetwire process is running, delete that file',
        { canRetry: true },
      );
    }
    await sleep(POLL_MS);
  }
  try {
    return await work();
  } finally {
    if ((await readOwner(path)) === process.pid) await unlink(path).catch(() => undefined);
  }
}
