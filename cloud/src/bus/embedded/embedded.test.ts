import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusDependencies, BusMessage, DeliveredMessage } from '../bus.js';
import { describeBusConformance } from '../../../test/support/bus-conformance.js';
import { createEmbeddedBus } from './embedded-bus.js';
import { openLogStore } from './log-store.js';
import { partitionForKey } from './partitioner.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-embedded-bus-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const path = (): string => join(dir, 'bus.sqlite');
const open = (extra: { retentionBytes?: number; partitions?: number } = {}, dependencies: BusDependencies = {}) =>
  createEmbeddedBus({ kind: 'embedded', path: path(), retryInitialMs: 10, ...extra }, dependencies);

describeBusConformance('embedded', (dependencies) => open({}, dependencies));

const message = (key: string, seq: number, topic = 't'): BusMessage => ({
  topic, key, value: Buffer.alloc(100, seq % 256), headers: { 'fw-id': `${key}:e:${seq}` },
});

describe('embedded bus', () => {
  it('maps a key to the same partition every time and spreads keys', () => {
    const partitions = new Set(Array.from({ length: 64 }, (_, i) => partitionForKey(`VH-${i}`, 4)));
    expect(partitionForKey('VH-0001', 4)).toBe(partitionForKey('VH-0001', 4));
    expect(partitions.size).toBe(4);
  });

  it('commits produce calls made in the same tick together, all durable', async () => {
    const bus = open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => bus.produce([message(`VH-${i % 3}`, i)])));
    await bus.close();
    const store = openLogStore(path());
    const total = [0, 1, 2, 3].reduce((sum, p) => sum + store.read('t', p, 0, 100).length, 0);
    expect(total).toBe(20);
    store.close();
  });

  it('applies size retention from the oldest end, keeps the newest record and never reuses offsets', async () => {
    const bus = open({ partitions: 1 });
    await bus.produce(Array.from({ length: 50 }, (_, i) => message('VH-1', i)));
    await bus.close();

    let store = openLogStore(path());
    // Each record is ~125 bytes (value + key + headers): 1,500 bytes keep the newest dozen.
    expect(store.applyRetention(Date.now(), 3600_000, 1_500)).toBeGreaterThan(30);
    const kept = store.read('t', 0, 0, 100);
    expect(kept.at(-1)?.offset).toBe('49');
    expect(kept.length).toBeLessThan(20);
    expect(store.applyRetention(Date.now() + 7200_000, 3600_000, 1_500)).toBe(kept.length - 1);
    expect(store.read('t', 0, 0, 100).map((m) => m.offset)).toEqual(['49']);
    store.close();

    const reopened = open({ partitions: 1 });
    await reopened.produce([message('VH-1', 50)]);
    await reopened.close();
    store = openLogStore(path());
    expect(store.read('t', 0, 0, 100).map((m) => m.offset)).toEqual(['49', '50']);
    store.close();
  });

  it('splits partitions between members of a group and hands them over when one leaves', async () => {
    const bus = open({ partitions: 4 });
    const keys = Array.from({ length: 16 }, (_, i) => `VH-${i}`);
    await bus.produce(keys.map((k) => message(k, 0)));
    const seen: Array<DeliveredMessage & { member: string }> = [];
    const member = (name: string) =>
      bus.subscribe({ groupId: 'g', topics: ['t'], fromBeginning: true, handle: async (batch) => {
        seen.push(...batch.map((m) => ({ ...m, member: name })));
      } });
    const [a, b] = await Promise.all([member('a'), member('b')]);
    await expect.poll(() => seen.length).toBe(16);
    expect(new Set(seen.map((m) => m.member))).toEqual(new Set(['a', 'b']));
    const partitionsOf = (name: string) => new Set(seen.filter((m) => m.member === name).map((m) => m.partition));
    expect([...partitionsOf('a')].some((p) => partitionsOf('b').has(p))).toBe(false);

    await a.close();
    await bus.produce(keys.map((k) => message(k, 1)));
    await expect.poll(() => seen.length).toBe(32);
    expect(seen.slice(16).every((m) => m.member === 'b')).toBe(true);
    await b.close();
    await bus.close();
  });
});
