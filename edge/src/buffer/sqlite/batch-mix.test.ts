import { describe, expect, it } from 'vitest';
import { composeBatch } from './batch-mix.js';

const rows = (prefix: string, n: number, bytes = 10) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, bytes }));
const names = (list: { name: string }[]) => list.map((r) => r.name);

describe('composeBatch', () => {
  it('puts critical before alerts before telemetry', () => {
    const chosen = composeBatch(
      { critical: rows('c', 2), alert: rows('a', 2), live: rows('l', 2), backlog: rows('b', 2) },
      { maxRecords: 5, maxBytes: 1000 },
      0.5,
    );
    expect(names(chosen)).toEqual(['c0', 'c1', 'a0', 'a1', 'l0']);
  });

  it('gives live records their share and the backlog the rest, interleaved', () => {
    const chosen = composeBatch(
      { critical: [], alert: [], live: rows('l', 100), backlog: rows('b', 100) },
      { maxRecords: 8, maxBytes: 1000 },
      0.25,
    );
    expect(names(chosen).filter((n) => n.startsWith('l'))).toEqual(['l0', 'l1']);
    expect(names(chosen).filter((n) => n.startsWith('b'))).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
    expect(names(chosen)[0]).toBe('l0');
  });

  it('hands the slots of an empty queue to the other one', () => {
    const onlyBacklog = composeBatch({ critical: [], alert: [], live: [], backlog: rows('b', 10) }, { maxRecords: 4, maxBytes: 1000 }, 0.5);
    expect(names(onlyBacklog)).toEqual(['b0', 'b1', 'b2', 'b3']);
    const fewBacklog = composeBatch({ critical: [], alert: [], live: rows('l', 10), backlog: rows('b', 1) }, { maxRecords: 4, maxBytes: 1000 }, 0.5);
    expect(names(fewBacklog).sort()).toEqual(['b0', 'l0', 'l1', 'l2']);
  });

  it('stops at the byte limit but always takes one record', () => {
    const big = composeBatch({ critical: rows('c', 3, 500), alert: [], live: [], backlog: [] }, { maxRecords: 10, maxBytes: 100 }, 0.5);
    expect(names(big)).toEqual(['c0']);
    const some = composeBatch({ critical: rows('c', 3, 40), alert: rows('a', 3, 40), live: [], backlog: [] }, { maxRecords: 10, maxBytes: 100 }, 0.5);
    expect(names(some)).toEqual(['c0', 'c1']);
  });

  it('returns nothing when every queue is empty', () => {
    expect(composeBatch({ critical: [], alert: [], live: [], backlog: [] }, { maxRecords: 10, maxBytes: 100 }, 0.5)).toEqual([]);
  });
});
