/**
 * Group commit for the producer: one send in flight, and every `push` made meanwhile waits for
 * the next send, which carries all of them at once (up to `maxBytes`). Callers whose items went
 * out together resolve together, once the send that carried their last item succeeded.
 *
 * Why one send in flight: the idempotent producer numbers each partition's records, and the
 * client advances the number only when the broker answered — two sends in flight to a partition
 * would carry the same numbers and one would be refused. Coalescing instead of pipelining keeps
 * the throughput: the busier the producer, the bigger each request.
 *
 * Order: items go out in push order, a push larger than `maxBytes` in several sends, one after
 * another; so per-key order holds across callers. A failed send rejects every caller with an
 * item in it (their items still queued are dropped: the caller re-sends the whole push). Each
 * push also has its own deadline, so a caller queued behind a slow send still hears back in time.
 */

export interface GroupCommitOptions<T> {
  /** Sends one request; resolves once all of it is acknowledged. Must itself settle in bounded time. */
  send(items: T[]): Promise<void>;
  /** Approximate bytes of an item on the wire, to keep one request under `maxBytes`. */
  sizeOf(item: T): number;
  /** Upper bound of one request; an item larger than this goes alone. */
  maxBytes: number;
  /** A push that has not resolved this long after it was made rejects with `expired()`. */
  timeoutMs: number;
  /** The error a push gets when its deadline passes. */
  expired(): Error;
}

export interface GroupCommit<T> {
  /** Resolves once every item was sent and acknowledged; rejects with the send's error or `expired()`. */
  push(items: readonly T[]): Promise<void>;
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
}

interface Waiter {
  /** Items not yet acknowledged. */
  unacked: number;
  settled: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

interface Queued<T> {
  items: readonly T[];
  /** Index of the first item not yet taken into a send. */
  next: number;
  waiter: Waiter;
}

export function createGroupCommit<T>(options: GroupCommitOptions<T>): GroupCommit<T> {
  const queue: Array<Queued<T>> = [];
  let sending: Promise<void> | undefined;

  /** The next request: queued items in order, up to maxBytes (at least one item), and who waits on them. */
  const take = (): { items: T[]; carried: Map<Waiter, number> } => {
    const items: T[] = [];
    const carried = new Map<Waiter, number>();
    let bytes = 0;
    while (queue.length > 0) {
      const head = queue[0] as Queued<T>;
      if (head.waiter.settled) {
        queue.shift();
        continue;
      }
      let count = 0;
      while (head.next < head.items.length) {
        const item = head.items[head.next] as T;
        const size = options.sizeOf(item);
        if (items.length > 0 && bytes + size > options.maxBytes) break;
        items.push(item);
        bytes += size;
        head.next += 1;
        count += 1;
      }
      if (count > 0) carried.set(head.waiter, (carried.get(head.waiter) ?? 0) + count);
      if (head.next < head.items.length) break;
      queue.shift();
    }
    return { items, carried };
  };

  const pump = async (): Promise<void> => {
    // Pushes made in the same turn of the event loop share the first request too.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      const request = take();
      if (request.items.length === 0) {
        // In the same synchronous step as the empty take, so a push right after starts a new pump.
        sending = undefined;
        return;
      }
      try {
        await options.send(request.items);
        for (const [waiter, count] of request.carried) {
          waiter.unacked -= count;
          if (waiter.unacked === 0 && !waiter.settled) {
            waiter.settled = true;
            waiter.resolve();
          }
        }
      } catch (error) {
        for (const waiter of request.carried.keys()) {
          if (waiter.settled) continue;
          waiter.settled = true;
          waiter.reject(error);
        }
      }
    }
  };

  return {
    push(items) {
      if (items.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          if (waiter.settled) return;
          waiter.settled = true;
          reject(options.expired());
        }, options.timeoutMs);
        const waiter: Waiter = {
          unacked: items.length,
          settled: false,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        queue.push({ items, next: 0, waiter });
        sending ??= pump();
      });
    },
    async idle() {
      while (sending !== undefined) await sending;
    },
  };
}
