/**
 * The daily usage reports the read API answers with: the ones analytics emitted and the ones it
 * read back from the bus (emitted by an earlier process or version), by event id. They are kept
 * in the second stage's state (analytics-state.ts), so they survive restarts with its
 * checkpoint, and every instance answers from it (its own, live, or the owner's checkpoint). At
 * most `max` are kept; past that the oldest day goes first.
 */
import type { DailyUsage } from './day-usage.js';

export interface DailyReportReader {
  /** Reports of the days from `from` to `to` (`YYYY-MM-DD`, both included), by date, the fleet-wide report first. */
  between(from: string, to: string): DailyUsage[];
}

const order = (a: DailyUsage, b: DailyUsage): number => {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  const siteA = a.siteId ?? '';
  const siteB = b.siteId ?? '';
  return siteA < siteB ? -1 : siteA > siteB ? 1 : 0;
};

export function addReport(reports: Map<string, DailyUsage>, id: string, report: DailyUsage, max: number): void {
  reports.set(id, report);
  if (reports.size <= max) return;
  let oldest: [string, DailyUsage] | undefined;
  for (const entry of reports) if (oldest === undefined || order(entry[1], oldest[1]) < 0) oldest = entry;
  if (oldest !== undefined) reports.delete(oldest[0]);
}

/** The reports of several stores (one id once), of the days from `from` to `to`. */
export function reportsBetween(stores: Iterable<Map<string, DailyUsage>>, from: string, to: string): DailyUsage[] {
  const reports = new Map<string, DailyUsage>();
  for (const store of stores) for (const [id, report] of store) if (report.date >= from && report.date <= to) reports.set(id, report);
  return [...reports.values()].sort(order);
}
