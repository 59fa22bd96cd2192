import { describe, expect, it } from 'vitest';
import { createDecodeTurns } from './decode-turns.js';

/** A job that records when it starts and ends, and ends when told. */
function job(log: string[], name: string): { work: () => Promise<string>; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    work: async () => {
      log.push(`${name} start`);
      await done;
      log.push(`${name} end`);
      return name;
    },
    finish: () => finish(),
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('decode turns', () => {
  it('runs shared turns side by side', async () => {
    const turns = createDecodeTurns();
    const log: string[] = [];
    const [a, b] = [job(log, 'a'), job(log, 'b')];
    const results = [turns.shared(a.work), turns.shared(b.work)];
    await settle();
    expect(log).toEqual(['a start', 'b start']);
    b.finish();
    a.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b']);
  });

  it('starts an exclusive turn only when the shared ones running are done, and holds later ones back until it ends', async () => {
    const turns = createDecodeTurns();
    const log: string[] = [];
    const [a, x, c, y] = [job(log, 'a'), job(log, 'x'), job(log, 'c'), job(log, 'y')];
    const results = [turns.shared(a.work), turns.exclusive(x.work), turns.shared(c.work), turns.exclusive(y.work)];
    await settle();
    expect(log).toEqual(['a start']);
    a.finish();
    await settle();
    expect(log).toEqual(['a start', 'a end', 'x start']);
    x.finish();
    await settle();
    // Exclusive turns go first: c, asked for before y, still waits for y.
    expect(log.slice(3)).toEqual(['x end', 'y start']);
    y.finish();
    await settle();
    expect(log.slice(5)).toEqual(['y end', 'c start']);
    c.finish();
    expect(await Promise.all(results)).toEqual(['a', 'x', 'c', 'y']);
  });

  it('runs at most maxShared shared turns at once, the others in the order asked', async () => {
    const turns = createDecodeTurns({ maxShared: 2 });
    const log: string[] = [];
    const [a, b, c, d] = [job(log, 'a'), job(log, 'b'), job(log, 'c'), job(log, 'd')];
    const results = [a, b, c, d].map((j) => turns.shared(j.work));
    await settle();
    expect(log).toEqual(['a start', 'b start']);
    b.finish();
    await settle();
    expect(log.slice(2)).toEqual(['b end', 'c start']);
    a.finish();
    await settle();
    expect(log.slice(4)).toEqual(['a end', 'd start']);
    c.finish();
    d.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lets an exclusive turn wait for shared turns that were waiting for a place', async () => {
    const turns = createDecodeTurns({ maxShared: 1 });
    const log: string[] = [];
    const [a, b, x] = [job(log, 'a'), job(log, 'b'), job(log, 'x')];
    const results = [turns.shared(a.work), turns.shared(b.work), turns.exclusive(x.work)];
    await settle();
    expect(log).toEqual(['a start']);
    a.finish();
    await settle();
    expect(log.slice(1)).toEqual(['a end', 'b start']);
    b.finish();
    await settle();
    expect(log.slice(3)).toEqual(['b end', 'x start']);
    x.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'x']);
  });

  it('passes a failure through and frees the turn', async () => {
    const turns = createDecodeTurns();
    await expect(turns.exclusive(() => Promise.reject(new Error('bad')))).rejects.toThrow('bad');
    await expect(turns.shared(() => Promise.resolve(1))).resolves.toBe(1);
  });
});
