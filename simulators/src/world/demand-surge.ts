/**
 * A demand surge: for a while, far more people want a vehicle at one site (an event ends, a
 * train line is down). Idle vehicles at the site are booked `factor` times as often, and a trip
 * started during the surge ends at the site (the operator's return incentive) unless the vehicle
 * is low on charge — without that, the bookings a site can make are capped by the two or three
 * vehicles that happen to stand there, and no booking system can book a vehicle it does not have.
 */
export interface DemandSurge {
  siteId: string;
  /** Simulated start, ms since the Unix epoch. */
  from: number;
  /** Simulated end, exclusive. */
  to: number;
  /** Multiplies `bookingsPerHour` of the site's idle vehicles; ≥ 1. */
  factor: number;
}

/** Problems of a surge as given (the site's existence is checked against the city). */
export function demandSurgeProblems(surge: DemandSurge): string[] {
  const problems: string[] = [];
  if (typeof surge.siteId !== 'string' || surge.siteId.length === 0) problems.push('demandSurge.siteId must name a site');
  if (!Number.isFinite(surge.from) || !Number.isFinite(surge.to) || surge.to <= surge.from) problems.push('demandSurge needs from < to (ms since the epoch)');
  if (!(surge.factor >= 1)) problems.push('demandSurge.factor must be ≥ 1');
  return problems;
}

/** The site surging at `time`, if any. */
export function surgingSiteAt(surge: DemandSurge | null, time: number): string | undefined {
  return surge !== null && time >= surge.from && time < surge.to ? surge.siteId : undefined;
}

/** Booking rate of an idle vehicle at `siteId` at `time`. */
export function bookingRateAt(bookingsPerHour: number, surge: DemandSurge | null, siteId: string, time: number): number {
  return surge !== null && surgingSiteAt(surge, time) === siteId ? bookingsPerHour * surge.factor : bookingsPerHour;
}
