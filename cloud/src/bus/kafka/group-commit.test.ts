import { describe, expect, it } from 'vitest';
import { createGroupCommit, type GroupCommitOptions } from './group-commit.js';

/** A sender whose requests are settled by the test, one at a time. */
function manualSender() {
  const requests: Array<{ items: string[]; resolve(): void; reject(error: Error): void }> = [];
  const send = (items: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      requests.push({ items, resolve, reject });
    });
  const nextRequest = async () => {
    await expect.poll(() => requests.length, { timeout: 1000, interval: 1 }).toBeGreaterThan(0);
    return requests.shift() as (typeof requests)[number];
  };
  return { send, requests, nextRequest };
}

function queueWith(send: GroupCommitOptions<string>['send'], overrides: Partial<GroupCommitOptions<string>> = {}) {
  return createGroupCommit<string>({
    send, sizeOf: (item) => item.length, maxBytes: 1000, timeoutMs: 5000, expired: () => new Error('expired'), ...overrides,
  });
}

describe('group commit', () => {
  it('keeps one request in flight and carries every push made meanwhile in the next one, in order', async () => {
    const sender = manualSender();
    const queue = queueWith(sender.send);
    const settled: string[] = [];
    const first = queue.push(['a1', 'a2']).then(() => settled.push('a'));
    const firstRequest = await sender.nextRequest();
    const second = queue.push(['b1']).then(() => settled.push('b'));
    const third = queue.push(['c1', 'c2']).then(() => settled.push('c'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sender.requests).toHaveLength(0);

    firstRequest.resolve();
    await first;
    const secondRequest = await sender.nextRequest();
    expect(firstRequest.items).toEqual(['a1', 'a2']);
    expect(secondRequest.items).toEqual(['b1', 'c1', 'c2']);
    expect(settled).toEqual(['a']);
    secondRequest.resolve();
    await Promise.all([second, third]);
    expect(settled).toEqual(['a', 'b', 'c']);
    await queue.idle();
  });

  it('splits a push larger than maxBytes into requests sent one after another, and resolves after the last', async () => {
    const sender = manualSender();
    const queue = queueWith(sender.send, { maxBytes: 4 });
    let resolved = false;
    const push = queue.push(['k1', 'k2', 'k3', 'k4', 'k5']).then(() => (resolved = true));
    const sent: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const request = await sender.nextRequest();
      sent.push(request.items);
      expect(resolved).toBe(false);
      request.resolve();
    }
    await push;
    expect(sent).toEqual([['k1', 'k2'], ['k3', 'k4'], ['k5']]);
  });

  it('rejects every caller of a failed request, drops their queued rest and serves later pushes', async () => {
    const sender = manualSender();
    const queue = queueWith(sender.send, { maxBytes: 4 });
    const big = queue.push(['x1', 'x2', 'x3']);
    const request = await sender.nextRequest();
    expect(request.items).toEqual(['x1', 'x2']);
    const failure = new Error('broker gone');
    request.reject(failure);
    await expect(big).rejects.toBe(failure);

    const later = queue.push(['y1']);
    const next = await sender.nextRequest();
    expect(next.items).toEqual(['y1']);
    next.resolve();
    await later;
    expect(sender.requests).toHaveLength(0);
  });

  it('rejects a push still unacknowledged at its deadline, without waiting for the request in flight', async () => {
    const sender = manualSender();
    const queue = queueWith(sender.send, { timeoutMs: 50 });
    const started = Date.now();
    const stuck = queue.push(['s1']);
    const behind = queue.push(['s2']);
    await expect(stuck).rejects.toThrow('expired');
    await expect(behind).rejects.toThrow('expired');
    expect(Date.now() - started).toBeLessThan(1000);
    // The hung request ends later; the expired callers' items are not sent again.
    (await sender.nextRequest()).resolve();
    await queue.idle();
    expect(sender.requests).toHaveLength(0);
  });
});
