/**
 * The demand spikes the dashboard lists per site: the newest `maxPerSite` DemandSpike events of
 * each site (a spike without a site is filed under the fleet, `siteId: null`), newest first.
 * Idempotent by event id; memory bounded by the number of sites times the cap.
 */
import type { DemandSpikeV1 } from '@fleetwire/protocol';
import type { Static } from '@sinclair/typebox';

export interface DemandSpikeEntry {
  id: string;
  siteId: string | null;
  zone: string | null;
  windowStart: string;
  windowEnd: string;
  bookings: number;
  baseline: number;
  ratio: number;
}

export interface DemandSpikes {
  add(id: string, data: Static<typeof DemandSpikeV1>): void;
  /** Every site's newest spikes, newest first. */
  list(): DemandSpikeEntry[];
}

export function createDemandSpikes(maxPerSite: number): DemandSpikes {
  const bySite = new Map<string | null, DemandSpikeEntry[]>();
  return {
    add(id, data) {
      const siteId = data.siteId ?? null;
      const entries = bySite.get(siteId) ?? [];
      if (entries.some((e) => e.id === id)) return;
      entries.push({ id, siteId, zone: data.zone ?? null, windowStart: data.window.start, windowEnd: data.window.end, bookings: data.bookings, baseline: data.baseline, ratio: data.ratio });
      entries.sort((a, b) => b.windowStart.localeCompare(a.windowStart) || a.id.localeCompare(b.id));
      bySite.set(siteId, entries.slice(0, maxPerSite));
    },
    list() {
      return [...bySite.values()].flat().sort((a, b) => b.windowStart.localeCompare(a.windowStart) || a.id.localeCompare(b.id));
    },
  };
}
