import { describe, expect, it } from 'vitest';
import { LeaseBook, SEQ_END, type TakenRecord } from './leases.js';

/** Telemetry ids are `r<seq>`, other priorities `p<priority>r<seq>` (ids are unique across the table). */
const taken = (priority: number, ...seqs: number[]): TakenRecord[] =>
  seqs.map((seq) => ({ id: priority === 2 ? `r${seq}` : `p${priority}r${seq}`, seq, priority }));
const gaps = (book: LeaseBook, priority: number, from = 0, to = SEQ_END, descending = false) => [...book.gaps(priority, from, to, descending)];

describe('lease book', () => {
  it('has one gap, the whole range, while nothing is in flight', () => {
    const book = new LeaseBook();
    expect(gaps(book, 2)).toEqual([[0, SEQ_END]]);
    expect(gaps(book, 2, 10, 20, true)).toEqual([[10, 20]]);
    expect(book.covers(2, 5)).toBe(false);
  });

  it('skips runs in both directions, per priority', () => {
    const book = new LeaseBook();
    book.lease([taken(2, 10, 11, 12), taken(2, 20, 22), taken(0, 11)]);
    expect(gaps(book, 2)).toEqual([[0, 10], [13, 20], [23, SEQ_END]]);
    expect(gaps(book, 2, 0, 30, true)).toEqual([[23, 30], [13, 20], [0, 10]]);
    expect(gaps(book, 2, 11, 21)).toEqual([[13, 20]]);
    expect(gaps(book, 2, 11, 21, true)).toEqual([[13, 20]]);
    expect(gaps(book, 0)).toEqual([[0, 11], [12, SEQ_END]]);
    // Inside a run's span every stored record of that priority is in flight (21 was deleted before).
    expect([10, 11, 12, 20, 21, 22].map((s) => book.covers(2, s))).toEqual([true, true, true, true, true, true]);
    expect([9, 13, 19, 23].map((s) => book.covers(2, s))).toEqual([false, false, false, false]);
    expect(book.covers(1, 11)).toBe(false);
    expect(book.size).toBe(6);
  });

  it('maps ids to seqs and reports ids that are not in flight', () => {
    const book = new LeaseBook();
    book.lease([taken(2, 5, 6)]);
    expect(book.lookup(['r6', 'r7', 'r5'])).toEqual({ seqs: [6, 5], unknown: ['r7'] });
  });

  it('drops a run once all its records are acknowledged', () => {
    const book = new LeaseBook();
    book.lease([taken(2, 1, 2, 3)]);
    book.acknowledged(['r1', 'r3']);
    expect(gaps(book, 2)).toEqual([[0, 1], [4, SEQ_END]]);
    book.acknowledged(['r2', 'r2', 'unknown']);
    expect(gaps(book, 2)).toEqual([[0, SEQ_END]]);
    expect(book.size).toBe(0);
  });

  it('splits a run around released records and keeps the rest in flight', () => {
    const book = new LeaseBook();
    book.lease([taken(2, 1, 2, 3, 4, 5, 6)]);
    book.acknowledged(['r1']);
    book.released(['r3', 'r4']);
    expect(gaps(book, 2)).toEqual([[0, 1], [3, 5], [7, SEQ_END]]);
    expect(book.lookup(['r2', 'r5', 'r6', 'r3']).seqs).toEqual([2, 5, 6]);
    // Records of a split part still settle normally.
    book.acknowledged(['r2']);
    expect(gaps(book, 2)).toEqual([[0, 5], [7, SEQ_END]]);
    book.released(['r5', 'r6']);
    expect(gaps(book, 2)).toEqual([[0, SEQ_END]]);
    expect(book.size).toBe(0);
  });

  it('a run that was taken between two others releases only its own records', () => {
    const book = new LeaseBook();
    book.lease([taken(2, 1, 2)]);
    book.lease([taken(2, 5, 6)]);
    book.lease([taken(2, 3, 4), taken(2, 7)]);
    expect(gaps(book, 2, 0, 10)).toEqual([[0, 1], [8, 10]]);
    book.released(['r3', 'r4', 'r7']);
    expect(gaps(book, 2, 0, 10)).toEqual([[0, 1], [3, 5], [7, 10]]);
    expect([1, 2, 5, 6].every((s) => book.covers(2, s))).toBe(true);
  });
});
