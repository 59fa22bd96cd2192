/**
 * The daily usage reports the read API answers with: the ones this process emitted and the ones
 * it read back from the bus (emitted by an earlier process or another instance), by event id,
 * so the history survives a restart as far as the bus retains it. At most `max` are kept; past
 * that the oldest day goes first.
 */
import type { DailyUsage } from './day-usage.js';

export interface DailyReportReader {
  /** Reports of the days from `from` to `to` (`YYYY-MM-DD`, both included), by date, the fleet-wide report first. */
  between(from: string, to: string): DailyUsage[];
}

export interface DailyReportStore extends DailyReportReader {
  add(id: string, report: DailyUsage): void;
  readonly size: number;
}

const order = (a: DailyUsage, b: DailyUsage): number => {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  const siteA = a.siteId ?? '';
  const siteB = b.siteId ?? '';
  return siteA < siteB ? -1 : siteA > siteB ? 1 : 0;
};

export function createDailyReportStore(max: number): DailyReportStore {
  const reports = new Map<string, DailyUsage>();
  return {
    add(id, report) {
      reports.set(id, report);
      if (reports.size <= max) return;
      let oldest: [string, DailyUsage] | undefined;
      for (const entry of reports) if (oldest === undefined || order(entry[1], oldest[1]) < 0) oldest = entry;
      if (oldest !== undefined) reports.delete(oldest[0]);
    },
    between(from, to) {
      return [...reports.values()].filter((r) => r.date >= from && r.date <= to).sort(order);
    },
    get size() {
      return reports.size;
    },
  };
}
