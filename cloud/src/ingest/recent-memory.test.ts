import { describe, expect, it } from 'vitest';
import { CloudError } from '../errors.js';
import { createAdmission } from './admission.js';
import { createIdempotencyMemory } from './idempotency.js';
import { createRecentMemory } from './recent-memory.js';

describe('recent memory', () => {
  it('forgets the oldest entry past maxEntries and any entry past its ttl', () => {
    let now = 0;
    const memory = createRecentMemory<number>({ maxEntries: 2, ttlMs: 100, now: () => now });
    memory.set('a', 1);
    memory.set('b', 2);
    memory.set('c', 3);
    expect([memory.get('a'), memory.get('b'), memory.get('c'), memory.size]).toEqual([undefined, 2, 3, 2]);
    now = 101;
    expect([memory.has('b'), memory.has('c')]).toEqual([false, false]);
  });

  it('keeps evicting in insertion order through long churn, a re-set key counting as new', () => {
    const memory = createRecentMemory<number>({ maxEntries: 3, ttlMs: 1e9 });
    for (const key of ['a', 'b', 'c', 'd']) memory.set(key, 0);
    memory.set('b', 1);
    memory.set('e', 0);
    const present = (keys: string[]) => keys.filter((key) => memory.has(key));
    expect(present(['a', 'b', 'c', 'd', 'e'])).toEqual(['b', 'd', 'e']);
    for (let i = 0; i < 10_000; i += 1) memory.set(`k${i}`, i);
    expect([memory.size, present(['k9996', 'k9997', 'k9998', 'k9999'])]).toEqual([3, ['k9997', 'k9998', 'k9999']]);
  });

  it('keeps a re-set key for its newest value and time, and never holds more than maxEntries', () => {
    let now = 0;
    const memory = createRecentMemory<number>({ maxEntries: 3, ttlMs: 100, now: () => now });
    memory.set('a', 1);
    memory.set('b', 1);
    now = 50;
    memory.set('a', 2);
    // a's first slot is overwritten by c, which must not take the re-set a with it.
    memory.set('c', 1);
    now = 120;
    expect([memory.get('a'), memory.has('b'), memory.get('c'), memory.size]).toEqual([2, false, 1, 2]);
    for (let i = 0; i < 7; i += 1) memory.set(`k${i}`, i);
    expect([memory.size, memory.has('a'), memory.get('k6')]).toEqual([3, false, 6]);
  });
});

describe('idempotency memory', () => {
  it('answers a settled key, refuses a key in progress, and lets a released key be claimed again', () => {
    const memory = createIdempotencyMemory<string>({ maxEntries: 10, ttlMs: 1000 });
    expect(memory.claim('node-1', 'k')).toBeUndefined();
    expect(() => memory.claim('node-1', 'k')).toThrow(expect.objectContaining({ code: 'FW_BATCH_IN_PROGRESS' }));
    // Keys are per node: another node's batch with the same key is not this one.
    expect(memory.claim('node-2', 'k')).toBeUndefined();
    memory.settle('node-1', 'k', 'answer');
    expect(memory.claim('node-1', 'k')).toBe('answer');
    memory.release('node-2', 'k');
    expect(memory.claim('node-2', 'k')).toBeUndefined();
  });
});

describe('admission', () => {
  it('runs at most maxInFlight at once, queues maxQueued, and refuses the rest with FW_INGEST_OVERLOADED', async () => {
    const admission = createAdmission({ maxInFlight: 2, maxQueued: 1 });
    const gates: Array<() => void> = [];
    const order: number[] = [];
    const job = (n: number) =>
      admission.run(
        () =>
          new Promise<number>((resolve) => {
            order.push(n);
            gates.push(() => resolve(n));
          }),
      );
    const running = [job(1), job(2), job(3)];
    await Promise.resolve();
    expect([admission.inFlight, admission.queued, order]).toEqual([2, 1, [1, 2]]);
    const refused = await job(4).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CloudError);
    expect(refused).toMatchObject({ code: 'FW_INGEST_OVERLOADED', canRetry: true });

    gates.shift()?.();
    await running[0];
    await new Promise((r) => setTimeout(r, 0));
    expect([admission.inFlight, admission.queued, order]).toEqual([2, 0, [1, 2, 3]]);
    for (const open of gates.splice(0)) open();
    expect(await Promise.all(running)).toEqual([1, 2, 3]);
    expect(admission.inFlight).toBe(0);
  });
});
