/**
 * The analytics service's output as protocol events, wrapped as bus records with the cloud as
 * source (`cloud:analytics`).
 *
 * Ids are derived from what a report is about, never from when it was computed, so a replay,
 * a restart or a second cloud instance emitting the same report emits the same id — which every
 * consumer dedupes on. Format `analytics:{epoch}:{seq}` (protocol MessageId):
 * - epoch: `du{YYYYMMDD}` daily usage, `ds{YYYYMMDDhhmm}w{minutes}` demand spike (window start
 *   and length, so changing the window length cannot reuse an id), `fs{YYYYMMDDhhmmss}` snapshot;
 * - seq: 0 for the whole fleet, else a 48-bit number from the SHA-256 of the area key
 *   (`site:{id}`, `zone:{label}`) plus one. Site ids are up to 64 characters and cannot fit the
 *   epoch; at a few thousand sites two colliding is about 1 in 10^8.
 */
import { createHash } from 'node:crypto';
import { createEvent, createEventRecord, DAY_MS, type EventData, type EventEnvelope, type EventRecord, type EventType, formatMessageId, type SubjectKind } from '@fleetwire/protocol';
import { FLEET_AREA, type Area } from './booking-window.js';
import { compactStamp } from './utc-calendar.js';

export const ANALYTICS_SOURCE = { kind: 'cloud', id: 'analytics' } as const;
const EVENT_SOURCE = `${ANALYTICS_SOURCE.kind}:${ANALYTICS_SOURCE.id}`;

/** The types this service produces: never counted as input, and never moving its clock. */
export const REPORT_TYPES: ReadonlySet<EventType> = new Set<EventType>(['DailyUsageReport', 'DemandSpike', 'FleetStatusSnapshot']);

export function areaSeq(area: Area): number {
  if (area.key === FLEET_AREA.key) return 0;
  return createHash('sha256').update(area.key).digest().readUIntBE(0, 6) + 1;
}

const siteArea = (siteId: string | undefined): Area => (siteId === undefined ? FLEET_AREA : { key: `site:${siteId}`, siteId });
const subjectOf = (area: Area): { kind: SubjectKind; id: string } =>
  area.siteId === undefined ? { kind: 'fleet', id: 'fleet' } : { kind: 'site', id: area.siteId };

export function dailyUsageEventId(dayStart: number, siteId?: string): string {
  return formatMessageId({ deviceId: ANALYTICS_SOURCE.id, epoch: `du${compactStamp(dayStart, 'day')}`, seq: areaSeq(siteArea(siteId)) });
}

export function demandSpikeEventId(windowStart: number, windowMs: number, area: Area): string {
  const epoch = `ds${compactStamp(windowStart, 'minute')}w${windowMs / 60_000}`;
  return formatMessageId({ deviceId: ANALYTICS_SOURCE.id, epoch, seq: areaSeq(area) });
}

export function fleetSnapshotEventId(slot: number): string {
  return formatMessageId({ deviceId: ANALYTICS_SOURCE.id, epoch: `fs${compactStamp(slot, 'second')}`, seq: 0 });
}

function reportRecord<T extends EventType>(type: T, id: string, area: Area, occurredAt: number, data: EventData[T], now: number): EventRecord {
  const event = createEvent(type, { eventId: id, source: EVENT_SOURCE, subject: subjectOf(area), occurredAt, data });
  return createEventRecord(event as EventEnvelope, { source: ANALYTICS_SOURCE, receivedAt: now });
}

/** Occurs at the end of its day (the data names the day). */
export function dailyUsageRecord(dayStart: number, data: EventData['DailyUsageReport'], now: number): EventRecord {
  return reportRecord('DailyUsageReport', dailyUsageEventId(dayStart, data.siteId), siteArea(data.siteId), dayStart + DAY_MS, data, now);
}

/** Occurs at the end of its window. */
export function demandSpikeRecord(windowStart: number, windowMs: number, area: Area, data: EventData['DemandSpike'], now: number): EventRecord {
  return reportRecord('DemandSpike', demandSpikeEventId(windowStart, windowMs, area), area, windowStart + windowMs, data, now);
}

/** Id from the interval slot the snapshot fills, time from when its counts were taken. */
export function fleetSnapshotRecord(slot: number, takenAt: number, data: EventData['FleetStatusSnapshot'], now: number): EventRecord {
  return reportRecord('FleetStatusSnapshot', fleetSnapshotEventId(slot), FLEET_AREA, takenAt, data, now);
}

/** A report this service (in this or an earlier process, or another instance) put on the bus. */
export function isOwnReport(record: EventRecord): boolean {
  return record.payload.source === EVENT_SOURCE && REPORT_TYPES.has(record.payload.type);
}
