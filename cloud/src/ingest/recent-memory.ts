/**
 * A bounded memory of recent keys: it forgets the oldest entry past `maxEntries` and any entry
 * older than `ttlMs`, so it never grows without bound however many batches arrive. Memory is
 * per process and lost on restart; that is acceptable because consumers dedupe by record id.
 */
export interface RecentMemoryOptions {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}

export interface RecentMemory<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  set(key: string, value: V): void;
  readonly size: number;
}

/**
 * Entries live in a ring of `maxEntries` slots, written in turn, so the slot written next holds
 * the oldest entry; a map finds a key's slot. Ingest sets one entry per record: this takes less
 * than half the time a map of `{ value, storedAt }` objects evicted in insertion order took (one
 * object less per record for the GC; docs/bus.md has the figures). A re-set key
 * takes a new slot and its old slot is left to be overwritten, so the memory can briefly hold
 * fewer than `maxEntries` keys, never more.
 */
export function createRecentMemory<V>(options: RecentMemoryOptions): RecentMemory<V> {
  const { maxEntries, ttlMs } = options;
  const now = options.now ?? Date.now;
  const slotOf = new Map<string, number>();
  const keys = new Array<string | undefined>(maxEntries).fill(undefined);
  const values = new Array<V | undefined>(maxEntries).fill(undefined);
  const storedAt = new Float64Array(maxEntries);
  let next = 0;

  const get = (key: string): V | undefined => {
    const slot = slotOf.get(key);
    if (slot === undefined) return undefined;
    if (now() - storedAt[slot]! > ttlMs) {
      slotOf.delete(key);
      return undefined;
    }
    return values[slot];
  };

  return {
    get,
    has: (key) => get(key) !== undefined,
    set(key, value) {
      const oldest = keys[next];
      // The slot's key may have moved on to a newer slot (re-set) or expired (deleted by get).
      if (oldest !== undefined && slotOf.get(oldest) === next) slotOf.delete(oldest);
      keys[next] = key;
      values[next] = value;
      storedAt[next] = now();
      slotOf.set(key, next);
      next = next + 1 === maxEntries ? 0 : next + 1;
    },
    get size() {
      return slotOf.size;
    },
  };
}
