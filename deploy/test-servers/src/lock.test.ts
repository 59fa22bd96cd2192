import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestServerError } from './errors.js';
import { withLock } from './lock.js';

describe('withLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lets one holder in at a time and removes the lock afterwards', async () => {
    const lock = join(dir, 'kafka.lock');
    const events: string[] = [];
    const hold = (id: string) =>
      withLock(lock, async () => {
        events.push(`enter ${id}`);
        await sleep(150);
        events.push(`leave ${id}`);
        return id;
      });
    expect(await Promise.all([hold('a'), hold('b'), hold('c')])).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.replace('enter', 'leave')).toBe(events[i + 1]);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over a lock whose owner died', async () => {
    const lock = join(dir, 'kafka.lock');
    const dead = spawnSync('true').pid as number;
    await writeFile(lock, `${dead}\n`);
    const started = Date.now();
    expect(await withLock(lock, async () => 'mine')).toBe('mine');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives up with a retryable coded error while a live owner holds it', async () => {
    const lock = join(dir, 'kafka.lock');
    await writeFile(lock, `${process.ppid}\n`);
    const waits: (number | undefined)[] = [];
    const attempt = withLock(lock, async () => 'never', { timeoutMs: 300, onWait: (owner) => waits.push(owner) });
    await expect(attempt).rejects.toBeInstanceOf(TestServerError);
    await expect(attempt).rejects.toMatchObject({ code: 'FW_TEST_SERVER_LOCK_TIMEOUT', canRetry: true });
    expect(waits).toEqual([process.ppid]);
  });
});
