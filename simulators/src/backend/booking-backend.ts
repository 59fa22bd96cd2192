/**
 * The booking and payment services around a simulated fleet, as the cloud sees them: two
 * business clients of `POST /v1/events`.
 *
 * - The booking service publishes the bookings the fleet model makes (VehicleBooked, framed by
 *   the model in the booking client's id space, `booking:{epoch}:{seq}`, source `service:booking`).
 * - The payment service charges a trip when the cloud's return saga asks (PaymentRequested,
 *   delivered by the cloud's payment webhook to `servePaymentRequests`, payment-requests.ts):
 *   fare from the tariff plus the request's adjustments (verification or fraud fee),
 *   PaymentProcessed `captured` — or `failed` with `card_declined` for a stable share of
 *   bookings — with event id `payment:{epoch}:{seq}`, subject the booking, correlation id the
 *   saga id, occurred at the trip's end (the charge belongs to the trip). A request id is
 *   charged once however often it is asked.
 *
 * Wire `onBackendEvent` into the fleet simulation's options and `onPaymentRequested` into
 * `servePaymentRequests`.
 */
import { randomBytes } from 'node:crypto';
import { createEvent, formatMessageId, type EventData, type EventEnvelope } from '@fleetwire/protocol';
import { BACKEND_ID } from '../world/framing.js';
import { createBusinessEventsClient, type BusinessEventsClient, type BusinessEventsClientStats } from './business-events-client.js';
import { chargeDeclined, DEFAULT_TARIFF, fareOf, type Tariff } from './fares.js';

/** The client ids the backend publishes as; the cloud's clients file must know both. */
export const BOOKING_CLIENT_ID = BACKEND_ID;
export const PAYMENT_CLIENT_ID = 'payment';

export interface BookingBackendOptions {
  cloudUrl: string;
  /** Token of client `booking` (VehicleBooked, BookingCancelled). */
  bookingToken: string;
  /** Token of client `payment` (PaymentProcessed). */
  paymentToken: string;
  /** Decides which charges are declined. Default 1. */
  seed?: number;
  /** Share of charges declined, 0–1. Default 0.05. */
  failureShare?: number;
  tariff?: Tariff;
  /** The payment service's boot id (event id epoch): 1–32 alphanumerics. Default: random per start. */
  epoch?: string;
  onRefused?: (eventId: string, status: number, body: string) => void;
}

export interface BookingBackendStats {
  booking: BusinessEventsClientStats;
  payment: BusinessEventsClientStats;
  charged: number;
  declined: number;
  revenueMinor: number;
}

export interface BookingBackend {
  /** The fleet model's backend events (VehicleBooked). */
  onBackendEvent(event: EventEnvelope): void;
  /** A payment request of the cloud's return saga; each request id is charged once. */
  onPaymentRequested(event: EventEnvelope<'PaymentRequested'>): void;
  /** Resolves once every event handed over so far was answered by the cloud. */
  idle(): Promise<void>;
  stop(): void;
  stats(): BookingBackendStats;
}

export function createBookingBackend(options: BookingBackendOptions): BookingBackend {
  const { seed = 1, failureShare = 0.05, tariff = DEFAULT_TARIFF } = options;
  const epoch = options.epoch ?? randomBytes(5).toString('hex');
  const common = { cloudUrl: options.cloudUrl, ...(options.onRefused === undefined ? {} : { onRefused: options.onRefused }) };
  const booking: BusinessEventsClient = createBusinessEventsClient({ ...common, token: options.bookingToken });
  const payment: BusinessEventsClient = createBusinessEventsClient({ ...common, token: options.paymentToken });
  const charged = new Set<string>();
  let seq = 0;
  let declined = 0;
  let revenueMinor = 0;

  const charge = (event: EventEnvelope<'PaymentRequested'>): void => {
    const request = event.data;
    if (charged.has(request.paymentRequestId)) return;
    charged.add(request.paymentRequestId);
    const fails = chargeDeclined(request.bookingId, seed, failureShare);
    const amountMinor = fareOf(request, tariff) + request.adjustments.reduce((sum, adjustment) => sum + adjustment.amountMinor, 0);
    const data: EventData['PaymentProcessed'] = {
      paymentId: `pay-${request.bookingId}`,
      bookingId: request.bookingId,
      amountMinor,
      currency: tariff.currency,
      status: fails ? 'failed' : 'captured',
      ...(fails ? { failureReason: 'card_declined' } : {}),
    };
    if (fails) declined += 1;
    else revenueMinor += amountMinor;
    payment.send(
      createEvent('PaymentProcessed', {
        eventId: formatMessageId({ deviceId: PAYMENT_CLIENT_ID, epoch, seq: seq++ }),
        source: `service:${PAYMENT_CLIENT_ID}`,
        subject: { kind: 'booking', id: request.bookingId },
        correlationId: request.sagaId,
        occurredAt: request.tripEndedAt,
        data,
      }),
    );
  };

  return {
    onBackendEvent(event) {
      if (event.type === 'VehicleBooked' || event.type === 'BookingCancelled') booking.send(event);
    },
    onPaymentRequested: charge,
    async idle() {
      await Promise.all([booking.idle(), payment.idle()]);
    },
    stop() {
      booking.stop();
      payment.stop();
    },
    stats: () => ({ booking: booking.stats(), payment: payment.stats(), charged: charged.size, declined, revenueMinor }),
  };
}
