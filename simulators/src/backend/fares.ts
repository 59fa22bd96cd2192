/**
 * What a trip costs and whether its charge goes through, as plain functions: the payment
 * service's decisions, deterministic so a seed's run always charges the same amounts and
 * declines the same bookings.
 */
import { createHash } from 'node:crypto';
import type { EventData } from '@fleetwire/protocol';

export interface Tariff {
  /** Minor units (cents) per trip. */
  unlockFeeMinor: number;
  perMinuteMinor: number;
  perKmMinor: number;
  currency: string;
}

/** A car-sharing tariff in the range Berlin's operators charge. */
export const DEFAULT_TARIFF: Tariff = { unlockFeeMinor: 100, perMinuteMinor: 29, perKmMinor: 19, currency: 'EUR' };

export function fareOf(trip: Pick<EventData['TripEnded'], 'durationS' | 'distanceKm'>, tariff: Tariff = DEFAULT_TARIFF): number {
  const minutes = Math.ceil(trip.durationS / 60);
  return tariff.unlockFeeMinor + minutes * tariff.perMinuteMinor + Math.round(trip.distanceKm * tariff.perKmMinor);
}

/** Whether the charge for this booking is declined: a stable share `failureShare` (0–1) of bookings. */
export function chargeDeclined(bookingId: string, seed: number, failureShare: number): boolean {
  const digest = createHash('sha256').update(`${seed}:${bookingId}`).digest();
  return digest.readUInt32BE(0) / 0x1_0000_0000 < failureShare;
}
