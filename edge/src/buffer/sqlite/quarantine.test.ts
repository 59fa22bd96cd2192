import { describe, expect, it } from 'vitest';
import type { RecordBuffer } from '../buffer.js';
import { resolveBufferOptions } from './options.js';
import { useTestStore } from '../../../test/support/buffer-store.js';

const store = useTestStore();

/** Entry `n` of a test: its detail names it, its bytes are `size` copies of n. */
function quarantine(buffer: RecordBuffer, n: number, size: number): Promise<void> {
  return buffer.quarantine({ receivedAt: store.clock.t, reason: 'malformed_json', detail: `#${n}`, bytes: Buffer.alloc(size, n) });
}

/** Stored entries, oldest first, as [n, size]. */
const stored = () =>
  store.peek<{ detail: string; size: number }[]>('SELECT detail, length(bytes) AS size FROM quarantine ORDER BY qid').map((r) => [Number(r.detail.slice(1)), r.size]);
const storedBytes = () => stored().reduce((sum, [, size]) => sum + size!, 0);

/** Sizes 40–229 bytes, varied so the number dropped per insert varies too. */
const sizeOf = (n: number) => 40 + ((n * 37) % 190);

describe('sqlite buffer: quarantine bounds', () => {
  it('keeps the byte total within maxQuarantineBytes, dropping the oldest first and counting each one', async () => {
    const maxQuarantineBytes = 1000;
    const buffer = store.open({ commitIntervalMs: 0, maxQuarantineBytes });
    const total = 60;
    for (let n = 0; n < total; n += 1) {
      await quarantine(buffer, n, sizeOf(n));
      expect(storedBytes()).toBeLessThanOrEqual(maxQuarantineBytes);
      expect(buffer.stats().quarantinedBytes).toBe(storedBytes());
    }
    const kept = stored();
    const first = kept[0]![0]!;
    // The newest entries, in order, and as many as fit: the one before them would not have.
    expect(kept).toEqual(Array.from({ length: total - first }, (_, i) => [first + i, sizeOf(first + i)]));
    expect(storedBytes() + sizeOf(first - 1)).toBeGreaterThan(maxQuarantineBytes);
    expect(buffer.stats()).toMatchObject({ quarantined: kept.length, ledger: { quarantine_trimmed: first } });
  });

  it('trims within one group commit as well, oldest first', async () => {
    const buffer = store.open({ commitIntervalMs: 20, maxQuarantineBytes: 500 });
    await Promise.all(Array.from({ length: 10 }, (_, n) => quarantine(buffer, n, 100)));
    expect(stored().map(([n]) => n)).toEqual([5, 6, 7, 8, 9]);
    expect(buffer.stats()).toMatchObject({ quarantined: 5, quarantinedBytes: 500, ledger: { quarantine_trimmed: 5 } });
  });

  it('still applies the count bound, whichever bound is reached first', async () => {
    const buffer = store.open({ commitIntervalMs: 0, maxQuarantineRecords: 3, maxQuarantineBytes: 1000 });
    for (let n = 0; n < 5; n += 1) await quarantine(buffer, n, 10);
    expect(stored().map(([n]) => n)).toEqual([2, 3, 4]);
    await quarantine(buffer, 5, 991); // the byte bound leaves room for this one alone
    expect(stored()).toEqual([[5, 991]]);
    expect(buffer.stats()).toMatchObject({ quarantined: 1, quarantinedBytes: 991, ledger: { quarantine_trimmed: 5 } });
  });

  it('sums the byte total from the table at open and bounds the next entry by it', async () => {
    const first = store.open({ commitIntervalMs: 0 });
    for (let n = 0; n < 4; n += 1) await quarantine(first, n, 300);
    await first.close();
    const reopened = store.open({ commitIntervalMs: 0, maxQuarantineBytes: 1000 });
    expect(reopened.stats()).toMatchObject({ quarantined: 4, quarantinedBytes: 1200 });
    // 1200 + 300 over 1000: the two oldest go (a zero total after the restart would keep all five).
    await quarantine(reopened, 4, 300);
    expect(stored().map(([n]) => n)).toEqual([2, 3, 4]);
    expect(reopened.stats()).toMatchObject({ quarantined: 3, quarantinedBytes: 900, ledger: { quarantine_trimmed: 2 } });
  });

  it('does not store an entry larger than the bound on its own, counts it and keeps the older ones', async () => {
    const buffer = store.open({ commitIntervalMs: 0, maxQuarantineBytes: 1000 });
    await quarantine(buffer, 0, 400);
    await quarantine(buffer, 1, 400);
    await quarantine(buffer, 2, 1001);
    expect(stored()).toEqual([[0, 400], [1, 400]]);
    expect(buffer.stats()).toMatchObject({ quarantined: 2, quarantinedBytes: 800, ledger: { quarantine_trimmed: 1 } });
    // Exactly the bound fits: it is kept and every older entry makes room for it.
    await quarantine(buffer, 3, 1000);
    expect(stored()).toEqual([[3, 1000]]);
    expect(buffer.stats()).toMatchObject({ quarantined: 1, quarantinedBytes: 1000, ledger: { quarantine_trimmed: 3 } });
  });

  it('defaults maxQuarantineBytes to 64 MiB and refuses a bound below 1 byte', () => {
    expect(resolveBufferOptions({ path: 'buffer.db' }).maxQuarantineBytes).toBe(64 * 1024 ** 2);
    expect(() => resolveBufferOptions({ path: 'buffer.db', maxQuarantineBytes: 0 })).toThrow(/maxQuarantineBytes/);
    expect(() => resolveBufferOptions({ path: 'buffer.db', maxQuarantineBytes: 0 })).toThrowError(expect.objectContaining({ code: 'FW_BUFFER_OPTIONS_INVALID' }));
  });
});
